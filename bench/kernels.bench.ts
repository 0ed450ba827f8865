/**
 * Benchmark of the inference kernels (npm run bench): the paper's architecture (char 50 + word 50,
 * BiLSTM 128 + 64, 11 tags, CRF; 3,000 chars / 20,000 words; random weights), single thread.
 *
 *   latency    one 64-character sentence: emissions + Viterbi, p50 / p99
 *   throughput 2,000 random sentences of 10–150 characters: emissions + Viterbi, characters per second
 *
 * Peers: our kernels (f32 and int8), the same model in @tensorflow/tfjs on tfjs-backend-wasm (sentences
 * grouped by exact length so no masking is needed; Viterbi in plain TS), and the plain-TS reference
 * (test/reference). The slow peers run on a prefix of the sentence list (stated in the table).
 *
 * Both wall-clock and process CPU time are reported: on a machine shared with other jobs the wall clock
 * measures the scheduler as much as the code, CPU time (process.cpuUsage) measures the code.
 * Ratios are computed from CPU time.
 *
 *   npx tsx bench/kernels.bench.ts [--quick] [--write docs/bench-kernels.md]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadKernels } from '../src/model/kernels.js';
import { type Architecture, PAPER_ARCHITECTURE } from '../src/model/layout.js';
import { createNetwork } from '../src/model/network.js';
import { refCrf, refEmissions, refModel, refViterbi } from '../test/reference/reference.js';
import { tfjsNetwork, useWasmBackend } from '../test/reference/tfjs-model.js';
import { mulberry32, quantizeWeights, randomWeights } from '../test/reference/weights.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const writeAt = args.indexOf('--write');
const writePath = writeAt >= 0 ? args[writeAt + 1] : null;

const N_SENTENCES = quick ? 300 : 2000;
const N_TFJS = quick ? 60 : 300;
const N_REF = quick ? 15 : 60;
const LAT_RUNS = quick ? 60 : 300;
const LAT_RUNS_TFJS = quick ? 10 : 30;
const LAT_RUNS_REF = quick ? 3 : 10;

const arch: Architecture = { ...PAPER_ARCHITECTURE, charVocab: 3000, wordVocab: 20000 };
const K = arch.tags;

// ---- data
const rnd = mulberry32(2024);
const randomSentence = (T: number) => ({
  c: Int32Array.from({ length: T }, () => 2 + Math.floor(rnd() * (arch.charVocab - 2))),
  w: Int32Array.from({ length: T }, () => 2 + Math.floor(rnd() * (arch.wordVocab - 2))),
});
const sentences = Array.from({ length: N_SENTENCES }, () => randomSentence(10 + Math.floor(rnd() * 141)));
const s64 = randomSentence(64);
const charsOf = (n: number) => sentences.slice(0, n).reduce((a, s) => a + s.c.length, 0);

// ---- timing helpers
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
interface Latency { p50: number; p99: number; cpuP50: number }
function latency(runs: number, warm: number, fn: () => void): Latency {
  for (let i = 0; i < warm; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
  return { p50: q(wall, 0.5), p99: q(wall, 0.99), cpuP50: q(cpu, 0.5) };
}
interface Throughput { chars: number; wall: number; cpu: number; sentences: number }
/** best of `reps` runs (wall and CPU time of the same run) */
function throughput(n: number, reps: number, fn: () => void): Throughput {
  let best: Throughput | null = null;
  for (let r = 0; r < reps; r++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    fn();
    const wall = performance.now() - t0;
    const cpu = cpuMs() - c0;
    if (!best || cpu < best.cpu) best = { chars: charsOf(n), wall, cpu, sentences: n };
  }
  return best as Throughput;
}

interface Row { name: string; lat: Latency; thr: Throughput; note: string }
const rows: Row[] = [];
const log = (s: string) => process.stderr.write(s + '\n');

