// The built Electron main bundle (out/main/index.js), run under plain Node with a recording stand-in for
// the `electron` module (e2e/electron-stub): it runs here, where no Electron binary can be downloaded.
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { CSP, CSP_META } from '../src-shared/csp';
import { root } from './host';

interface Msg {
  type: string;
  [k: string]: unknown;
}

/** The bundle as a child process: everything it reports, and a way to call its IPC handler. */
function launch(env: Record<string, string>) {
  const messages: Msg[] = [];
  const child: ChildProcess = fork(join(root, 'out/main/index.js'), [], {
    cwd: root,
    execArgv: ['--import', join(root, 'e2e/electron-stub/register.mjs')],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (m: Msg) => messages.push(m));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let nextId = 1;
  const invoke = async (method: string, args: unknown, trusted = true) => {
    const channel = messages.find((m) => m.type === 'handle')?.channel as string;
    const id = nextId++;
    child.send({ type: 'invoke', id, channel, method, args, trusted });
    await expect.poll(() => messages.some((m) => m.type === 'reply' && m.id === id), { timeout: 60_000 }).toBe(true);
    return (messages.find((m) => m.type === 'reply' && m.id === id) as Msg).result as {
      ok: boolean;
      value?: unknown;
      error?: { code: string; message: string };
    };
  };
  /** The payload of the 'job.done' event of a job. */
  const jobDone = async (jobId: string, timeout = 240_000) => {
    const find = () =>
      messages.find((m) => m.type === 'send' && (m.args as unknown[])[0] === 'job.done' && ((m.args as unknown[])[1] as { jobId: string }).jobId === jobId);
    await expect.poll(() => find() !== undefined, { timeout }).toBe(true);
    return ((find() as Msg).args as unknown[])[1] as { state: string; result: Record<string, unknown>; error: unknown };
  };
  return { child, messages, exited, invoke, jobDone };
}

test.describe('the built main bundle under a stand-in electron module', () => {
  test.skip(!existsSync(join(root, 'out/main/index.js')), 'the app is not built: `npm run build` runs before the e2e tests');
  let dir: string;
  test.beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'delicate-main-'));
  });
  test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('opens a sandboxed window at once, serves trusted IPC only, imports and screens on real workers, and quits', async () => {
    test.setTimeout(420_000);
    const app = launch({ DELICATE_DB: join(dir, 'app.db') });
    try {
      await expect.poll(() => app.messages.some((m) => m.type === 'handle'), { timeout: 60_000 }).toBe(true);
      const win = app.messages.find((m) => m.type === 'window') as Msg;
      const prefs = (win.options as { webPreferences: Record<string, unknown> }).webPreferences;
      expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true });
      expect(existsSync(prefs.preload as string)).toBe(true);
      const page = app.messages.find((m) => m.type === 'loadFile')?.file as string;
      expect(existsSync(page)).toBe(true);
      expect(app.messages.map((m) => m.type)).toEqual(expect.arrayContaining(['enableSandbox', 'headersHook', 'permissionHandler']));
      expect(app.messages.filter((m) => m.type === 'handle')).toHaveLength(1);

      // Another page's call is refused; the app's own page is served.
      expect(await app.invoke('library.list', {}, false)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
      expect(await app.invoke('library.list', {})).toEqual({ ok: true, value: { libraries: [] } });

      // The window came first; the shipped models are prepared after it, as a job with progress.
      await expect
        .poll(() => app.messages.some((m) => m.type === 'send' && ((m.args as unknown[])[1] as { kind?: string })?.kind === 'setup'), { timeout: 60_000 })
        .toBe(true);
      const setupJob = (
        (app.messages.find((m) => m.type === 'send' && ((m.args as unknown[])[1] as { kind?: string })?.kind === 'setup') as Msg).args as unknown[]
      )[1] as { jobId: string };
      expect((await app.jobDone(setupJob.jobId)).state).toBe('done');

      // An import and a screen through the handler, on the real worker threads of the bundle.
      const file = join(dir, 'mols.smi');
      writeFileSync(file, 'CCO ethanol\nc1ccccc1O phenol\nCC(=O)Oc1ccccc1C(=O)O aspirin\nnot-a-smiles bad\n');
      const imp = await app.invoke('library.import', { source: { kind: 'path', path: file }, library: 'mols' });
      expect(imp.ok).toBe(true);
      const imported = await app.jobDone((imp.value as { jobId: string }).jobId);
      expect(imported).toMatchObject({ state: 'done', result: { read: 4, imported: 3, rejected: 1 } });
      const screen = await app.invoke('screen.run', { library: 'mols', models: ['delicate-esol-student'] });
      expect(screen.ok).toBe(true);
      const screened = await app.jobDone((screen.value as { jobId: string }).jobId);
      expect(screened).toMatchObject({ state: 'done', result: { total: 3, scored: 3 } });

      app.child.send({ type: 'close' });
      expect(await app.exited).toBe(0);
      expect(app.messages.some((m) => m.type === 'quit')).toBe(true);
    } finally {
      app.child.kill();
    }
  });

  test('a start failure (a native module that will not load) shows a dialog and exits non-zero', async () => {
    const broken = join(dir, 'better_sqlite3.node');
    writeFileSync(broken, 'not a native module');
    const app = launch({ DELICATE_DB: join(dir, 'broken.db'), DELICATE_SQLITE_BINDING: broken });
    try {
      const code = await Promise.race([app.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
      expect(code).toBe(1);
      const box = app.messages.find((m) => m.type === 'errorBox') as Msg;
      expect(box).toMatchObject({ title: 'Delicate could not start', content: expect.stringMatching(/better_sqlite3\.node[\s\S]*npm start/) });
      expect(app.messages.some((m) => m.type === 'window')).toBe(false);
    } finally {
      app.child.kill();
    }
  });

  test('the built index.html carries the same Content-Security-Policy as host mode', () => {
    const html = readFileSync(resolve(root, 'out/renderer/index.html'), 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CSP_META);
    // Every directive of host mode's header, except frame-ancestors (a meta element cannot carry it).
    expect(CSP.split('; ').filter((d) => !d.startsWith('frame-ancestors'))).toEqual(meta?.split('; '));
  });
});
