// Small DOM builder. Text always goes in as text nodes (never innerHTML), so data from the
// server cannot inject markup; and there is no `style` attribute (the CSP forbids inline styles):
// look comes from classes in styles.css.

export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;

export interface Attrs {
  class?: string;
  id?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  title?: string;
  href?: string;
  for?: string;
  role?: string;
  autocomplete?: string;
  inputmode?: string;
  maxlength?: number;
  min?: string | number;
  max?: string | number;
  rows?: number;
  step?: string | number;
  list?: string;
  colspan?: number;
  disabled?: boolean;
  checked?: boolean;
  hidden?: boolean;
  required?: boolean;
  readonly?: boolean;
  selected?: boolean;
  download?: string;
  testid?: string;
  aria?: Record<string, string>;
  on?: Record<string, Handler>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) applyAttrs(el, attrs);
  append(el, ...children);
  return el;
}

function applyAttrs(el: HTMLElement, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    switch (key) {
      case 'class':
        el.className = value as string;
        break;
      case 'for':
        el.setAttribute('for', value as string);
        break;
      case 'value':
        (el as HTMLInputElement).value = value as string;
        break;
      case 'checked':
      case 'disabled':
      case 'hidden':
      case 'required':
      case 'selected':
      case 'readonly':
        if (key === 'readonly') el.setAttribute('readonly', '');
        else (el as unknown as Record<string, boolean>)[key] = true;
        break;
      case 'testid':
        el.setAttribute('data-testid', value as string);
        break;
      case 'aria':
        for (const [k, v] of Object.entries(value as Record<string, string>)) {
          el.setAttribute(`aria-${k}`, v);
        }
        break;
      case 'on':
        for (const [event, fn] of Object.entries(value as Record<string, Handler>)) {
          el.addEventListener(event, fn);
        }
        break;
      default:
        el.setAttribute(key, String(value));
    }
  }
}

export function append(parent: Node, ...children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replace(el: Element, ...children: (Child | Child[])[]): void {
  clear(el);
  append(el, ...children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attrs: Record<string, string>): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}
