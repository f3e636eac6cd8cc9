// A recording stand-in for the `electron` module, for the main-bundle smoke test (e2e/main-bundle.spec.ts).
// It reports what the app does (windows, IPC handlers, dialogs, quit/exit) to the test over the child
// process channel, and lets the test call the IPC handler as a trusted or untrusted page would.
import { EventEmitter } from 'node:events';

const report = (type, data = {}) => process.send?.({ type, ...data });
const handlers = new Map();
const windows = [];
const appEvents = new EventEmitter();
let nextId = 1;

class WebContents extends EventEmitter {
  constructor() {
    super();
    this.id = nextId++;
  }
  send(channel, ...args) {
    report('send', { channel, args });
  }
  setWindowOpenHandler() {}
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    this.destroyed = false;
    windows.push(this);
    report('window', { options });
  }
  async loadFile(file) {
    report('loadFile', { file });
    setTimeout(() => this.emit('ready-to-show'), 10);
  }
  async loadURL(url) {
    report('loadURL', { url });
    setTimeout(() => this.emit('ready-to-show'), 10);
  }
  show() {
    report('show');
  }
  isDestroyed() {
    return this.destroyed;
  }
  close() {
    this.destroyed = true;
    this.emit('closed');
    if (windows.every((w) => w.destroyed)) appEvents.emit('window-all-closed');
  }
}

export const ipcMain = {
  handle(channel, fn) {
    handlers.set(channel, fn);
    report('handle', { channel });
  },
  removeHandler(channel) {
    handlers.delete(channel);
  },
};

export const app = {
  isPackaged: false,
  enableSandbox() {
    report('enableSandbox');
  },
  on(event, fn) {
    appEvents.on(event, fn);
    return app;
  },
  whenReady() {
    return Promise.resolve();
  },
  getAppPath() {
    return process.cwd();
  },
  quit() {
    report('quit');
    setTimeout(() => process.exit(0), 50);
  },
  exit(code = 0) {
    report('exit', { code });
    setTimeout(() => process.exit(code), 50);
  },
};

export const dialog = {
  showErrorBox(title, content) {
    report('errorBox', { title, content });
  },
};

export const session = {
  defaultSession: {
    webRequest: {
      onHeadersReceived() {
        report('headersHook');
      },
    },
    setPermissionRequestHandler() {
      report('permissionHandler');
    },
  },
};

export const shell = { openExternal: async () => {} };

export default { app, BrowserWindow, dialog, ipcMain, session, shell };

// The test's side: call the IPC handler as the app's own page (trusted) or as another page, or close.
process.on('message', async (m) => {
  if (m.type === 'invoke') {
    const fn = handlers.get(m.channel);
    const win = windows[0];
    const event = m.trusted
      ? { sender: win.webContents, senderFrame: { url: 'file:///app/out/renderer/index.html' } }
      : { sender: new WebContents(), senderFrame: { url: 'https://evil.example/' } };
    const result = fn ? await fn(event, m.method, m.args) : { ok: false, error: { code: 'BUG', message: 'no handler' } };
    report('reply', { id: m.id, result });
  } else if (m.type === 'close') {
    for (const w of windows) w.close();
  }
});
