import type { AppContext } from '../services/app-context';

/** What a command needs from the CLI around it: the services (opened on demand), output and the terminal. */
export interface CommandEnv {
  /** The services over the database `--db` names (or the default one), opened once per call. */
  context(db: string | boolean | undefined): Promise<AppContext>;
  /** Prints a result: its JSON under --json, else `human()`. */
  print(value: unknown, human: () => string): void;
  setJson(json: boolean): void;
  /** Progress and messages (stderr). */
  err(s: string): void;
  isTTY: boolean;
}
