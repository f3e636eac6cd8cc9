import { describe, expect, it } from 'vitest';
import { threadCpuSeconds } from './cpu-time';

describe('threadCpuSeconds', () => {
  it.runIf(process.platform === 'linux')('counts this thread busy (never more than the wall time), not while it sleeps', () => {
    const t0 = threadCpuSeconds() as number;
    const wall0 = performance.now();
    let x = 0;
    // Busy until 0.2 CPU seconds are counted (or 20 s of wall time on a very loaded machine).
    while ((threadCpuSeconds() as number) - t0 < 0.2 && performance.now() - wall0 < 20_000) for (let i = 0; i < 100_000; i++) x += Math.sqrt(i + x);
    const busy = (threadCpuSeconds() as number) - t0;
    const wall = (performance.now() - wall0) / 1000;
    expect(x).toBeGreaterThan(0);
    expect(busy).toBeGreaterThanOrEqual(0.2);
    expect(busy).toBeLessThanOrEqual(wall + 0.02);
    // Blocked for 0.3 s (not awaiting a timer, when the test runner's own work on this thread may run and
    // count): a process-wide counter would go on counting the other threads' work; this thread's stays near zero.
    const t1 = threadCpuSeconds() as number;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    expect((threadCpuSeconds() as number) - t1).toBeLessThan(0.05);
  });
});
