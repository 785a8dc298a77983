// Service worker: precaches the app shell (a versioned cache per build, older ones deleted on
// activate) and answers app navigations with index.html. API calls are never cached: they are not
// in the precache and no runtime route matches them, so they go to the network untouched.
import { createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { cacheNames, clientsClaim, setCacheNameDetails } from 'workbox-core';

const manifest = self.__WB_MANIFEST;

// Version = hash of the precache manifest, so every build with different files gets its own cache.
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16);
}
export const VERSION = hash(JSON.stringify(manifest));
setCacheNameDetails({ prefix: 'verval', suffix: VERSION });
const CURRENT = cacheNames.precache;

self.skipWaiting();
clientsClaim();
precacheAndRoute(manifest);
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/api\//] }));

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key.startsWith('verval-') && key !== CURRENT).map((key) => caches.delete(key)),
  )));
});

self.addEventListener('message', (event) => {
  if (event.data === 'version') event.source?.postMessage({ version: VERSION });
});
