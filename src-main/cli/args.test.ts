import { describe, expect, it } from 'vitest';
import { withCtrlC } from './args';

describe('withCtrlC', () => {
  it("turns Ctrl-C into the job's cancel signal, says what cancelling keeps, and lets go of SIGINT after", async () => {
    const said: string[] = [];
    const before = process.listenerCount('SIGINT');
    const job = withCtrlC(
      (s) => said.push(s),
      'cancelling: kept',
      (signal) => new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('cancelled'), { once: true })),
    );
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT');
    await expect(job).resolves.toBe('cancelled');
    expect(said).toEqual(['\ncancelling: kept\n']);
    expect(process.listenerCount('SIGINT')).toBe(before);
    // A job that fails lets go too.
    await expect(
      withCtrlC(
        () => undefined,
        'x',
        async () => Promise.reject(new Error('boom')),
      ),
    ).rejects.toThrow('boom');
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
