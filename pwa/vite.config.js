// App build: hashed assets under /assets, plus our own copy of browser-image-compression's library for
// its web worker (its default libURL is a CDN, which fails offline and is not allowed here).
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const compressionLib = 'node_modules/browser-image-compression/dist/browser-image-compression.js';

export default defineConfig({
  base: '/',
  // The app reports its version with each sync (docs/sync-protocol.md, client report).
  define: { __APP_VERSION__: JSON.stringify(version) },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2020' },
  plugins: [{
    name: 'serve-compression-lib',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'vendor/browser-image-compression.js', source: readFileSync(compressionLib) });
    },
  }],
});
