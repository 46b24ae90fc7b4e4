// Bench-only: a vantage-point tree written after the original Move Mirror's vptree.js
// (fpirsch/vptree.js, which is not in this repository), searched with Move Mirror's
// cosineDistanceMatching (sqrt(2 * (1 - cosine similarity)) on the 34 x/y values, the
// similarity recomputing both norms on every call, as compute-cosine-similarity does).
// Usage: node vptree_bench.mjs DIR K   (DIR holds bank.f32, queries.f32 and shape.json:
// bank, queries, dim, turns, round_s, warm)
// Prints JSON: build seconds, per-query seconds and the indices found. Not used by the app.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const XY = 34;

function cosineDistanceMatching(a, aStart, b, bStart) {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let d = 0; d < XY; d += 1) {
    dot += a[aStart + d] * b[bStart + d];
    normA += a[aStart + d] * a[aStart + d];
    normB += b[bStart + d] * b[bStart + d];
  }
  const similarity = dot / (Math.sqrt(normA) * Math.sqrt(normB));
  return Math.sqrt(Math.max(0, 2 * (1 - similarity)));
}

// Nodes as in vptree.js: {i: vantage point, mu: median distance, L: inside, R: outside}.
function build(bank, dim, list, random) {
  if (list.length === 0) return null;
  const pick = Math.floor(random() * list.length);
  const vp = list[pick];
  list[pick] = list[list.length - 1];
  list.pop();
  const node = { i: vp };
  if (list.length === 0) return node;
  const dist = list.map((j) => cosineDistanceMatching(bank, vp * dim, bank, j * dim));
  const order = list.map((_, n) => n).sort((x, y) => dist[x] - dist[y]);
  const half = Math.floor(order.length / 2);
  node.mu = dist[order[half]];
  node.L = build(bank, dim, order.slice(0, half).map((n) => list[n]), random);
  node.R = build(bank, dim, order.slice(half).map((n) => list[n]), random);
  return node;
}

function search(tree, bank, dim, queries, q, k) {
  const best = []; // [distance, index], sorted, at most k
  let tau = Infinity;
  const visit = (node) => {
    if (node === null) return;
    const d = cosineDistanceMatching(queries, q * dim, bank, node.i * dim);
    if (d < tau || best.length < k) {
      let at = best.length;
      while (at > 0 && best[at - 1][0] > d) at -= 1;
      best.splice(at, 0, [d, node.i]);
      if (best.length > k) best.pop();
      if (best.length === k) tau = best[k - 1][0];
    }
    if (node.mu === undefined) return;
    if (d < node.mu) {
      if (d - tau <= node.mu) visit(node.L);
      if (d + tau >= node.mu) visit(node.R);
    } else {
      if (d + tau >= node.mu) visit(node.R);
      if (d - tau <= node.mu) visit(node.L);
    }
  };
  visit(tree);
  return best.map((pair) => pair[1]);
}

function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const [dir, kText] = process.argv.slice(2);
const shape = JSON.parse(readFileSync(join(dir, 'shape.json'), 'utf8'));
const asFloats = (name) => {
  const bytes = readFileSync(join(dir, name));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
const bank = asFloats('bank.f32');
const queries = asFloats('queries.f32');
const k = Number(kText);
const started = process.hrtime.bigint();
const list = Array.from({ length: shape.bank }, (_, n) => n);
const tree = build(bank, shape.dim, list, seeded(0));
const buildSeconds = Number(process.hrtime.bigint() - started) / 1e9;
// Timed in the turns shape.json gives ([first, stop) rows), as movemirror.bench.turns does
// in Python: warm untimed queries (the turn before's last ones) before each, the rounds at
// least round_s apart.
const pause = new Int32Array(new SharedArrayBuffer(4));
const seconds = new Array(shape.queries);
const found = new Array(shape.queries);
shape.turns.forEach(([first, stop], turn) => {
  const began = process.hrtime.bigint();
  for (let back = shape.warm; back > 0; back -= 1) {
    search(tree, bank, shape.dim, queries, (first - back + shape.queries) % shape.queries, k);
  }
  for (let q = first; q < stop; q += 1) {
    const start = process.hrtime.bigint();
    found[q] = search(tree, bank, shape.dim, queries, q, k);
    seconds[q] = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const restMs = shape.round_s * 1e3 - Number(process.hrtime.bigint() - began) / 1e6;
  if (restMs > 0 && turn < shape.turns.length - 1) Atomics.wait(pause, 0, 0, restMs);
});
process.stdout.write(JSON.stringify({ build_s: buildSeconds, seconds, found }));
