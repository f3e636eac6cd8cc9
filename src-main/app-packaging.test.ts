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
    expect(pkg.scripts['rebuild:electron']).toMatch(/@electron\/rebuild/);
  });
});
