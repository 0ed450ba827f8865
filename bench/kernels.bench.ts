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
 * Our kernels run in --rounds interleaved rounds (default 5): each round measures the throughput of every
 * cner build (f32, int8 of build/kernels.wasm and of build/kernels-relaxed.wasm — relaxed SIMD, switched on here
 * with src/io/artefacts.ts's enableRelaxedSimd; and those of --against OTHER.wasm, e.g. a build of an earlier
 * commit, with the same weights) and the wasm SIMD ceiling (for the relaxed rows: the relaxed one): the better of (a) assembly/ceiling.ts, compiled here (multiply-accumulate
 * throughput with operands in registers, f32 mul+add and the int8 kernel's i16 dot+add) and (b) each build's
 * matrix kernel alone on a cache-resident block — on V8 the kernel's load-fed loop can beat the register loop,
 * so (a) alone is no bound. The table gives medians, and the share of the ceiling in multiply-accumulates per
 * second (the model's MACs per character × chars/s).
 *
 * Every cner build runs twice: with layer 0's input projection as a matrix product (foldInput false: the kernels'
 * efficiency, the rows the ceiling share is meant for) and "folded" (the default: cached per-id rows,
 * src/model/network.ts FoldGroup; the cache holds every id of the bench vocabulary and is filled by the warm-up).
 * A folded row's share of the ceiling counts the MACs it still does (all but layer 0's input projection).
 *
 *   npx tsx bench/kernels.bench.ts [--quick] [--rounds 5] [--against OTHER.wasm] [--no-peers] [--no-relaxed] [--write docs/bench-kernels.md]
 *   (KERNELS_WASM=FILE benches that build instead of build/kernels.wasm)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { ceilingKernels, matmulAlone } from './ceiling.js';
import {
  BENCH_ARCH, benchSentences, cpuMs, foldAllIdsBytes, type Latency, latency, macsPerChar, macsPerCharFolded, median, WEIGHT_SEED,
} from './kernel-setup.js';
import { enableRelaxedSimd } from '../src/io/artefacts.js';
import { type KernelBuild, loadInferenceKernels } from '../src/model/kernels.js';
import { createNetwork } from '../src/model/network.js';
import { refCrf, refEmissions, refModel, refViterbi } from '../test/reference/reference.js';
import { tfjsNetwork, useWasmBackend } from '../test/reference/tfjs-model.js';
import { quantizeWeights, randomWeights } from '../test/reference/weights.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const writeAt = args.indexOf('--write');
const writePath = writeAt >= 0 ? args[writeAt + 1] : null;
const roundsAt = args.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 5;
const againstAt = args.indexOf('--against');
const againstPath = againstAt >= 0 ? args[againstAt + 1] : null;
const peers = !args.includes('--no-peers');
const relaxed = !args.includes('--no-relaxed');

const N_SENTENCES = quick ? 300 : 2000;
const N_TFJS = quick ? 60 : 300;
const N_REF = quick ? 15 : 60;
const LAT_RUNS = quick ? 60 : 300;
const LAT_RUNS_TFJS = quick ? 10 : 30;
const LAT_RUNS_REF = quick ? 3 : 10;

const arch = BENCH_ARCH;
const K = arch.tags;

// ---- data
const { sentences, s64 } = benchSentences(N_SENTENCES);
const charsOf = (n: number) => sentences.slice(0, n).reduce((a, s) => a + s.c.length, 0);

// ---- timing helpers
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

interface Row { name: string; lat: Latency; thr: Throughput; note: string; ceiling?: number }
const rows: Row[] = [];
const log = (s: string) => process.stderr.write(s + '\n');

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const MACS = macsPerChar(arch);
const MACS_FOLDED = macsPerCharFolded(arch);
const FOLD_ALL_IDS = foldAllIdsBytes(arch);

