import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        // Worker threads are their own entries so they land next to index.js (see util/worker.ts).
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
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
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.mjs') })],
  },
});
