import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('packaging configuration', () => {
  it('targets Linux, macOS and Windows and carries the shipped models and the native modules', () => {
    const cfg = JSON.parse(readFileSync(join(root, 'electron-builder.json'), 'utf8'));
    expect(cfg.linux.target).toEqual(['AppImage', 'deb']);
    expect(cfg.mac.target).toEqual(['dmg']);
    expect(cfg.win.target).toEqual(['nsis']);
    expect(cfg.extraResources).toContainEqual(expect.objectContaining({ from: 'resources', to: 'resources' }));
    expect(cfg.asarUnpack).toEqual(expect.arrayContaining(['node_modules/better-sqlite3/**', 'node_modules/onnxruntime-node/**']));
    // Every shipped model has its card, and the base teacher ships.
    const models = join(root, 'resources/models');
    const shipped = readdirSync(models).filter((f) => f.endsWith('.dlcm'));
    expect(shipped).toContain('delicate-base-teacher.dlcm');
    for (const f of shipped) expect(existsSync(join(models, f.replace(/\.dlcm$/, '.md')))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.package).toMatch(/electron-builder/);
    // The Electron binary and the Electron build of better-sqlite3 come first, beside (not over) the Node build.
    for (const script of ['start', 'dev', 'package', 'rebuild:electron']) expect(pkg.scripts[script], script).toMatch(/^node scripts\/electron-setup\.mjs/);
    expect(cfg.npmRebuild).toBe(false);
    expect(cfg.extraResources).toContainEqual({ from: '.electron-native/better-sqlite3/build/Release/better_sqlite3.node', to: 'native/better_sqlite3.node' });
  });

  it("builds a deb (maintainer, author, homepage, icon), one platform's ONNX Runtime per installer, no dev tools, fuses", () => {
    const cfg = JSON.parse(readFileSync(join(root, 'electron-builder.json'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.author.email).toMatch(/@/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(cfg.linux.maintainer).toMatch(/<.+@.+>/);
    for (const os of ['linux', 'mac', 'win']) expect(existsSync(join(root, cfg[os].icon)), os).toBe(true);
    const ort = readdirSync(join(root, 'node_modules/onnxruntime-node/bin/napi-v6'));
    const own = { linux: 'linux', mac: 'darwin', win: 'win32' } as const;
    for (const [os, platform] of Object.entries(own)) {
      for (const p of ort.filter((x) => x !== platform))
        expect(cfg[os].files, `${os} without ${p}`).toContain(`!node_modules/onnxruntime-node/bin/napi-v6/${p}/**`);
    }
    expect(cfg.files).toEqual(
      expect.arrayContaining(['!node_modules/tsx/**', '!node_modules/@tensorflow/tfjs-node/**', '!node_modules/@tensorflow/tfjs-node-gpu/**']),
    );
    expect(cfg.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });
});
