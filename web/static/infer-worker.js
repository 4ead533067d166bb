// The inference Web Worker: loads the `infer` wasm module, whose main() answers the page's messages.
import init from './infer.js';

init({ module_or_path: new URL('infer_bg.wasm', import.meta.url) }).catch((e) => {
  // Reported to the page as the worker's error event.
  setTimeout(() => { throw e; });
});
