import { type Progress, progressText } from '../../src-shared/progress';
import type { AppContext } from '../services/app-context';
import type { Client } from './contract';

/** What a command needs from the CLI around it: the services (opened on demand), output and the terminal. */
export interface CommandEnv {
  /**
   * The services over the database `--db` names (or the default one), opened once per call; warmSearch for
   * a long-lived server (libraries browsed are indexed for structure search in the background, and the
   * chemistry workers start at once); a command's chemistry workers start with its first chemistry task.
   */
  context(db: string | boolean | undefined, opts?: { warmSearch?: boolean }): Promise<AppContext>;
  /** The contract's methods over those services, their arguments checked by its schemas (as the app's are). */
  api(db: string | boolean | undefined): Promise<Client>;
  /** Prints a result: its JSON under --json, else `human()`. */
  print(value: unknown, human: () => string): void;
  setJson(json: boolean): void;
  /** Progress and messages (stderr). */
  err(s: string): void;
  isTTY: boolean;
}

/**
 * Prints a job's progress on stderr in the same words as the app (`progressText`): on a terminal one line
 * rewritten in place (`lines`: left standing, for stage messages), else a line per report.
 */
export function progressPrinter(env: Pick<CommandEnv, 'err' | 'isTTY'>, lines = false): (p: Pick<Progress, 'message' | 'etaSeconds'>) => void {
  return (p) => {
    const text = progressText(p);
    env.err(env.isTTY ? `\r${text}\x1b[K${lines ? '\n' : ''}` : `${text}\n`);
  };
}
