// Starts the app; errors while starting are shown in the page, not only in the console.
const show = (message) => {
  const box = document.createElement('div');
  box.className = 'error-box';
  box.setAttribute('role', 'alert');
  box.textContent = 'mhub could not start: ' + message;
  document.body.prepend(box);
};
window.addEventListener('error', (e) => show(e.message || String(e.error)));
window.addEventListener('unhandledrejection', (e) => show(String(e.reason)));
import init from './web.js';
try {
  await init({ module_or_path: new URL('web_bg.wasm', import.meta.url) });
  document.getElementById('boot')?.remove();
} catch (e) {
  show(String(e));
}
// Offline use: the service worker keeps what the page has fetched.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('no offline cache:', e));
}
