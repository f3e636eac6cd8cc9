import { mkdirSync, writeFileSync } from 'node:fs';
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
    const messages: Array<{ id?: number; result?: { ok: boolean; value?: { jobId: string } }; event?: string; payload?: { state?: string; result?: { read: number } } }> = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        messages.push(m);
        if (m.event === 'job.done') resolve();
      }),
    );
    const csv = (await import('node:fs')).readFileSync(sharedData('qsar/freesolv.csv'));
    ws.send(JSON.stringify({ id: 1, method: 'library.import', args: { source: { kind: 'upload', fileName: 'freesolv.csv', dataBase64: csv.toString('base64') }, library: 'fs' } }));
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
