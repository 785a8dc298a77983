// Staff workspace build (server/staff): htmx and the pages' small islands, hashed under dist/staff/assets,
// with a manifest the server reads to link them (server/staff/assets.py). Not part of the phone's precache.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/staff/',
  publicDir: false,
  build: {
    outDir: 'dist/staff',
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    target: 'es2020',
    rollupOptions: { input: { staff: 'staff/main.js' } },
  },
});
