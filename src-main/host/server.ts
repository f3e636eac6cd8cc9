import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { createRouter } from '../ipc/router';
import { type AppContext, type PathPolicy, createHandlers } from '../services/app-context';
import { CSP } from '../../src-shared/csp';
import { AppError } from '../../src-shared/errors';

export interface ServeOptions {
  port?: number;
  /** Bind address; anything but loopback needs `allowRemote` (the user's explicit confirmation). */
  host?: string | undefined;
  /** Confirms a bind address other than loopback (`serve --host ADDR --allow-remote`). */
  allowRemote?: boolean;
  /**
   * The one folder whose files requests may name by path (`serve --files DIR`); without it host mode
   * takes files only as uploads and gives results only as downloads.
   */
  filesDir?: string | undefined;
  /** Most WebSocket clients at once; more are answered 503. */
  maxConnections?: number;
  /** Largest WebSocket message (an upload travels as one); larger ones close that connection (1009). */
  maxPayload?: number;
  /** Folder with the built renderer; defaults to out/renderer of this checkout. */
  rendererDir?: string;
  warn?: (msg: string) => void;
  /** Where a failure that is not the client's fault is logged (the server answers 500 and stays up). */
  log?: (msg: string, err: unknown) => void;
}

export interface HostServer {
  url: string;
  /** The same address on each of this machine's network interfaces, when bound to all of them. */
  lanUrls: string[];
  token: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const ALL_INTERFACES = new Set(['0.0.0.0', '::']);

/** Headers on every answer, errors included: nothing the server sends can be framed, sniffed or leak the token. */
const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

export const DEFAULT_MAX_CONNECTIONS = 64;
/** An upload travels base64-encoded in one message: 128 MiB carries a ~95 MB file. */
export const DEFAULT_MAX_PAYLOAD = 128 * 1024 * 1024;

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}

/** A request's id as the reply echoes it: a number or a string, else null. */
const replyId = (id: unknown) => (typeof id === 'number' || typeof id === 'string' ? id : null);

/** The reply to a message that is not a request: it names what was wrong, and the connection stays open. */
function invalid(id: unknown, message: string): string {
  return JSON.stringify({ id: replyId(id), result: { ok: false, error: { code: 'INVALID_INPUT', message } } });
}

/** out/renderer of this checkout, from the sources (src-main/host) or the bundle (out/main). */
export function defaultRendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // From the sources (src-main/host), an entry of the bundle (out/main) or one of its chunks (out/main/chunks).
  const candidates = [resolve(here, '../../out/renderer'), resolve(here, '../renderer'), resolve(here, '../../renderer')];
  return candidates.find((c) => existsSync(join(c, 'index.html'))) ?? (candidates[0] as string);
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Host mode: the renderer and the typed contract over a loopback WebSocket, guarded by a random per-run
 * token. Used by the e2e tests and by labs that run Delicate on one shared machine.
 */
