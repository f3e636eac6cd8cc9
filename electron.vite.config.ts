import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { CSP_META } from './src-shared/csp';

/** Writes the renderer's Content-Security-Policy into the built index.html (file:// has no headers). */
function cspMeta(): Plugin {
  return {
    name: 'delicate-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: (html) =>
        html.replace('<meta charset="UTF-8" />', `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CSP_META}" />`),
    },
  };
}

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        // Worker threads are their own entries so they land next to index.js (see util/worker.ts).
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
          // The `delicate` CLI, built: bin/delicate.mjs runs it when it is newer than the sources.
          cli: resolve(__dirname, 'src-main/cli/main.ts'),
          'chem-worker': resolve(__dirname, 'src-main/chem/chem-worker.ts'),
          'train-worker': resolve(__dirname, 'src-main/train/train-worker.ts'),
          'screen-worker': resolve(__dirname, 'src-main/screen/screen-worker.ts'),
          'vs-worker': resolve(__dirname, 'src-main/screen/vs-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-preload/index.ts') },
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    build: { rollupOptions: { input: resolve(__dirname, 'src-renderer/index.html') } },
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.mjs') }), cspMeta()],
  },
});
