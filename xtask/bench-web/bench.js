// The bench page: runs each model in mhub's inference worker (its relaxed-SIMD build and its
// SIMD128 build, each tuning the model at its first load as the app asks) and in onnxruntime-web
// (wasm backend, one thread) on the same input, and hands the raw timings to `cargo xtask bench
// web`, which drives it over WebDriver: `benchIsolate()`, then `benchStart(config)`, then
// `benchWait(n)` until done. Plain JavaScript, no build step.

const state = { log: [], result: null, failure: null };
const waiters = [];

/** Settles every `benchWait` whose condition now holds. */
function wake() {
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (waiters[i]()) waiters.splice(i, 1);
  }
}

function log(line) {
  state.log.push(line);
  document.getElementById('log').textContent += `${line}\n`;
  wake();
}

/** Resolves, without polling, once there are log lines past `from` or the run has ended. */
window.benchWait = (from) => new Promise((resolve) => {
  const check = () => {
    if (state.log.length <= from && state.result === null && state.failure === null) return false;
    resolve({ lines: state.log.slice(from), result: state.result, failure: state.failure });
    return true;
  };
  if (!check()) waiters.push(check);
});

/**
 * Whether the page is cross-origin isolated (a 5 µs clock). When it is not, registers the
 * service worker that adds the headers, so that the next load of the page is.
 */
window.benchIsolate = async () => {
  if (self.crossOriginIsolated) return true;
  if (!('serviceWorker' in navigator)) return false;
  await navigator.serviceWorker.register('bench-sw.js');
  await navigator.serviceWorker.ready;
  return false;
};

window.benchStart = (config) => {
  run(config).then(
    (result) => { state.result = result; wake(); },
    (e) => { state.failure = String((e && e.stack) || e); wake(); },
  );
};

/** The smallest step of performance.now() seen in a busy loop, in ms. */
function clockStep() {
  let step = Infinity;
  for (let i = 0; i < 200000; i++) {
    const a = performance.now();
    const b = performance.now();
    if (b > a && b - a < step) step = b - a;
  }
  return step;
}

/** The input the demo hub's expected outputs were computed on: ((i * 7919) % 256) / 255, float32. */
function pattern(shape) {
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = ((i * 7919) % 256) / 255;
  return values;
}

/** Starts mhub's worker with one of its builds; resolves with it and the machine it reports. */
function startWorker(build) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(`infer-worker.js?build=${build}`, { type: 'module' });
    worker.onerror = (e) => reject(new Error(`the inference worker failed to start: ${e.message}`));
    worker.onmessage = (e) => {
      const reply = JSON.parse(e.data);
      if (reply.kind === 'ready') resolve({ worker, machine: reply.machine });
    };
  });
}

let nextId = 1;

/** Sends one request to mhub's worker and resolves with its outcome. */
function ask(worker, model, values, runs, tuneMs) {
  const id = nextId++;
  const request = {
    id,
    model: { url: new URL(model.url, location.href).href, sha256: model.sha256, size: model.size },
    input: { kind: 'numbers', shape: model.shape, values },
    runs,
    tune_ms: tuneMs,
  };
  return new Promise((resolve, reject) => {
    worker.onerror = (e) => reject(new Error(`the inference worker failed: ${e.message}`));
    worker.onmessage = (e) => {
      const reply = JSON.parse(e.data);
      if (reply.id !== id) return;
      if (reply.kind === 'done') resolve(reply.outcome);
      else reject(new Error(`mhub on ${model.name}: ${reply.message}`));
    };
    worker.postMessage([JSON.stringify(request), null]);
  });
}

/** The first request loads (and tunes) the model and warms it up; the second is timed. */
async function runMhub(worker, model, input, tuneMs) {
  const values = Array.from(input);
  const warm = await ask(worker, model, values, model.warmup, tuneMs);
  const timed = await ask(worker, model, values, model.runs, tuneMs);
  const loaded = warm.loaded || {};
  return {
    loadMs: (warm.fetch_ms ?? 0) + (warm.load_ms ?? 0),
    tuneMs: loaded.tuned ? loaded.tuned.spent_ms : 0,
    tuning: loaded.tuning || 'default',
    runMs: timed.run_ms,
    output: timed.outputs[0] ? timed.outputs[0].values : [],
  };
}

async function ortSession(ort, model) {
  const start = performance.now();
  const response = await fetch(new URL(model.url, location.href));
  if (!response.ok) throw new Error(`cannot fetch ${model.url}: ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  return { session, loadMs: performance.now() - start };
}

async function runOrt(ort, model, input) {
  const { session, loadMs } = await ortSession(ort, model);
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  // Tensor creation is timed too, as mhub's worker times building its input tensor.
  const once = () => session.run({ [inputName]: new ort.Tensor('float32', input, model.shape) });
  for (let i = 0; i < model.warmup; i++) await once();
  const runMs = [];
  let outputs = null;
  for (let i = 0; i < model.runs; i++) {
    const start = performance.now();
    outputs = await once();
    runMs.push(performance.now() - start);
  }
  const output = Array.from(outputs[outputName].data);
  await session.release();
  return { loadMs, runMs, output };
}

function maxAbsDiff(a, b) {
  if (a.length !== b.length || a.length === 0) return null;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function run(config) {
  const step = clockStep();
  log(`page: cross-origin isolated: ${self.crossOriginIsolated}; clock step ${(step * 1000).toFixed(1)} µs`);
  let start = performance.now();
  const relaxed = await startWorker('relaxed');
  const mhubStartMs = performance.now() - start;
  const plain = await startWorker('simd128');
  log(`mhub workers: ${relaxed.machine} and ${plain.machine}`);
  const ort = await import('./ort/ort.wasm.min.mjs');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.simd = true;
  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  // ORT fetches and compiles its wasm on its first session: time that apart from the models.
  start = performance.now();
  await (await ortSession(ort, config.models[0])).session.release();
  const ortStartMs = performance.now() - start;
  log(`start: mhub worker ${mhubStartMs.toFixed(0)} ms, onnxruntime-web ${ortStartMs.toFixed(0)} ms`);
  const models = [];
  for (const model of config.models) {
    const input = pattern(model.shape);
    const mhub = await runMhub(relaxed.worker, model, input, config.tuneMs);
    const simd = await runMhub(plain.worker, model, input, config.tuneMs);
    const onnx = await runOrt(ort, model, input);
    const diff = maxAbsDiff(mhub.output, onnx.output);
    log(`${model.name}: mhub ${median(mhub.runMs).toFixed(3)} ms (SIMD128 build ${median(simd.runMs).toFixed(3)} ms), onnxruntime-web ${median(onnx.runMs).toFixed(3)} ms (medians of ${model.runs}), max |diff| ${diff}; tuning ${mhub.tuning}`);
    models.push({
      name: model.name,
      runs: model.runs,
      maxAbsDiff: diff,
      outputLengths: [mhub.output.length, onnx.output.length],
      mhub: mhub,
      simd: simd,
      ort: { loadMs: onnx.loadMs, runMs: onnx.runMs },
    });
  }
  relaxed.worker.terminate();
  plain.worker.terminate();
  const wasm = performance.getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname)
    .filter((p) => p.endsWith('.wasm'));
  return {
    isolated: self.crossOriginIsolated,
    clockStepMs: step,
    userAgent: navigator.userAgent,
    ortVersion: ort.env.versions ? ort.env.versions.web : null,
    ortWasm: [...new Set(wasm)],
    mhubStartMs,
    mhubMachine: relaxed.machine,
    ortStartMs,
    models,
  };
}
