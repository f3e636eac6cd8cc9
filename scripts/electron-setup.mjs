#!/usr/bin/env node
// Prepares `npm start`, `npm run dev` and `npm run package` (plain Node, no TypeScript):
//   1. the Electron binary: Electron 45 has no install script; it downloads its binary on first use. This
//      fetches it once, the way Electron's own `install-electron` does (GitHub, or ELECTRON_MIRROR);
//   2. an Electron build of better-sqlite3 in .electron-native/, BESIDE the Node build that `npm ci`
//      compiled: the CLI, `delicate serve` and `npm test` keep using the Node one, the desktop app loads
//      this one (src-main/index.ts → DELICATE_SQLITE_BINDING). Nothing in node_modules is rebuilt.
// Both steps need the internet once; afterwards they are checks that take milliseconds.
// `node scripts/electron-setup.mjs --check` only reports what is there (exit 1 when something is missing).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const check = process.argv.includes('--check');

const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = require('electron/package.json').version;
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'));
const sqliteVersion = require('better-sqlite3/package.json').version;
const nativeDir = join(root, '.electron-native', 'better-sqlite3');
const nativeFile = join(nativeDir, 'build', 'Release', 'better_sqlite3.node');
const stampFile = join(nativeDir, 'delicate-stamp.json');
const stamp = JSON.stringify({ electron: electronVersion, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch });

const OFFLINE = [
  'Where this machine cannot reach GitHub:',
  `  - put electron-v${electronVersion}-${process.platform}-${process.arch}.zip into Electron's download cache (electron_config_cache), or`,
  `  - set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron ${electronVersion}, and copy an Electron build of better-sqlite3 ${sqliteVersion}`,
  `    to ${nativeFile};`,
  '  - or run the same app in Chromium without Electron: `npm run serve` (host mode).',
].join('\n');

function fail(message, offlineHint = true) {
  process.stderr.write(`\nelectron-setup: ${message}\n${offlineHint ? `${OFFLINE}\n` : ''}`);
  process.exit(1);
}

function electronInstalled() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return existsSync(process.env.ELECTRON_OVERRIDE_DIST_PATH);
  const pathFile = join(electronDir, 'path.txt');
  return existsSync(pathFile) && existsSync(join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()));
}

function nativeReady() {
  return existsSync(nativeFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
}

if (check) {
  const e = electronInstalled();
  const n = nativeReady();
  process.stdout.write(
    `Electron ${electronVersion} binary: ${e ? 'present' : 'missing'}\nbetter-sqlite3 ${sqliteVersion} for Electron: ${n ? nativeFile : 'missing'}\n`,
  );
  process.exit(e && n ? 0 : 1);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  fail(
    `Electron ${electronVersion}'s download tooling needs Node.js 22.12 or newer (this is ${process.versions.node}). The CLI, host mode (\`npm run serve\`) and the tests run on Node 20.19+.`,
    false,
  );
}

// 1. The Electron binary.
if (!electronInstalled()) {
  process.stdout.write(`electron-setup: downloading the Electron ${electronVersion} binary (once)…\n`);
  const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit' });
  if (r.status !== 0 || !electronInstalled()) fail(`could not download the Electron ${electronVersion} binary.`);
}

// 2. better-sqlite3 for Electron's ABI, in its own folder.
if (!nativeReady()) {
  process.stdout.write(`electron-setup: getting better-sqlite3 ${sqliteVersion} built for Electron ${electronVersion} (once)…\n`);
  rmSync(nativeDir, { recursive: true, force: true });
  mkdirSync(nativeDir, { recursive: true });
  for (const part of ['package.json', 'binding.gyp', 'lib', 'src', 'deps']) cpSync(join(sqliteDir, part), join(nativeDir, part), { recursive: true });
  const env = { ...process.env, npm_config_runtime: 'electron', npm_config_target: electronVersion, npm_config_disturl: 'https://electronjs.org/headers' };
  // A prebuilt binary first (seconds), else a compile against Electron's headers (a C++ toolchain, minutes).
  const prebuilt = spawnSync(
    process.execPath,
    [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch, '--platform', process.platform],
    { cwd: nativeDir, stdio: 'inherit', env },
  );
  if (prebuilt.status !== 0 || !existsSync(nativeFile)) {
    process.stdout.write("electron-setup: no prebuilt binary; compiling it against Electron's headers…\n");
    const built = spawnSync(
      'npx',
      ['--yes', 'node-gyp@11.5.0', 'rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'],
      { cwd: nativeDir, stdio: 'inherit', env, shell: process.platform === 'win32' },
    );
    if (built.status !== 0 || !existsSync(nativeFile)) fail(`could not get better-sqlite3 ${sqliteVersion} built for Electron ${electronVersion}.`);
  }
  writeFileSync(stampFile, stamp);
}

process.stdout.write(`electron-setup: Electron ${electronVersion} and its better-sqlite3 are ready (the Node build in node_modules is untouched).\n`);
