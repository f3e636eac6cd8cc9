import { readFileSync } from 'node:fs';

/** Linux reports thread CPU time in clock ticks of 1/100 s (USER_HZ, the same on every Linux ABI Node runs on). */
const USER_HZ = 100;

/**
 * CPU seconds the calling thread has run (user + system), or null where the OS does not say (non-Linux).
 * Unlike wall time it does not grow when other processes share the cores, so training throughput per CPU
 * second can be compared between runs made under different loads. Node 20 has no per-thread API
 * (process.cpuUsage counts every thread), so this reads /proc/thread-self/stat: a worker thread gets its own.
 * Resolution is 10 ms: sum it over many steps.
 */
export function threadCpuSeconds(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the command name (which may contain spaces) in parentheses: state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : null;
  } catch {
    return null;
  }
}
