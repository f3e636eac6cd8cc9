import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pidAlive } from '../util/process';

/**
 * A single-node Slurm cluster for tests, from Debian's slurm-wlm and munge: munged, slurmctld and slurmd
 * as root, everything (config, state, sockets, logs) in one folder and on free ports, so it touches nothing
 * of the machine's own setup and goes away with `stop()`.
 */
export interface SlurmCluster {
  /** SLURM_CONF for sbatch and friends. */
  env: NodeJS.ProcessEnv;
  logs(): string;
  /** Stops the daemons and waits for them to exit (up to 15 s). */
  stop(): Promise<void>;
}

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo', 'scontrol'];

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  return null;
}

/** Why a cluster cannot be started here (not root, packages missing), or null. */
export function slurmUnavailable(): string | null {
  if (process.platform !== 'linux') return 'Slurm runs on Linux only';
  if (process.getuid?.() !== 0) return 'starting slurmctld, slurmd and munged needs root';
  const missing = DAEMONS.filter((d) => !which(d));
  return missing.length ? `${missing.join(', ')} not installed (apt install slurm-wlm munge)` : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSlurm(dir: string): Promise<SlurmCluster> {
  for (const d of ['state', 'spool', 'log', 'run']) mkdirSync(join(dir, d), { recursive: true });
  const node = hostname().split('.')[0] as string;
  const [ctld, slurmd] = [await freePort(), await freePort()];
  const key = join(dir, 'run', 'munge.key');
  writeFileSync(key, randomBytes(1024));
  chmodSync(key, 0o400);
  const socket = join(dir, 'run', 'munge.sock');
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=delicate-test',
      `SlurmctldHost=${node}(127.0.0.1)`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      'SlurmUser=root',
      'SlurmdUser=root',
      `SlurmctldPort=${ctld}`,
      `SlurmdPort=${slurmd}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'run', 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'run', 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      'MpiDefault=none',
      'JobCompType=jobcomp/none',
      'AccountingStorageType=accounting_storage/none',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} RealMemory=2000 State=UNKNOWN`,
      'PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const run = (cmd: string, args: string[]) => execFileSync(which(cmd) as string, args, { env, stdio: 'pipe' });
  const logs = () =>
    readdirSync(join(dir, 'log'))
      .map(
        (f) =>
          `--- ${f}\n${readFileSync(join(dir, 'log', f), 'utf8')
            .split('\n')
            .slice(-30)
            .join('\n')}`,
      )
      .join('\n');
  const stop = async () => {
    spawnSync(which('scontrol') as string, ['shutdown'], { env, stdio: 'ignore' });
    const pids = ['slurmctld.pid', 'slurmd.pid', 'munged.pid']
      .map((f) => join(dir, 'run', f))
      .flatMap((f) => (existsSync(f) ? [Number(readFileSync(f, 'utf8').trim())] : []));
    for (const pid of pids) if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 150 && pids.some(pidAlive); i++) await sleep(100);
  };
  try {
    run('munged', [
      '--force',
      `--key-file=${key}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'run', 'munged.pid')}`,
      `--log-file=${join(dir, 'log', 'munged.log')}`,
      `--seed-file=${join(dir, 'run', 'munge.seed')}`,
    ]);
    run('slurmctld', ['-f', conf]);
    run('slurmd', ['-f', conf]);
    for (let i = 0; i < 60; i++) {
      const state = spawnSync(which('sinfo') as string, ['-h', '-o', '%t'], { env })
        .stdout?.toString()
        .trim();
      if (state === 'idle') return { env, logs, stop };
      await sleep(500);
    }
    throw new Error('the node did not come up idle within 30 s');
  } catch (err) {
    await stop();
    throw new Error(`Slurm did not start: ${(err as Error).message}\n${logs()}`);
  }
}
