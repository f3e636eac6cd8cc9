import { homedir } from 'node:os';
import { join } from 'node:path';

/** The default database: one file per user in the app-data folder; DELICATE_DB overrides it. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DELICATE_DB) return env.DELICATE_DB;
  const base =
    process.platform === 'win32'
      ? (env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'))
      : process.platform === 'darwin'
        ? join(homedir(), 'Library', 'Application Support')
        : (env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'));
  return join(base, 'Delicate', 'delicate.db');
}
