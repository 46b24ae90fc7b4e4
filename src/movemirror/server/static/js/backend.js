// Chooses the TF.js backend by timing the model on each candidate, not by what the device
// claims: a software-rendered WebGL (no GPU) is many times slower than WASM.
/* global tf */
import { makeCanvas } from './crop.js';

const WASM_PATH = '/vendor/tfjs-backend-wasm/';
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i;

/** The WebGL renderer's name, whether it is a software one, or null without WebGL. */
export function webglRenderer() {
  try {
    const gl = makeCanvas(1, 1).getContext('webgl2') || makeCanvas(1, 1).getContext('webgl');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return { name: String(name), software: SOFTWARE_RENDERERS.test(String(name)) };
  } catch {
    return null;
  }
}

export function candidateBackends(forced) {
  if (forced) return [forced];
  const gl = webglRenderer();
  // WebGL first when it may be a GPU: it warms up slowly, so it is only tried when it can win.
  return gl && !gl.software ? ['webgl', 'wasm'] : ['wasm'];
}

/**
 * WASM threads for the model: null leaves TF.js's default (hardwareConcurrency / 2), 0 turns
 * threads off (?threads=0, to compare), N asks for N. Threads need cross-origin isolation,
 * which the server's headers give the page and its worker. Only heeded before WASM first
 * starts (once per worker).
 */
export function configureWasm({ threads = null } = {}) {
  if (threads === 0) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  else if (threads > 0) {
    // TF.js's WASM build caps its XNNPACK threads at hardwareConcurrency / 2, taking every
    // core for two hyper-threads: on 2 real cores it would run 1 whatever is asked. Its
    // module reads navigator.hardwareConcurrency, so this realm shows it enough cores.
    const needed = 2 * threads;
    if ((navigator.hardwareConcurrency || 1) < needed) {
      Object.defineProperty(navigator, 'hardwareConcurrency', { value: needed,
        configurable: true });
    }
    tf.wasm.setThreadsCount(threads);
  }
}

export async function useBackend(name) {
  if (name === 'wasm') tf.wasm.setWasmPaths(WASM_PATH);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} is not available`);
  await tf.ready();
}

/**
 * Times `run` on each backend (after a warm-up) and keeps the fastest; returns
 * {backend, msPerRun, timings}. A backend that fails or is hopeless is skipped.
 */
export async function pickFastest(candidates, run, { warmup = 2, runs = 4 } = {}) {
  const timings = {};
  for (const name of candidates) {
    try {
      await useBackend(name);
      for (let i = 0; i < warmup; i += 1) await run();
      const start = performance.now();
      for (let i = 0; i < runs; i += 1) await run();
      timings[name] = (performance.now() - start) / runs;
      // Fast enough for camera rate: no need to warm up the slower ones too.
      if (timings[name] < 25) break;
    } catch (error) {
      console.warn(`backend ${name} failed`, error);
    }
  }
  if (!Object.keys(timings).length && !candidates.includes('cpu')) {
    return pickFastest(['cpu'], run, { warmup: 1, runs: 1 }); // last resort, very slow
  }
  const ranked = Object.entries(timings).sort((a, b) => a[1] - b[1]);
  if (!ranked.length) throw new Error('no TF.js backend could run the pose model');
  const [backend, msPerRun] = ranked[0];
  if (tf.getBackend() !== backend) await useBackend(backend);
  return { backend, msPerRun, timings };
}

/** How TF.js runs here, for the footer and the benchmarks: backend, and for WASM whether it
 * has threads (cross-origin isolation) and SIMD, and how many threads. */
export function backendDetails() {
  const backend = tf.getBackend();
  if (backend !== 'wasm') return { backend };
  let threads = 1;
  try {
    threads = tf.wasm.getThreadsCount();
  } catch {
    // not initialised: one thread
  }
  return {
    backend,
    threads,
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
  };
}
