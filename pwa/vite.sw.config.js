// Service worker build: src/sw.js bundled (with workbox-precaching) into dist/sw.js; the precache
// manifest is injected afterwards by scripts/inject-manifest.mjs.
import { defineConfig } from 'vite';

export default defineConfig({
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2020',
    lib: { entry: 'src/sw.js', formats: ['iife'], name: 'vervalSw', fileName: () => 'sw.js' },
  },
});
