// The inference Web Worker: loads the `infer` wasm module, whose main() answers the page's messages.
// Two builds of it ship: with relaxed SIMD (fused multiply-adds in the matrix kernels) and with
// SIMD128 only. The relaxed one is taken when this browser validates a relaxed-SIMD instruction;
// `?build=simd128` or `?build=relaxed` on this script's address forces one (for tests and benches).

// A module whose one function runs f32x4.relaxed_madd (0xfd 0x105) on three zero vectors.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
  0x03, 0x02, 0x01, 0x00, // functions: one of type 0
  0x0a, 0x3e, 0x01, 0x3c, 0x00, // code: one body of 60 bytes, no locals
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array(16).fill(0),
  0xfd, 0x0c, ...new Array(16).fill(0),
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x1a, 0x0b, // drop, end
]);

function relaxedSimd() {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

const asked = new URL(import.meta.url).searchParams.get('build');
const relaxed = asked ? asked === 'relaxed' : relaxedSimd();
const name = relaxed ? 'infer_relaxed' : 'infer';

import(`./${name}.js`)
  .then(({ default: init }) => init({ module_or_path: new URL(`${name}_bg.wasm`, import.meta.url) }))
  .catch((e) => {
    // Reported to the page as the worker's error event.
    setTimeout(() => { throw e; });
  });
