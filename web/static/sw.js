// mhub's service worker: network first, the last good answer when offline.
// Only same-origin GET requests with complete (200) answers are kept; model
// bytes are re-checked against the card's sha256 by the worker either way.
const CACHE = 'mhub-__BUILD__';

self.addEventListener('install', (event) => {
  // The app shell; the inference module is cached when first used, not before.
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(['./', 'index.html', 'boot.js', 'style.css', 'web.js', 'web_bg.wasm']))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('mhub-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin || request.headers.has('range')) {
    return;
  }
  event.respondWith(
    fetch(request)
      .then((response) => {
        // Only a whole answer from this origin: never one a redirect brought from elsewhere.
        if (response.status === 200 && response.type === 'basic' && new URL(response.url).origin === self.location.origin) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      })
      .catch(() => caches.match(request).then((hit) => hit || Promise.reject(new TypeError('offline and not cached: ' + request.url)))),
  );
});
