// A service worker that re-serves this origin's responses with COOP and COEP headers, which
// `mhub serve` does not send: the bench page is then cross-origin isolated, where
// performance.now() ticks every 5 µs instead of every 100 µs (too coarse for the small models).
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(fetch(request).then((response) => {
    if (response.status === 0) return response;
    const headers = new Headers(response.headers);
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
    const empty = [101, 204, 205, 304].includes(response.status);
    return new Response(empty ? null : response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }));
});
