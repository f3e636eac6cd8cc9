import tseslint from 'typescript-eslint';

/**
 * Layering (DESIGN.md): src-shared ← chem ← model ← train/screen ← services ← ipc/host/cli/app; db is used
 * by services only; the renderer imports only src-shared and its own code; only app/ (and the preload)
 * import electron.
 */
const restrict = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const electron = { group: ['electron'], message: 'Only src-main/app (and the preload) may import electron.' };
const up = (dirs, why) => ({ group: dirs.map((d) => `**/${d}/**`), message: why });

export default tseslint.config(
  { ignores: ['scratch/**', 'out/**', 'node_modules/**', 'bench/results/**', 'test-results/**', 'playwright-report/**', 'e2e/artifacts/**', 'src-renderer/**/*.svelte'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  restrict(['src-shared/**'], [
    { group: ['node:*', 'electron', 'better-sqlite3', '**/src-main/**', '**/src-renderer/**'], message: 'src-shared is pure TypeScript: no Node, Electron, DOM or app imports.' },
  ]),
  restrict(['src-main/chem/**'], [electron, up(['db', 'services', 'ipc', 'host', 'cli', 'app', 'jobs', 'model', 'train', 'screen'], 'chem sits at the bottom: it imports only src-shared.')]),
  restrict(['src-main/model/**'], [electron, up(['db', 'services', 'ipc', 'host', 'cli', 'app', 'train', 'screen'], 'model may import chem and src-shared only.')]),
  restrict(['src-main/train/**', 'src-main/screen/**'], [electron, up(['db', 'services', 'ipc', 'host', 'cli', 'app'], 'train/screen import model, chem and src-shared; storage goes through services.')]),
  restrict(['src-main/import/**'], [electron, up(['db', 'services', 'ipc', 'host', 'cli', 'app'], 'import readers are pure parsing: no storage or front ends.')]),
  restrict(['src-main/db/**', 'src-main/jobs/**'], [electron, up(['services', 'ipc', 'host', 'cli', 'app'], 'db and jobs are used by services, not the other way round.')]),
  restrict(['src-main/services/**'], [electron, up(['ipc', 'host', 'cli', 'app'], 'services know no front end.')]),
  restrict(['src-main/ipc/**', 'src-main/host/**', 'src-main/cli/**'], [electron, up(['db'], 'front ends reach the database through services.')]),
  restrict(['src-renderer/**'], [
    { group: ['**/src-main/**', '**/src-preload/**', 'node:*', 'electron', 'better-sqlite3'], message: 'The renderer imports only src-shared and its own code.' },
  ]),
  restrict(['bench/**', 'e2e/**', 'scripts/**', 'bin/**'], []),
);
