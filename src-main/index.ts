import { join } from 'node:path';
import { app } from 'electron';
import { createMainWindow } from './app/window';
import { createRouter } from './ipc/router';
import { AppContext, createHandlers, defaultDbPath } from './services/app-context';

/** Electron composition root: one context, one router, one window. All logic lives in plain-Node modules. */
app.enableSandbox();
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

let ctx: AppContext | null = null;

// A failure nobody awaited is logged; it must not take the app (and the user's running jobs) down.
process.on('unhandledRejection', (err) => {
  process.stderr.write(`delicate: unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
});

void app.whenReady().then(() => {
  const dbPath = process.env.DELICATE_DB ?? defaultDbPath();
  // A packaged app carries resources/ (shipped models, examples) in its resources folder.
  if (app.isPackaged && !process.env.DELICATE_RESOURCES) process.env.DELICATE_RESOURCES = join(process.resourcesPath, 'resources');
  ctx = new AppContext(dbPath);
  for (const w of ctx.warnings) process.stderr.write(`warning: ${w}\n`);
  const router = createRouter(createHandlers(ctx), (msg, err) => process.stderr.write(`${msg}: ${String(err)}\n`));
  createMainWindow(ctx, router);
});

app.on('window-all-closed', () => {
  void (ctx?.close() ?? Promise.resolve()).finally(() => app.quit());
});
