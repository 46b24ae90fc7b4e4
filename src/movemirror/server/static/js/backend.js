// Chooses the TF.js backend by timing the model on each candidate, not by what the device
// claims: a software-rendered WebGL (no GPU) is many times slower than WASM.
/* global tf */

const WASM_PATH = '/vendor/tfjs-backend-wasm/';
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i;

/** The WebGL renderer's name, whether it is a software one, or null without WebGL. */
export function webglRenderer() {
  try {
    const gl = document.createElement('canvas').getContext('webgl2')
      || document.createElement('canvas').getContext('webgl');
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

/** ?threads=0 turns off WASM threads (to compare; they need cross-origin isolation). */
export function configureWasm(params) {
  if (params.get('threads') === '0') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
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
