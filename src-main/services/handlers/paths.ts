import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { ImportSource } from '../../../src-shared/schemas';
import { AppError } from '../../../src-shared/errors';

/**
 * Which server paths a front end may name. The desktop app and the CLI act for the user on their own
 * machine (`any`); host mode serves a browser that may belong to someone else, so it takes files only as
 * uploads (`none`) or, with `serve --files DIR`, paths inside that one folder (`within`).
 */
export type PathPolicy = { kind: 'any' } | { kind: 'within'; dir: string } | { kind: 'none' };

/** The path to use for `path` under the policy, or INVALID_INPUT saying why it may not be named. */
export async function allowedPath(policy: PathPolicy, path: string, use: 'read' | 'write'): Promise<string> {
  if (policy.kind === 'any') return path;
  if (policy.kind === 'none') {
    throw new AppError(
      'INVALID_INPUT',
      use === 'read'
        ? 'host mode reads files only as uploads (start `delicate serve --files DIR` to allow paths inside DIR)'
        : 'host mode gives results only as downloads (start `delicate serve --files DIR` to allow writing inside DIR)',
    );
  }
  const dir = await realpath(policy.dir);
  const abs = resolve(dir, path);
  // Links are followed before the check: a link inside the folder that points outside it is refused too.
  const real = use === 'read' ? await realpath(abs).catch(() => abs) : join(await realpath(dirname(abs)).catch(() => dirname(abs)), basename(abs));
  const rel = relative(dir, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    throw new AppError('INVALID_INPUT', `${path}: host mode ${use === 'read' ? 'reads' : 'writes'} only inside ${policy.dir}`);
  return real;
}

/**
 * Runs `fn` on a materialised file; an error that names the file's temporary path (an upload's copy)
 * names it as the user knows it instead: server paths are never shown.
 */
export async function asNamed<T>(file: string, displayName: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (file === displayName || !(err instanceof Error) || !err.message.includes(file)) throw err;
    const message = err.message.split(file).join(displayName);
    throw err instanceof AppError ? new AppError(err.code, message, err.details) : new Error(message);
  }
}

/** An import source as a file on disk: a path as given, or an upload written to a temporary folder (host mode). */
export async function materialise(source: ImportSource, paths: PathPolicy): Promise<{ file: string; displayName: string; cleanup: () => Promise<void> }> {
  if (source.kind === 'path') return { file: await allowedPath(paths, source.path, 'read'), displayName: source.path, cleanup: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'delicate-upload-'));
  const displayName = basename(source.fileName);
  const file = join(dir, displayName);
  await writeFile(file, Buffer.from(source.dataBase64, 'base64'));
  return { file, displayName, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
