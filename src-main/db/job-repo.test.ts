import { describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import { JobRepo } from './job-repo';

describe('JobRepo', () => {
  it('marks only jobs of dead processes as interrupted', () => {
    const db = openDatabase(':memory:');
    const jobs = new JobRepo(db);
    jobs.create('mine', 'import', {});
    jobs.create('dead', 'import', {});
    jobs.create('alive', 'import', {});
    db.prepare('UPDATE jobs SET owner_pid = ? WHERE id = ?').run(999_999_1, 'dead');
    db.prepare('UPDATE jobs SET owner_pid = ? WHERE id = ?').run(424242, 'alive');
    // Live: this process's, or another live one's; a gone process's job is not, before and after it is marked.
    const alive = (pid: number) => pid === 424242;
    expect(['mine', 'alive', 'dead', 'none'].map((id) => jobs.isLive(id, alive))).toEqual([true, true, false, false]);
    expect(jobs.markInterrupted(alive)).toBe(1);
    expect(jobs.isLive('dead', alive)).toBe(false);
    expect(jobs.get('dead')).toMatchObject({ state: 'failed', error: { code: 'CANCELLED' } });
    expect(jobs.get('alive')?.state).toBe('running');
    expect(jobs.get('mine')?.state).toBe('running');
    jobs.finish('mine', 'done', { n: 1 }, null);
    expect(jobs.get('mine')).toMatchObject({ state: 'done', result: { n: 1 }, error: null });
    expect(jobs.isLive('mine', alive)).toBe(false);
  });
});
