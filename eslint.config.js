import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';
import svelteConfig from './svelte.config.mjs';

/**
 * Layering (docs/ARCHITECTURE.md): src-shared ← util ← chem ← model ← train/screen ← services ← ipc/host/cli/app;
 * import is pure parsing; db and jobs are used by services (db imports the lower layers' types only); front
 * ends reach training through services, never train/ itself; the renderer (its .svelte files included)
 * imports only src-shared and its own code; only app/ (and the preload) import electron.
 */
const restrict = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const electron = { group: ['electron'], message: 'Only src-main/app (and the preload) may import electron.' };
const up = (dirs, why) => ({ group: dirs.map((d) => `**/${d}/**`), message: why });
/**
 * `restrict`, and the `typesFrom` layers may be imported for their types only (`import type`): a repo
 * stores what training makes, a front end prints what a service returns, but neither runs that code.
 */
const typeOnly = (files, patterns, typesFrom, except = []) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          ...patterns,
          {
            group: [...typesFrom.map((d) => `**/${d}/**`), ...except],
            message: `${typesFrom.join(', ')}: types only here (import type); the code runs through services.`,
            allowTypeImports: true,
          },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['scratch/**', 'out/**', 'node_modules/**', 'bench/results/**', 'test-results/**', 'playwright-report/**', 'e2e/artifacts/**'] },
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    // The components' TypeScript, parsed as TypeScript.
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { projectService: false, extraFileExtensions: ['.svelte'], parser: tseslint.parser, svelteConfig } },
    // {' '} keeps a space at the edge of a block, which Svelte 5 trims otherwise.
    rules: { 'svelte/no-useless-mustaches': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  restrict(
    ['src-shared/**'],
    [
      {
        group: ['node:*', 'electron', 'better-sqlite3', '**/src-main/**', '**/src-renderer/**'],
        message: 'src-shared is pure TypeScript: no Node, Electron, DOM or app imports.',
      },
    ],
  ),
  restrict(
    ['src-main/util/**'],
    [
      electron,
      up(
        ['chem', 'model', 'train', 'screen', 'import', 'db', 'jobs', 'services', 'ipc', 'host', 'cli', 'app'],
        'util holds helpers every layer uses: it imports only src-shared and Node.',
      ),
    ],
  ),
  restrict(
    ['src-main/chem/**'],
    [
      electron,
      up(
        ['db', 'services', 'ipc', 'host', 'cli', 'app', 'jobs', 'model', 'train', 'screen', 'import'],
        'chem sits at the bottom: it imports only src-shared and util.',
      ),
    ],
  ),
  restrict(
    ['src-main/model/**'],
    [electron, up(['db', 'services', 'ipc', 'host', 'cli', 'app', 'jobs', 'train', 'screen', 'import'], 'model may import chem, util and src-shared only.')],
  ),
  restrict(
    ['src-main/train/**', 'src-main/screen/**'],
    [
      electron,
      up(
        ['db', 'services', 'ipc', 'host', 'cli', 'app', 'jobs'],
        'train/screen import model, chem, import, util and src-shared; storage and jobs go through services.',
      ),
    ],
  ),
  restrict(
    ['src-main/import/**'],
    [
      electron,
      up(
        ['db', 'services', 'ipc', 'host', 'cli', 'app', 'jobs', 'model', 'train', 'screen'],
        'import readers are pure parsing: chem, util and src-shared only.',
      ),
    ],
  ),
  typeOnly(
    ['src-main/db/**'],
    [electron, up(['services', 'ipc', 'host', 'cli', 'app', 'jobs'], 'db is used by services, not the other way round.')],
    ['chem', 'model', 'train', 'screen', 'import'],
  ),
  restrict(
    ['src-main/jobs/**'],
    [
      electron,
      up(
        ['services', 'ipc', 'host', 'cli', 'app', 'train', 'screen', 'model', 'chem', 'import'],
        'jobs run what services give them: they import db (their own rows), util and src-shared only.',
      ),
    ],
  ),
  restrict(['src-main/services/**'], [electron, up(['ipc', 'host', 'cli', 'app'], 'services know no front end.')]),
  typeOnly(
    ['src-main/ipc/**', 'src-main/host/**', 'src-main/cli/**'],
    [electron, up(['db', 'jobs'], 'front ends reach the database and jobs through services.')],
    ['train', 'screen', 'model', 'chem'],
    [
      // The training settings and their defaults are plain data a front end fills in.
      '!**/train/settings',
      '!**/train/qsar-settings',
    ],
  ),
  restrict(
    ['src-renderer/**'],
    [
      {
        group: ['**/src-main/**', '**/src-preload/**', 'node:*', 'electron', 'better-sqlite3'],
        message: 'The renderer imports only src-shared and its own code.',
      },
    ],
  ),
  restrict(['bench/**', 'e2e/**', 'scripts/**', 'bin/**'], []),
);
