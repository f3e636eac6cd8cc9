import { describe, expect, it } from 'vitest';
import { AppError } from '../../src-shared/errors';
import { openDatabase } from '../db/database';
import { JobRepo } from '../db/job-repo';
import { JobManager, PROGRESS_INTERVAL_MS } from './job-manager';

describe('JobManager', () => {
  it('starts a job after start() has answered, so even one that fails at once ends after its id is known', async () => {
    const said: string[] = [];
    const jobs = new JobManager(new JobRepo(openDatabase(':memory:')), (event, payload) =>
      said.push(`${event} ${'state' in payload ? payload.state : 'message' in payload ? payload.message : ''}`),
    );
    let started = false;
    const jobId = jobs.start('vs', {}, async () => {
      started = true;
      throw new AppError('INVALID_INPUT', "no usable 'nope' labels");
    });
    // The caller answers with the id on the microtasks that follow; nothing of the job runs before that.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(started).toBe(false);
    expect(said).toEqual([]);
    expect(jobs.get(jobId).state).toBe('running');
    await jobs.wait(jobId);
    expect(said).toEqual(['job.done failed']);
    expect(jobs.get(jobId)).toMatchObject({ kind: 'vs', state: 'failed', error: { code: 'INVALID_INPUT', message: "no usable 'nope' labels" } });
  });

  it('reports progress, and a cancel reaches the job as an aborted signal', async () => {
    const said: string[] = [];
    const jobs = new JobManager(new JobRepo(openDatabase(':memory:')), (event, payload) =>
      said.push(`${event} ${'state' in payload ? payload.state : 'message' in payload ? payload.message : ''}`),
    );
    const jobId = jobs.start('screen', {}, (ctx) => {
      ctx.progress({ done: 1, total: 2, rate: 1, etaSeconds: 1, message: 'half' });
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new AppError('CANCELLED', 'stopped')), { once: true }));
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(jobs.cancel(jobId)).toBe(true);
    await jobs.wait(jobId);
    expect(said).toEqual(['job.progress half', 'job.done cancelled']);
    expect(jobs.get(jobId).state).toBe('cancelled');
    expect(jobs.cancel(jobId)).toBe(false);
  });

  it("sends a fast job's progress at most every PROGRESS_INTERVAL_MS, every epoch, the newest word last, and nothing after its end", async () => {
    const said: Array<{ event: string; message: string }> = [];
    const jobs = new JobManager(new JobRepo(openDatabase(':memory:')), (event, payload) =>
      said.push({ event, message: 'message' in payload ? payload.message : 'state' in payload ? payload.state : '' }),
    );
    const point = (epoch: number) => ({ seed: 1, stage: 'teacher' as const, epoch, epochs: 2, loss: 1, valid: null });
    let release = () => {};
    const jobId = jobs.start('train', {}, async (ctx) => {
      for (let b = 1; b <= 500; b++) ctx.progress({ done: b, total: 1000, rate: 0, etaSeconds: null, message: `batch ${b}` });
      ctx.progress({ done: 500, total: 1000, rate: 0, etaSeconds: null, message: 'epoch 1', epoch: point(1) });
      for (let b = 501; b <= 1000; b++) ctx.progress({ done: b, total: 1000, rate: 0, etaSeconds: null, message: `batch ${b}` });
      // The newest skipped word follows once the interval is over.
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_INTERVAL_MS * 3));
      ctx.progress({ done: 1000, total: 1000, rate: 0, etaSeconds: null, message: 'epoch 2', epoch: point(2) });
      ctx.progress({ done: 1000, total: 1000, rate: 0, etaSeconds: null, message: 'saving' });
      await new Promise<void>((resolve) => (release = resolve));
      return 'ok';
    });
    // 'saving' came right after an epoch: it waits for the interval, and is sent while the job still runs.
    while (!said.some((x) => x.message === 'saving')) await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await jobs.wait(jobId);
    await new Promise((resolve) => setTimeout(resolve, PROGRESS_INTERVAL_MS * 2));
    const messages = said.map((s) => s.message);
    expect(messages[0]).toBe('batch 1');
    expect(messages).toContain('epoch 1');
    expect(messages).toContain('batch 1000');
    expect(messages.indexOf('batch 1000')).toBeLessThan(messages.indexOf('epoch 2'));
    expect(messages.slice(-2)).toEqual(['saving', 'done']);
    expect(said.length).toBeLessThan(20);
  });

  it('a skipped progress event is dropped, not sent, when the job ends first', async () => {
    const said: string[] = [];
    const jobs = new JobManager(new JobRepo(openDatabase(':memory:')), (event, payload) =>
      said.push(`${event} ${'message' in payload ? payload.message : ''}`),
    );
    const jobId = jobs.start('import', {}, async (ctx) => {
      ctx.progress({ done: 1, total: 2, rate: 0, etaSeconds: null, message: 'one' });
      ctx.progress({ done: 2, total: 2, rate: 0, etaSeconds: null, message: 'two' });
      return 'ok';
    });
    await jobs.wait(jobId);
    await new Promise((resolve) => setTimeout(resolve, PROGRESS_INTERVAL_MS * 2));
    expect(said).toEqual(['job.progress one', 'job.done ']);
  });

  it('lists the jobs it runs with their newest progress and every epoch so far, for a window opened later', async () => {
    const jobs = new JobManager(new JobRepo(openDatabase(':memory:')), () => undefined);
    let finish = () => {};
    const point = (epoch: number) => ({ seed: 1, stage: 'teacher' as const, epoch, epochs: 4, loss: 1 / epoch, valid: null });
    const jobId = jobs.start('train', { out: 'sol' }, async (ctx) => {
      ctx.progress({ done: 1, total: 4, rate: 0, etaSeconds: null, message: 'epoch 1', epoch: point(1) });
      ctx.progress({ done: 2, total: 4, rate: 0, etaSeconds: null, message: 'epoch 2', epoch: point(2) });
      ctx.progress({ done: 2, total: 4, rate: 0, etaSeconds: null, message: 'saving' });
      await new Promise<void>((resolve) => (finish = resolve));
      return { ok: true };
    });
    const done = jobs.start('import', { library: 'x' }, async () => 'imported');
    await jobs.wait(done);
    const [running, ...others] = jobs.running();
    expect(others).toEqual([]);
    expect(running).toMatchObject({
      jobId,
      kind: 'train',
      state: 'running',
      args: { out: 'sol' },
      progress: { message: 'saving', done: 2 },
      epochs: [point(1), point(2)],
    });
    // The whole history keeps both, with their arguments.
    expect(jobs.list().map((j) => [j.kind, j.state, j.args])).toEqual(
      expect.arrayContaining([
        ['import', 'done', { library: 'x' }],
        ['train', 'running', { out: 'sol' }],
      ]),
    );
    // One kind of job, the newest first: the training runs, whatever else ran since.
    expect(jobs.list('train').map((j) => [j.kind, j.args])).toEqual([['train', { out: 'sol' }]]);
    expect(jobs.list(undefined, 100, 'done').map((j) => j.kind)).toEqual(['import']);
    expect(jobs.list(undefined, 1)).toHaveLength(1);
    // A run from the command line is recorded done, with its outcome, and listed with the rest.
    const cli = jobs.recordDone('train', { out: 'cli-run' }, { recommended: null });
    expect(jobs.list('train')[0]).toMatchObject({ jobId: cli, kind: 'train', state: 'done', args: { out: 'cli-run' }, result: { recommended: null } });
    expect(jobs.running().map((j) => j.jobId)).toEqual([jobId]);
    finish();
    await jobs.wait(jobId);
    expect(jobs.running()).toEqual([]);
  });

  it('a job cancelled before its body starts never runs', async () => {
    const jobs = new JobManager(new JobRepo(openDatabase(':memory:')), () => undefined);
    let ran = false;
    const jobId = jobs.start('import', {}, async () => {
      ran = true;
    });
    expect(jobs.cancel(jobId)).toBe(true);
    await jobs.wait(jobId);
    expect(ran).toBe(false);
    expect(jobs.get(jobId)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED', message: 'import job cancelled before it started' } });
  });
});
