import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// Registers every gradient function: the node bundle of tfjs-core ships none (research, section 1).
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendStatus } from '../../../src-shared/dto';
import { patchWasmKernels } from './wasm-kernels';

export { tf };

export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendReport {
  /** The backend in use. */
  selected: BackendName;
  /** Every candidate in preference order, with why it was or was not used. */
  backends: BackendStatus[];
}

const nodeRequire = createRequire(import.meta.url);

/** Finds a shared library on the loader path (ldconfig cache, LD_LIBRARY_PATH, or PATH on Windows). */
function findSharedLibrary(names: string[]): string | null {
  const dirs = (process.env[process.platform === 'win32' ? 'PATH' : 'LD_LIBRARY_PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const d of dirs) for (const n of names) if (existsSync(join(d, n))) return join(d, n);
  if (process.platform === 'linux') {
    try {
      const cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      for (const n of names) if (cache.includes(n)) return n;
    } catch {
      // no ldconfig (e.g. a minimal container): the loader path above was all we could check
    }
  }
  return null;
}

/**
 * Why tfjs-node-gpu cannot use a GPU here, or null when its CUDA libraries are present. It is built
 * against CUDA 11.2 and cuDNN 8; without exactly those it loads and silently runs on the CPU.
 */
function cudaProblem(): string | null {
  if (process.platform !== 'linux' && process.platform !== 'win32') return `no CUDA build of tfjs-node-gpu for ${process.platform}`;
  const win = process.platform === 'win32';
  const missing: string[] = [];
  if (!findSharedLibrary(win ? ['cudart64_110.dll'] : ['libcudart.so.11.0'])) missing.push('CUDA 11.x runtime (libcudart.so.11.0)');
  if (!findSharedLibrary(win ? ['cudnn64_8.dll'] : ['libcudnn.so.8'])) missing.push('cuDNN 8 (libcudnn.so.8)');
  return missing.length ? `${missing.join(' and ')} not found; tfjs-node-gpu is built against CUDA 11.2 and would silently run on the CPU` : null;
}

/** Explains a failed require of a native tfjs package in words a user can act on. */
function nativeLoadProblem(pkg: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Cannot find module '@tensorflow\/tfjs-node(-gpu)?'/.test(msg) || ((err as { code?: string }).code === 'MODULE_NOT_FOUND' && msg.includes(`'${pkg}'`))) {
    return `${pkg} is not installed (optional dependency; its install downloads libtensorflow, which needs internet access)`;
  }
  if (/libtensorflow|tfjs_binding|napi-v\d/.test(msg))
    return `${pkg} is installed but its native binding is missing (libtensorflow was not downloaded): ${msg.split('\n')[0]}`;
  return `${pkg} failed to load: ${msg.split('\n')[0]}`;
}

let current: BackendReport | null = null;

/** The requested backend: the argument, else $DELICATE_BACKEND, else automatic. */
function requested(prefer?: BackendName | 'auto'): BackendName | 'auto' {
  const p = prefer ?? (process.env.DELICATE_BACKEND as BackendName | undefined) ?? 'auto';
  if (p !== 'auto' && !BACKEND_NAMES.includes(p)) throw new Error(`unknown compute backend '${p}' (DELICATE_BACKEND): use one of ${BACKEND_NAMES.join(', ')}`);
  return p;
}

/**
 * Chooses and initialises the TF.js backend: tfjs-node-gpu, then tfjs-node, then WASM with Delicate's
 * kernel fixes, then CPU; a forced choice fails loudly instead of falling back. Idempotent per process.
 */
export async function initTf(prefer?: BackendName | 'auto', opts: { stockWasmKernels?: boolean } = {}): Promise<BackendReport> {
  const want = requested(prefer);
  if (current && (want === 'auto' || current.selected === want)) return current;
  const statuses = new Map<BackendName, { available: boolean; reason: string }>();
  let selected: BackendName | null = null;
  const tryNative = (name: 'tfjs-node-gpu' | 'tfjs-node') => {
    const pkg = `@tensorflow/${name}`;
    if (name === 'tfjs-node-gpu') {
      const problem = cudaProblem();
      if (problem) return statuses.set(name, { available: false, reason: problem });
    }
    try {
      nodeRequire(pkg);
      statuses.set(name, {
        available: true,
        reason: name === 'tfjs-node-gpu' ? 'libtensorflow with CUDA loaded' : 'libtensorflow (CPU, multi-threaded) loaded',
      });
    } catch (err) {
      statuses.set(name, { available: false, reason: nativeLoadProblem(pkg, err) });
    }
  };
  for (const name of BACKEND_NAMES) {
    if (selected && want === 'auto') {
      statuses.set(name, { available: true, reason: `not needed: ${selected} is preferred` });
      continue;
    }
    if (want !== 'auto' && want !== name) {
      statuses.set(name, { available: false, reason: `not requested (DELICATE_BACKEND=${want})` });
      continue;
    }
    if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
      tryNative(name);
      if (statuses.get(name)?.available && (await tf.setBackend('tensorflow'))) selected = name;
      continue;
    }
    if (name === 'wasm') {
      // Stock kernels only for the benchmark that measures what the fixes are worth.
      patchWasmKernels({ batchMatMul: !opts.stockWasmKernels });
      if (await tf.setBackend('wasm')) {
        selected = 'wasm';
        const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
        const fixes = opts.stockWasmKernels ? 'stock BatchMatMul (benchmark only)' : "Delicate's BatchMatMul and UnsortedSegmentSum fixes";
        statuses.set(name, { available: true, reason: `WebAssembly${simd ? ' with SIMD' : ' without SIMD (slower)'}, 1 thread, ${fixes}` });
      } else statuses.set(name, { available: false, reason: 'the WebAssembly module failed to initialise' });
      continue;
    }
    if (await tf.setBackend('cpu')) {
      selected = 'cpu';
      // The CPU backend prints a banner suggesting tfjs-node on first use; the doctor report says it better.
      (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
      statuses.set(name, { available: true, reason: 'pure JavaScript, about 40x slower than WASM' });
    } else statuses.set(name, { available: false, reason: 'failed to initialise' });
  }
  if (!selected) {
    const why = [...statuses].map(([n, s]) => `${n}: ${s.reason}`).join('; ');
    throw new Error(`no compute backend could start (${why})`);
  }
  await tf.ready();
  current = {
    selected,
    backends: BACKEND_NAMES.map((name) => ({ name, selected: name === selected, ...(statuses.get(name) ?? { available: false, reason: 'not tried' }) })),
  };
  return current;
}

/** Switches to a named backend in this process (tests compare wasm against cpu). */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') patchWasmKernels();
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  if (name === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}
