// Workbox injectManifest: writes the list of app-shell files (with revisions) into dist/sw.js.
import { injectManifest } from 'workbox-build';

const { count, size, warnings } = await injectManifest({
  swSrc: 'dist/sw.js',
  swDest: 'dist/sw.js',
  globDirectory: 'dist',
  globPatterns: ['**/*.{html,js,css,png,webmanifest}'],
  // The staff workspace (dist/staff) is not the phone's business.
  globIgnores: ['sw.js', 'staff/**'],
  // Files under assets/ carry a content hash in their name already.
  dontCacheBustURLsMatching: /^assets\//,
});
for (const warning of warnings) console.warn(warning);
console.log(`precache: ${count} files, ${size} bytes`);
