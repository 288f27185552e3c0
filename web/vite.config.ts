import { defineConfig } from 'vite';

// The console is served by `vigil serve --console web/dist` under the CSP
// `default-src 'self'`: one entry script and one stylesheet, no inline code.
// `npm run dev` proxies /api to a running server (VIGIL_BACKEND, self-signed TLS).
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // The polyfill would be bundled, not inlined, but every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    // Keep fonts, icons and other small assets as files: data: URLs are blocked by the CSP.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/api': {
        target: process.env.VIGIL_BACKEND ?? 'https://127.0.0.1:8443',
        secure: false,
      },
    },
  },
});