// ---- our kernels (and the --against build), with the ceiling, in interleaved rounds
const wasm = readFileSync(process.env.KERNELS_WASM ?? join(root, 'build', 'kernels.wasm'));
const weights = randomWeights(arch, WEIGHT_SEED);
const qweights = quantizeWeights(arch, weights);
const builds: { label: string; bytes: Uint8Array; isa: KernelBuild }[] = [{ label: 'kernels', bytes: new Uint8Array(wasm), isa: 'simd' }];
if (relaxed) {
  if (!enableRelaxedSimd()) throw new Error('this Node has no relaxed SIMD: run with --no-relaxed');
  builds.push({ label: 'relaxed', bytes: new Uint8Array(readFileSync(join(root, 'build', 'kernels-relaxed.wasm'))), isa: 'relaxed' });
}
if (againstPath) builds.push({ label: `against ${againstPath}`, bytes: new Uint8Array(readFileSync(againstPath)), isa: 'simd' });
const isas = [...new Set(builds.map((b) => b.isa))];
const ceiling = new Map<KernelBuild, { f32: () => number; q8: () => number }>();
for (const isa of isas) ceiling.set(isa, await ceilingKernels(isa));
interface Entry { name: string; note: string; run: () => void; one: () => void; int8: boolean; folded: boolean; isa: KernelBuild; alone: () => number }
const entries: Entry[] = [];
for (const b of builds) {
  const kernels = await loadInferenceKernels(b.bytes);
  for (const [kind, w] of [['f32', weights], ['int8', qweights]] as const) for (const fold of [false, true]) {
    // folded: layer 0's input projection as cached per-id rows (src/model/network.ts FoldGroup), the cache sized
    // for every id of the bench vocabulary and filled by the warm-up run, as a long-running tagger's would be
    const net = createNetwork(kernels, arch, w, fold ? { foldCacheBytes: FOLD_ALL_IDS } : { foldInput: false });
    const one = { charIds: [s64.c], wordIds: [s64.w] };
    const batch = { charIds: sentences.map((s) => s.c), wordIds: sentences.map((s) => s.w) };
    entries.push({
      name: `${b.label} ${kind}${fold ? ' folded' : ''}`,
      note: `lockstep batches of 32, ${b.bytes.byteLength} B wasm${fold ? `; layer 0 folded (${fmt(MACS_FOLDED)} of ${fmt(MACS)} MACs a char)` : ''}`,
      folded: fold,
      int8: kind === 'int8',
      isa: b.isa,
      alone: matmulAlone(kernels, kind === 'int8'),
      one: () => {
        const [em] = net.emissions(one);
        net.viterbi(em, 64);
      },
      run: () => {
        const ems = net.emissions(batch);
        for (const em of ems) net.viterbi(em, em.length / K);
      },
    });
  }
}
const thrRuns: Throughput[][] = entries.map(() => []);
const aloneRuns: number[][] = entries.map(() => []);
const ceilF32 = new Map<KernelBuild, number[]>(isas.map((isa) => [isa, []]));
const ceilQ8 = new Map<KernelBuild, number[]>(isas.map((isa) => [isa, []]));
for (const e of entries) e.run(); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  log(`round ${r + 1} of ${ROUNDS}…`);
  for (const [isa, c] of ceiling) {
    ceilF32.get(isa)?.push(c.f32());
    ceilQ8.get(isa)?.push(c.q8());
  }
  const order = entries.map((_, i) => i);
  if (r % 2 === 1) order.reverse();
  for (const i of order) {
    thrRuns[i].push(throughput(N_SENTENCES, 1, entries[i].run));
    aloneRuns[i].push(entries[i].alone());
  }
}
// the ceiling of each instruction set: the better of its register loop and the best matrix kernel alone among its builds
const loopF32 = (isa: KernelBuild) => median(ceilF32.get(isa) ?? []);
const loopQ8 = (isa: KernelBuild) => median(ceilQ8.get(isa) ?? []);
const aloneOf = (isa: KernelBuild, int8: boolean) =>
  Math.max(...entries.map((e, i) => (e.int8 === int8 && e.isa === isa ? median(aloneRuns[i]) : 0)));
