import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { AppContext } from '../services/app-context';
import { sharedData, tempDir } from '../test/helpers';
import { type HostServer, serve } from './server';

let ctx: AppContext;
let server: HostServer;
const tmp = tempDir();

beforeAll(async () => {
  ctx = new AppContext(':memory:', { chemWorkers: 1 });
  const renderer = join(tmp.dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Delicate</title>');
  server = await serve(ctx, { rendererDir: renderer });
});
afterAll(async () => {
  await server.close();
  await ctx.close();
  tmp.cleanup();
});

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe('host mode', () => {
  it('serves the renderer with a CSP, only on loopback, and refuses path traversal', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'");
    const evil = await fetch(`http://127.0.0.1:${server.port}/..%2f..%2fetc%2fpasswd`);
    expect([403, 404]).toContain(evil.status);
  });

  it('refuses WebSocket clients without the token or from a foreign origin', async () => {
    await expect(connect(`ws://127.0.0.1:${server.port}/api`)).rejects.toThrow('HTTP 401');
    await expect(connect(`ws://127.0.0.1:${server.port}/api?token=${'0'.repeat(48)}`)).rejects.toThrow('HTTP 401');
    await expect(connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { Origin: 'https://evil.example' })).rejects.toThrow('HTTP 401');
  });

  it('runs an import job over the contract and streams its progress and result', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    const messages: Array<{
      id?: number;
      result?: { ok: boolean; value?: { jobId: string } };
      event?: string;
      payload?: { state?: string; result?: { read: number } };
    }> = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        messages.push(m);
        if (m.event === 'job.done') resolve();
      }),
    );
    const csv = (await import('node:fs')).readFileSync(sharedData('qsar/freesolv.csv'));
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'library.import',
        args: { source: { kind: 'upload', fileName: 'freesolv.csv', dataBase64: csv.toString('base64') }, library: 'fs' },
      }),
    );
    await done;
    const reply = messages.find((m) => m.id === 1);
    expect(reply?.result?.ok).toBe(true);
    const fin = messages.find((m) => m.event === 'job.done');
    expect(fin?.payload).toMatchObject({ jobId: reply?.result?.value?.jobId, state: 'done', result: { read: 642, imported: 642, file: 'freesolv.csv' } });
    ws.send(JSON.stringify({ id: 2, method: 'library.list', args: {} }));
    await new Promise((r) => setTimeout(r, 200));
    expect(messages.find((m) => m.id === 2)?.result).toMatchObject({ ok: true, value: { libraries: [{ name: 'fs', compounds: 642 }] } });
    ws.close();
  });
});

/** One request over a fresh connection; resolves with the reply to `id` (or to a non-request: id null). */
async function ask(
  port: number,
  token: string,
  frame: string | Buffer,
  binary = false,
): Promise<{ id: unknown; result: { ok: boolean; error?: { code: string; message: string }; value?: unknown } }> {
  const ws = await connect(`ws://127.0.0.1:${port}/api?token=${token}`);
  try {
    const reply = new Promise<string>((resolve) => ws.on('message', (d) => resolve(String(d))));
    ws.send(frame, { binary });
    return JSON.parse(await reply);
  } finally {
    ws.close();
  }
}

