import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app, dialog } from 'electron';
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

/**
 * The Electron build of better-sqlite3: packaged next to the app's resources, in development where
 * `npm start` (scripts/electron-setup.mjs) built it. Electron cannot load the Node build npm installs.
 */
function sqliteBinding(): string | null {
  const file = app.isPackaged
    ? join(process.resourcesPath, 'native', 'better_sqlite3.node')
    : join(app.getAppPath(), '.electron-native', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  return existsSync(file) ? file : null;
}

/** What to do about a start failure, in the user's terms. */
function startHint(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version|better_sqlite3\.node/.test(message)) {
    return app.isPackaged
      ? 'The database module does not match this build of Delicate. Reinstall Delicate.'
      : 'The database module is built for Node.js, not Electron. Run `npm start` (it builds the Electron copy next to the Node one) instead of starting Electron directly.';
  }
  if (/SQLITE_CANTOPEN|unable to open database|EACCES|EROFS/.test(message)) {
    return 'The database file cannot be opened or created. Check that its folder exists and is writable, or choose another file with DELICATE_DB.';
  }
  if (/newer than this Delicate/.test(message))
    return 'The database was written by a newer Delicate. Update Delicate, or open another database with DELICATE_DB.';
  return 'Delicate could not finish starting. The details above say what failed; please report them if they do not help.';
}

async function start(): Promise<void> {
  const dbPath = process.env.DELICATE_DB ?? defaultDbPath();
  // A packaged app carries resources/ (shipped models, examples) in its resources folder.
  if (app.isPackaged && !process.env.DELICATE_RESOURCES) process.env.DELICATE_RESOURCES = join(process.resourcesPath, 'resources');
  const binding = sqliteBinding();
  if (binding && !process.env.DELICATE_SQLITE_BINDING) process.env.DELICATE_SQLITE_BINDING = binding;
  // The window comes first; the shipped models are prepared after it, as a job with progress.
  ctx = new AppContext(dbPath, { shippedModels: 'later', warmSearch: true });
  for (const w of ctx.warnings) process.stderr.write(`warning: ${w}\n`);
  const router = createRouter(createHandlers(ctx), (msg, err) => process.stderr.write(`${msg}: ${String(err)}\n`));
  const win = createMainWindow(ctx, router);
  const context = ctx;
  win.once('ready-to-show', () => {
    try {
      context.registerShippedLater();
    } catch (err) {
      process.stderr.write(`warning: shipped models not registered: ${(err as Error).message}\n`);
    }
    context.fillDescriptorsLater();
  });
}

/** Any failure before the window is up: a dialog with the reason and what to do, then a non-zero exit. */
function failed(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`delicate: cannot start: ${err instanceof Error ? (err.stack ?? message) : message}\n`);
  dialog.showErrorBox('Delicate could not start', `${message}\n\n${startHint(err)}`);
  app.exit(1);
}

app.whenReady().then(start).catch(failed);

app.on('window-all-closed', () => {
  void (ctx?.close() ?? Promise.resolve()).finally(() => app.quit());
});