const ceilingF32 = (isa: KernelBuild) => Math.max(loopF32(isa), aloneOf(isa, false));
const ceilingQ8 = (isa: KernelBuild) => Math.max(loopQ8(isa), aloneOf(isa, true));
entries.forEach((e, i) => {
  const runs = thrRuns[i];
  const cpu = median(runs.map((t) => t.cpu));
  const wall = median(runs.map((t) => t.wall));
  const thr: Throughput = { chars: runs[0].chars, wall, cpu, sentences: runs[0].sentences };
  const macRate = ((e.folded ? MACS_FOLDED : MACS) * thr.chars) / (cpu / 1000);
  rows.push({ name: e.name, lat: latency(LAT_RUNS, 30, e.one), thr, note: e.note, ceiling: macRate / (e.int8 ? ceilingQ8(e.isa) : ceilingF32(e.isa)) });
});

// ---- tfjs (wasm backend)
if (peers) {
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
if (peers) {
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
const cps = (t: Throughput, by: 'wall' | 'cpu') => t.chars / ((by === 'wall' ? t.wall : t.cpu) / 1000);
const tfjsRow = rows.find((r) => r.name.startsWith('tfjs'));
const refRow = rows.find((r) => r.name.startsWith('plain'));
const times = (r: Row, peer: Row | undefined) => (peer ? fmt(cps(r.thr, 'cpu') / cps(peer.thr, 'cpu'), 1) : '–');
const lines = [
  '| implementation | 64 chars p50 (wall) | p99 (wall) | p50 (CPU) | chars/s (wall) | chars/s (CPU) | × tfjs | × reference | % of ceiling | sentences | notes |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) =>
    [
      '', r.name, `${fmt(r.lat.p50, 2)} ms`, `${fmt(r.lat.p99, 2)} ms`, `${fmt(r.lat.cpuP50, 2)} ms`,
      fmt(cps(r.thr, 'wall')), fmt(cps(r.thr, 'cpu')),
      times(r, tfjsRow), times(r, refRow),
      r.ceiling === undefined ? '' : `${fmt(100 * r.ceiling, 0)} %`,
      `${r.thr.sentences} (${fmt(r.thr.chars)} chars)`, r.note, '',
    ].join(' | ').trim(),
  ),
];
const load = (await import('node:os')).loadavg();
/** the x86 features the relaxed instructions map to (fma → relaxed_madd; VNNI → the i8 dot product), from /proc/cpuinfo */
function cpuFeatures(): string {
  try {
    const flags = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
    const has = ['fma', 'avx2', 'avx512_vnni', 'avx_vnni'].filter((f) => flags.has(f));
    return `CPU flags: ${has.join(', ') || 'none of fma, avx2, avx512_vnni, avx_vnni'}${has.some((f) => f.includes('vnni')) ? '' : ' (no VNNI)'}`;
  } catch {
    return 'CPU flags unknown';
  }
}
const context =
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'} (${cpuFeatures()}), single thread; load average at the end ` +
  `${load.map((l) => l.toFixed(1)).join(' / ')}${quick ? ' (--quick run)' : ''}. cner rows: medians of ${ROUNDS} interleaved rounds; ` +
  isas
    .map(
      (isa) =>
        `wasm ${isa === 'relaxed' ? 'relaxed-SIMD' : 'SIMD'} ceiling measured in the same rounds: ${fmt(ceilingF32(isa) / 1e9, 1)} GMAC/s f32, ` +
        `${fmt(ceilingQ8(isa) / 1e9, 1)} GMAC/s int8 × ${isa === 'relaxed' ? '14-bit codes (two 7-bit digits)' : 'i16'}, ` +
        `the better of the register loop (${fmt(loopF32(isa) / 1e9, 1)} / ${fmt(loopQ8(isa) / 1e9, 1)})`,
    )
    .join('; ') +
  ` and the matrix kernel alone on a cache-resident ` +
  `32 × 512 × 128 block (${entries.map((e, i) => `${e.name} ${fmt(median(aloneRuns[i]) / 1e9, 1)}`).join(', ')}); ` +
  `the model: ${fmt(MACS)} MACs per character.`;
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