describe('host mode under hostile requests', () => {
  it('answers malformed URLs, methods and paths with 4xx and security headers, and stays up', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    for (const path of ['/%E0%A4%A', '/%', '/%00', '/a%2f..%2f..%2fetc%2fpasswd', '/%ZZ', `/${'a'.repeat(5000)}`]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect((await fetch(base, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${base}/`)).status).toBe(200);
  });

  it('answers every frame that is not a request with INVALID_INPUT, on a connection that stays open', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    const replies: Array<{ id: unknown; result: { ok: boolean; error?: { code: string } } }> = [];
    ws.on('message', (d) => replies.push(JSON.parse(String(d))));
    const frames = [
      'null',
      '42',
      '"text"',
      '[]',
      '[1,2]',
      '{}',
      '{"method":5}',
      '{"method":null,"id":3}',
      '{"id":{"x":1},"method":"library.list"}',
      'not json',
      '{"method":"no.such"}',
      '{"method":"library.list","args":"zz"}',
      '{"method":"compound.get","args":{"id":"DROP TABLE"}}',
      '{"method":"__proto__"}',
      '{"method":"constructor"}',
    ];
    for (const f of frames) ws.send(f);
    ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    await expect.poll(() => replies.length, { timeout: 10_000 }).toBe(frames.length + 1);
    const failed = replies.filter((r) => !r.result.ok);
    // Only the library.list with an odd id succeeds (its id comes back as null).
    expect(failed).toHaveLength(frames.length);
    for (const r of failed) expect(r.result.error?.code).toBe('INVALID_INPUT');
    ws.send(JSON.stringify({ id: 7, method: 'library.list', args: {} }));
    await expect.poll(() => replies.find((r) => r.id === 7)?.result.ok, { timeout: 10_000 }).toBe(true);
    ws.close();
  });

  it('closes only the connection that sends an oversized frame', async () => {
    const small = await serve(ctx, { rendererDir: join(tmp.dir, 'renderer'), maxPayload: 1024 });
    try {
      const ws = await connect(`ws://127.0.0.1:${small.port}/api?token=${small.token}`);
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      ws.send(JSON.stringify({ id: 1, method: 'library.list', args: { pad: 'x'.repeat(4096) } }));
      expect(await closed).toBe(1009);
      expect((await ask(small.port, small.token, JSON.stringify({ id: 2, method: 'library.list', args: {} }))).result.ok).toBe(true);
    } finally {
      await small.close();
    }
  });

  it('takes files only as uploads and gives results only as downloads, unless a folder is allowed', async () => {
    const q = (method: string, args: unknown) => ask(server.port, server.token, JSON.stringify({ id: 1, method, args }));
    const cases: Array<[string, unknown]> = [
      ['library.preview', { source: { kind: 'path', path: '/etc/passwd' } }],
      ['library.import', { source: { kind: 'path', path: '/etc/passwd' }, library: 'x' }],
      ['library.export', { library: 'fs', out: join(tmp.dir, 'out.csv') }],
      ['model.train', { data: '/etc/passwd', target: 'x', task: 'regression', out: 'm' }],
      ['model.pretrain', { corpus: '/etc/passwd', out: 'p' }],
    ];
    for (const [method, args] of cases) {
      const r = await q(method, args);
      expect(r.result.ok, method).toBe(false);
      expect(r.result.error?.message, method).toMatch(/host mode (reads files only as uploads|gives results only as downloads)/);
    }
    expect(existsSync(join(tmp.dir, 'out.csv'))).toBe(false);

    const allowed = join(tmp.dir, 'allowed');
    mkdirSync(allowed);
    writeFileSync(join(allowed, 'ok.smi'), 'CCO ethanol\nc1ccccc1 benzene\n');
    symlinkSync('/etc/passwd', join(allowed, 'escape.smi'));
    const within = await serve(ctx, { rendererDir: join(tmp.dir, 'renderer'), filesDir: allowed });
    try {
      const w = (method: string, args: unknown) => ask(within.port, within.token, JSON.stringify({ id: 1, method, args }));
      expect((await w('library.preview', { source: { kind: 'path', path: 'ok.smi' } })).result.ok).toBe(true);
      expect((await w('library.preview', { source: { kind: 'path', path: join(allowed, 'ok.smi') } })).result.ok).toBe(true);
      for (const path of ['/etc/passwd', '../renderer/index.html', 'escape.smi']) {
        const r = await w('library.preview', { source: { kind: 'path', path } });
        expect(r.result.error?.message, path).toMatch(/reads only inside/);
      }
      expect((await w('library.export', { library: 'fs', out: '../out.csv' })).result.error?.message).toMatch(/writes only inside/);
      const missing = await w('library.export', { library: 'fs', out: 'no-such-folder/out.csv' });
      expect(missing.result.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/folder .* does not exist/) });
    } finally {
      await within.close();
    }
  });

  it('answers 1,000 connections (beyond the limit with 503) and keeps serving', async () => {
    const limited = await serve(ctx, { rendererDir: join(tmp.dir, 'renderer'), maxConnections: 16 });
    try {
      const outcomes = { open: 0, refused: 0, other: 0 };
      const held: WebSocket[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const results = await Promise.allSettled(Array.from({ length: 100 }, () => connect(`ws://127.0.0.1:${limited.port}/api?token=${limited.token}`)));
        for (const r of results) {
          if (r.status === 'fulfilled') {
            outcomes.open++;
            held.push(r.value);
          } else if (String(r.reason).includes('HTTP 503')) outcomes.refused++;
          else outcomes.other++;
        }
        // Every other batch lets its connections go, so later ones are accepted again.
        if (batch % 2 === 1) for (const ws of held.splice(0)) ws.close();
      }
      for (const ws of held.splice(0)) ws.close();
      expect(outcomes.other).toBe(0);
      expect(outcomes.open + outcomes.refused).toBe(1000);
      expect(outcomes.open).toBeGreaterThanOrEqual(16);
      expect(outcomes.refused).toBeGreaterThan(0);
      await expect
        .poll(async () => (await ask(limited.port, limited.token, JSON.stringify({ id: 1, method: 'library.list', args: {} })).catch(() => null))?.result.ok, {
          timeout: 10_000,
        })
        .toBe(true);
    } finally {
      await limited.close();
    }
  });

  it('needs confirmation to serve beyond loopback and names an address that is not on this machine', async () => {
    await expect(serve(ctx, { rendererDir: join(tmp.dir, 'renderer'), host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/--allow-remote/),
    });
    await expect(serve(ctx, { rendererDir: join(tmp.dir, 'renderer'), host: '203.0.113.7', allowRemote: true })).rejects.toMatchObject({
      message: 'cannot serve on 203.0.113.7: that address is not on this machine',
    });
  });
});