export async function serve(ctx: AppContext, opts: ServeOptions = {}): Promise<HostServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  if (!LOOPBACK.has(host)) {
    if (!opts.allowRemote) {
      throw new AppError(
        'INVALID_INPUT',
        `serving on ${host} lets anyone who can reach this machine and has the token use your database; add --allow-remote to confirm`,
      );
    }
    opts.warn?.(`serving on ${host}: anyone who can reach this address and knows the token can use your database`);
  }
  const rendererDir = opts.rendererDir ?? defaultRendererDir();
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new AppError('NOT_FOUND', `the renderer is not built (${rendererDir}/index.html missing): run \`npm run build\` first`);
  }
  const paths: PathPolicy = opts.filesDir ? { kind: 'within', dir: resolve(opts.filesDir) } : { kind: 'none' };
  if (paths.kind === 'within' && !existsSync(paths.dir)) throw new AppError('NOT_FOUND', `--files ${opts.filesDir}: no such folder`);
  const token = randomBytes(24).toString('hex');
  const router = createRouter(createHandlers(ctx, { paths }), log);
  const maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;

  const server = createServer((req, res) => {
    serveStatic(rendererDir, req, res).catch((err: unknown) => {
      log(`GET ${req.url ?? ''} failed`, err);
      plain(res, 500, 'internal error');
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? DEFAULT_MAX_PAYLOAD });
  const sockets = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      refuse('400 Bad Request');
      return;
    }
    const origin = req.headers.origin;
    const port = (server.address() as AddressInfo).port;
    const originOk = origin === undefined || allowedOrigins(host, port).has(origin);
    if (url.pathname !== '/api' || !sameToken(url.searchParams.get('token') ?? '', token) || !originOk) {
      refuse('401 Unauthorized');
      return;
    }
    if (sockets.size >= maxConnections) {
      refuse('503 Service Unavailable');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      const off = ctx.onEvent((event, payload) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
      });
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        off();
        sockets.delete(ws);
      });
      ws.on('message', (data, isBinary) => {
        void answer(ws, data, isBinary).catch((err: unknown) => log('a WebSocket request failed', err));
      });
    });
  });

  /** Answers one message: a request `{id, method, args}` gets its Result; anything else an INVALID_INPUT. */
  async function answer(ws: WebSocket, data: unknown, isBinary: boolean): Promise<void> {
    const send = (text: string) => {
      if (ws.readyState === ws.OPEN) ws.send(text);
    };
    if (isBinary) return send(invalid(null, 'binary messages are not requests: send JSON text'));
    let msg: unknown;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return send(invalid(null, 'message is not JSON'));
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return send(invalid(null, 'a request is a JSON object {id, method, args}'));
    const { id, method, args } = msg as { id?: unknown; method?: unknown; args?: unknown };
    if (typeof method !== 'string') return send(invalid(id, 'a request needs a method name (a string)'));
    const result = await router(method, args);
    send(JSON.stringify({ id: replyId(id), result }));
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRNOTAVAIL') reject(new AppError('INVALID_INPUT', `cannot serve on ${host}: that address is not on this machine`));
      else if (err.code === 'EADDRINUSE') reject(new AppError('CONFLICT', `cannot serve on ${host}:${opts.port}: the port is in use`));
      else if (err.code === 'EACCES')
        reject(new AppError('INVALID_INPUT', `cannot serve on ${host}:${opts.port}: permission denied (ports below 1024 need privileges)`));
      else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') reject(new AppError('INVALID_INPUT', `cannot serve on ${host}: no such address`));
      else reject(err);
    });
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const urlOf = (h: string) => `http://${h.includes(':') ? `[${h}]` : h}:${port}/?token=${token}`;
  return {
    url: urlOf(host),
    lanUrls: ALL_INTERFACES.has(host) ? lanAddresses(host === '::').map(urlOf) : [],
    token,
    port,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Pages that may open the API: this server's own, under each name it answers to. */
function allowedOrigins(host: string, port: number): Set<string> {
  const names = new Set([host, '127.0.0.1', 'localhost', '[::1]']);
  if (ALL_INTERFACES.has(host)) for (const a of lanAddresses(true)) names.add(a.includes(':') ? `[${a}]` : a);
  else if (host.includes(':')) names.add(`[${host}]`);
  return new Set([...names].map((n) => `http://${n}:${port}`));
}

/** This machine's non-internal addresses (IPv4; IPv6 too when asked). */
function lanAddresses(v6: boolean): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && (a.family === 'IPv4' || (v6 && a.family === 'IPv6' && !a.address.startsWith('fe80'))))
    .map((a) => (a as { address: string }).address);
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    plain(res, 405, 'method not allowed');
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    plain(res, 400, 'bad request: malformed URL');
    return;
  }
  if (pathname.includes('\0')) {
    plain(res, 400, 'bad request: NUL in path');
    return;
  }
  const rel = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^([/\\])+/, '');
  const file = resolve(root, rel);
  if (file !== root && !file.startsWith(root + sep)) {
    plain(res, 403, 'forbidden');
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    plain(res, 404, 'not found');
    return;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
