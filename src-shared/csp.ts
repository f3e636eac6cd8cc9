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
