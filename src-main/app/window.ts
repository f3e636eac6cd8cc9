import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, app, ipcMain, session, shell } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../src-shared/contract';
import { CSP } from '../../src-shared/csp';
import type { Router } from '../ipc/router';
import type { AppContext } from '../services/app-context';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The one window: sandboxed, context-isolated, no Node in the page, strict CSP, no navigation away. */
export function createMainWindow(ctx: AppContext, router: Router): BrowserWindow {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    show: false,
    title: 'Delicate',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());

  const rendererUrl = process.env.ELECTRON_RENDERER_URL;
  const trusted = (frameUrl: string) => (rendererUrl ? frameUrl.startsWith(rendererUrl) : frameUrl.startsWith('file://'));
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, method: unknown, args: unknown) => {
    // Only our own page may call in.
    if (event.sender !== win.webContents || !event.senderFrame || !trusted(event.senderFrame.url)) {
      return { ok: false, error: { code: 'UNAUTHORIZED', message: 'untrusted sender' } };
    }
    return router(String(method), args);
  });
  const off = ctx.onEvent((name, payload) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });
  win.on('closed', () => {
    off();
    ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
  });

  if (rendererUrl) void win.loadURL(rendererUrl);
  else void win.loadFile(join(here, '../renderer/index.html'));
  void app;
  return win;
}
