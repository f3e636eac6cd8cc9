/**
 * Content-Security-Policy of the renderer, in Electron and in host mode. Chemistry runs in the main
 * process (RDKit's embind would need 'unsafe-eval'), so scripts need only 'self' and WebAssembly.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The same policy for a `<meta http-equiv>` in the built index.html, which the Electron window loads from
 * file:// (where no response header can carry it). A meta element cannot carry frame-ancestors (browsers
 * ignore it there with a console error); the window's own framing is refused by Electron anyway.
 */
export const CSP_META = CSP.split('; ')
  .filter((d) => !d.startsWith('frame-ancestors'))
  .join('; ');
