import { contextBridge, ipcRenderer } from 'electron';
import { API_METHODS, type EventName, type Events, IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type Transport } from '../src-shared/contract';

/** window.api: exactly the contract's methods and events, nothing else (no raw ipcRenderer). */
const methods = new Set<string>(API_METHODS);

const api: Transport = {
  invoke: (method, args) => {
    if (!methods.has(method)) return Promise.resolve({ ok: false, error: { code: 'INVALID_INPUT', message: `unknown method ${method}` } });
    return ipcRenderer.invoke(IPC_INVOKE_CHANNEL, method, args);
  },
  on: <E extends EventName>(event: E, listener: (payload: Events[E]) => void) => {
    const handler = (_e: unknown, name: string, payload: Events[E]) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('api', api);
