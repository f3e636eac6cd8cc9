import type { ApiMethod, ApiReturn } from '../../src-shared/contract';
import { type ArgsOf, schemas } from '../../src-shared/schemas';
import { UsageError } from './args';

/** A command's way into the services: an `Api` method called with arguments the contract's schema has checked. */
export type Client = <M extends ApiMethod>(method: M, args: ArgsOf<M>) => Promise<ApiReturn<M>>;

/** Argument fields whose flag is not their own name in kebab-case. */
const FLAG_OF: Partial<Record<string, string>> = {
  source: 'FILE',
  data: '--data',
  ranges: '--range',
  filters: '--range/--where',
  models: '--model',
  labelCol: '--label-col',
  timeBudgetMinutes: '--time-budget',
  shareLayers: '--share-layers',
  ids: 'the matching compounds',
  name: 'NAME',
};

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The flag (or positional) an argument comes from; a recipe setting is a flag of its own (`settings.lr` → --lr). */
export function flagOf(path: readonly PropertyKey[]): string {
  const [head, sub] = path.map(String);
  if (head === undefined) return '';
  if (head === 'settings' && sub !== undefined) return `--${kebab(sub)}`;
  return FLAG_OF[head] ?? `--${kebab(head)}`;
}

/**
 * The arguments of `method` checked by the contract's own schema, as the app's calls are: the rules live
 * there once. A broken one is a usage error naming the flag.
 */
export function checked<M extends ApiMethod>(method: M, args: ArgsOf<M>): ArgsOf<M> {
  const parsed = schemas[method].safeParse(args);
  if (parsed.success) return parsed.data as ArgsOf<M>;
  const issue = parsed.error.issues[0];
  const flag = issue ? flagOf(issue.path) : '';
  const message = issue?.message ?? 'invalid arguments';
  throw new UsageError(flag ? `${flag}: ${message}` : message);
}

/** A number flag as the contract takes it: absent stays absent, anything else is `Number(value)` (NaN fails the schema). */
export function num(value: string | boolean | undefined): number | undefined {
  return value === undefined || typeof value === 'boolean' ? undefined : Number(value);
}
