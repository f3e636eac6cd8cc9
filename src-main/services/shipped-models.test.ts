import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers';
import { AppContext, shippedModelsDir } from './app-context';
import { BASE_TEACHER } from './models';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('shipped base models', () => {
  it('are registered on first open, once, and never downloaded', async () => {
    expect(shippedModelsDir()).toMatch(/resources[/\\]models$/);
    const path = join(tmp.dir, 'fresh.db');
    const app = new AppContext(path, { chemWorkers: 1 });
    const teacher = app.models.list().find((m) => m.name === BASE_TEACHER);
    expect(teacher).toMatchObject({ kind: 'pretrained', state: 'ready', layers: 12, hidden: 128 });
    // The model card's numbers travel with the model.
    expect(teacher?.metrics.mlmAccuracy).toBeGreaterThan(0.6);
    expect(app.warnings).toEqual([]);
    await app.close();
    const again = new AppContext(path, { chemWorkers: 1 });
    expect(again.models.list().filter((m) => m.name === BASE_TEACHER)).toHaveLength(1);
    await again.close();
    const bare = new AppContext(join(tmp.dir, 'bare.db'), { chemWorkers: 1, shippedModels: false });
    expect(bare.models.list()).toEqual([]);
    await bare.close();
  });
});