// ---- our kernels
const wasm = readFileSync(join(root, 'build', 'kernels.wasm'));
const kernels = await loadKernels(new Uint8Array(wasm));
const weights = randomWeights(arch, 1);
for (const [name, w] of [['kernels f32', weights], ['kernels int8', quantizeWeights(arch, weights)]] as const) {
  log(`${name}…`);
  const net = createNetwork(kernels, arch, w);
  const one = { charIds: [s64.c], wordIds: [s64.w] };
  const lat = latency(LAT_RUNS, 30, () => {
    const [em] = net.emissions(one);
    net.viterbi(em, 64);
  });
  const batch = { charIds: sentences.map((s) => s.c), wordIds: sentences.map((s) => s.w) };
  const thr = throughput(N_SENTENCES, 3, () => {
    const ems = net.emissions(batch);
    for (const em of ems) net.viterbi(em, em.length / K);
  });
  rows.push({ name, lat, thr, note: `lockstep batches of 32, ${wasm.byteLength} B wasm` });
}

// ---- tfjs (wasm backend)
{
  log('tfjs wasm…');
  await useWasmBackend();
  const net = tfjsNetwork(arch, weights);
  const crf = refCrf(refModel(arch, weights));
  const lat = latency(LAT_RUNS_TFJS, 3, () => {
    const [em] = net.emissions([s64.c], [s64.w]);
    refViterbi(em, 64, crf);
  });
  const subset = sentences.slice(0, N_TFJS);
  const byLen = new Map<number, { c: Int32Array; w: Int32Array }[]>();
  for (const s of subset) byLen.set(s.c.length, [...(byLen.get(s.c.length) ?? []), s]);
  const thr = throughput(N_TFJS, 1, () => {
    for (const group of byLen.values()) {
      const ems = net.emissions(group.map((s) => s.c), group.map((s) => s.w));
      for (const em of ems) refViterbi(em, em.length / K, crf);
    }
  });
  rows.push({ name: 'tfjs 4.22 wasm', lat, thr, note: `${tf.getBackend()} backend, batches of equal length, first ${N_TFJS} sentences` });
  net.dispose();
}

// ---- plain-TS reference
{
  log('reference…');
  const m = refModel(arch, weights);
  const crf = refCrf(m);
  const lat = latency(LAT_RUNS_REF, 1, () => refViterbi(refEmissions(m, s64.c, s64.w), 64, crf));
  const thr = throughput(N_REF, 1, () => {
    for (const s of sentences.slice(0, N_REF)) refViterbi(refEmissions(m, s.c, s.w), s.c.length, crf);
  });
  rows.push({ name: 'plain TS reference', lat, thr, note: `f64 loops, first ${N_REF} sentences` });
}

// ---- table
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const cps = (t: Throughput, by: 'wall' | 'cpu') => t.chars / ((by === 'wall' ? t.wall : t.cpu) / 1000);
const tfjsRow = rows.find((r) => r.name.startsWith('tfjs')) as Row;
const refRow = rows.find((r) => r.name.startsWith('plain')) as Row;
const lines = [
  '| implementation | 64 chars p50 (wall) | p99 (wall) | p50 (CPU) | chars/s (wall) | chars/s (CPU) | × tfjs | × reference | sentences | notes |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) =>
    [
      '', r.name, `${fmt(r.lat.p50, 2)} ms`, `${fmt(r.lat.p99, 2)} ms`, `${fmt(r.lat.cpuP50, 2)} ms`,
      fmt(cps(r.thr, 'wall')), fmt(cps(r.thr, 'cpu')),
      `${fmt(cps(r.thr, 'cpu') / cps(tfjsRow.thr, 'cpu'), 1)}`, `${fmt(cps(r.thr, 'cpu') / cps(refRow.thr, 'cpu'), 1)}`,
      `${r.thr.sentences} (${fmt(r.thr.chars)} chars)`, r.note, '',
    ].join(' | ').trim(),
  ),
];
const load = (await import('node:os')).loadavg();
const context =
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, single thread; load average at the end ` +
  `${load.map((l) => l.toFixed(1)).join(' / ')}${quick ? ' (--quick run)' : ''}.`;
console.log(`\n${context}\n\n${lines.join('\n')}\n`);
if (writePath) {
  const doc = readFileSync(join(root, writePath), 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${writePath}: markers ${begin} … ${end} not found`);
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  writeFileSync(join(root, writePath), `${doc.slice(0, i + begin.length)}\nMeasured ${stamp} UTC. ${context}\n\n${lines.join('\n')}\n${doc.slice(j)}`);
  log(`table written to ${writePath}`);
}
