// The import fuzz suite (issue 31): 1,000 seeded hostile files imported in one long-lived process.
// A larger run is a benchmark: `npm run bench -- fuzz` (counts in bench/results/fuzz.json).
import { afterAll, describe, expect, it } from 'vitest';
import { ChemPool } from '../chem/chem-pool';
import { openDatabase } from '../db/database';
import { runFuzz } from '../test/fuzz-run';
import { tempDir } from '../test/helpers';

const tmp = tempDir('delicate-fuzz-');
afterAll(() => tmp.cleanup());

describe('import fuzz suite', () => {
  it('1,000 hostile files: no crash, no intact good record lost, chemistry still correct after each', async () => {
    const db = openDatabase(':memory:');
    const chem = new ChemPool(2);
    try {
      const c = await runFuzz(db, chem, tmp.dir, 31, 1000);
      process.stdout.write(
        `fuzz: ${c.files} files (${c.imported} imported, ${c.refused} refused with a clear error), ${c.crashed} crashes, ${c.goodRecords} good records, ${c.goodLost} lost, ${c.recordsRejected} records rejected, ${c.chemistryBroken} chemistry failures, ${c.seconds.toFixed(1)} s\n`,
      );
      expect(c.failures).toEqual([]);
      expect(c.files).toBe(1000);
      expect(c.crashed).toBe(0);
      expect(c.goodLost).toBe(0);
      expect(c.chemistryBroken).toBe(0);
      // The suite is only worth something if it holds plenty of good records and refuses some files.
      expect(c.goodRecords).toBeGreaterThan(5000);
      expect(c.refused).toBeGreaterThan(20);
    } finally {
      await chem.close();
      db.close();
    }
  }, 900_000);
});
