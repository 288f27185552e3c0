// The TOTP enrolment QR code, drawn here as SVG from the `qrcode` package's module matrix: the
// secret never leaves the browser, and there is no data: URL (the CSP allows images from 'self'
// only) and no inline style.
import { create } from 'qrcode';
import { svg } from './dom';

export function qrSvg(text: string, label: string): SVGElement {
  const qr = create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 4;
  const total = size + 2 * quiet;
  let d = '';
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (qr.modules.get(y, x)) d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
    }
  }
  const root = svg('svg', {
    viewBox: `0 0 ${total} ${total}`,
    width: String(total * 5),
    height: String(total * 5),
    role: 'img',
    'aria-label': label,
    'shape-rendering': 'crispEdges',
    class: 'qr',
  });
  root.appendChild(svg('rect', { width: String(total), height: String(total), fill: '#ffffff' }));
  root.appendChild(svg('path', { d, fill: '#000000' }));
  return root;
}
