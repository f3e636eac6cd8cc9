import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer rules of eslint.config.js (docs/ARCHITECTURE.md), checked on planted imports: each must be
// flagged where it breaks a rule and pass where it keeps it.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? []).filter((m) => /no-restricted-imports/.test(m.ruleId ?? '')).map((m) => m.message);
}

describe('layer rules', () => {
  it('flag a component importing the main process, and pass one importing src-shared', async () => {
    const planted = `<script lang="ts">\n  import { AppContext } from '../../../../src-main/services/app-context';\n  console.info(AppContext);\n</script>\n`;
    expect(await layerErrors('src-renderer/src/features/libraries/Planted.svelte', planted)).toEqual([
      expect.stringContaining('The renderer imports only src-shared'),
    ]);
    const fine = `<script lang="ts">\n  import { describeRun } from '../../../../src-shared/runs';\n  console.info(describeRun);\n</script>\n`;
    expect(await layerErrors('src-renderer/src/features/libraries/Planted.svelte', fine)).toEqual([]);
  }, 60_000);

  it('flag training importing jobs, and a front end or db running training code (types pass)', async () => {
    expect(await layerErrors('src-main/train/planted.ts', "import { JobManager } from '../jobs/job-manager';\nexport const j = JobManager;\n")).toEqual([
      expect.stringContaining('jobs go through services'),
    ]);
    expect(await layerErrors('src-main/cli/planted.ts', "import { runQsar } from '../train/qsar';\nexport const r = runQsar;\n")).toEqual([
      expect.stringContaining('types only here'),
    ]);
    expect(
      await layerErrors(
        'src-main/cli/planted.ts',
        "import type { QsarResult } from '../train/qsar';\nimport { DEFAULT_QSAR } from '../train/qsar-settings';\nexport const r: QsarResult | null = null;\nexport const d = DEFAULT_QSAR;\n",
      ),
    ).toEqual([]);
    expect(await layerErrors('src-main/db/planted.ts', "import { runQsar } from '../train/qsar';\nexport const r = runQsar;\n")).toEqual([
      expect.stringContaining('types only here'),
    ]);
    expect(await layerErrors('src-main/db/planted.ts', "import { AppContext } from '../services/app-context';\nexport const a = AppContext;\n")).toEqual([
      expect.stringContaining('db is used by services'),
    ]);
  }, 60_000);
});
