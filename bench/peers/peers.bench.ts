/**
 * `npm run bench:peers`: cner's kernels against onnxruntime-node (native) and onnxruntime-web (wasm SIMD) on the
 * same network with the same weights, side by side in one interleaved run, with the wasm SIMD ceiling measured
 * in the same rounds (issue 17 point 5). The two runtimes are installed in bench/peers/node_modules by this script
 * (`npm install` in this folder on first use; they are not dependencies of the project); the network is exported
 * to ONNX by bench/peers/onnx.ts (f32; the int8 cner row runs the same weights quantised per row).
 *
 * The model and sentences are bench/kernels.bench.ts's (bench/kernel-setup.ts): the paper's BiLSTM-CRF with
 * 3,000 chars / 20,000 words and random weights, 2,000 random sentences of 10–150 characters, one of 64.
 * Single thread everywhere (ORT: intra- and inter-op threads 1; onnxruntime-web: numThreads 1). cner batches in
 * lockstep (its own batching); the ONNX peers get the sentences grouped by exact length (no padding, no masking),
 * one run a length. Viterbi: cner's kernel for cner, the plain-TS reference for the peers (as for tfjs in
 * bench/kernels.bench.ts; a few % of their time). Times are process CPU time; rounds alternate their order.
 * cner runs folded (its default: layer 0's input projection as cached per-id rows, the cache holding every id and
 * filled by the warm-up; its share of the ceiling counts the MACs it still does) and with layer 0 as a matrix
 * product (foldInput false), the same arithmetic as the peers.
 *
 * PyTorch (issue 17: cner ≥ PyTorch f32 in chars/s on one thread) is a row of the same run when a python3 here
 * imports torch and numpy (`apt-get install -y --no-install-recommends python3-torch python3-numpy
 * libopenblas0-pthread`; without OpenBLAS Debian's torch runs on the reference BLAS, several times slower, and the
 * bench says so; without torch the row is skipped with a line saying how to install it). bench/peers/torch_peer.py
 * builds the same network from nn.Embedding, nn.LSTM and nn.Linear with the weights and sentences written here to
 * a temporary folder (raw little-endian f32 / i32 files and a manifest.json): f32, torch.set_num_threads(1),
 * inference_mode, the sentences grouped by exact length as for the ONNX peers, Viterbi in numpy (f64, one length
 * group at a time; its share of the time is in the row's note). It is started once and driven round by round over
 * stdin/stdout (one command a line in, one JSON line out), in the same interleaved order as the others; its times
 * are its own process's CPU time (time.process_time), its 64-character latency the median of its own timed runs.
 * Before timing, its emissions are checked against cner's f32 on a few sentences and its Viterbi paths against the
 * reference's on those emissions; the run stops if an emission differs by more than 1e-3 or a path differs.
 *
 *   npx tsx bench/peers/peers.bench.ts [--quick] [--rounds 5]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, endianness, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ceilingKernels, matmulAlone } from '../ceiling.js';
import {
  BENCH_ARCH,
  type BenchSentence,
  benchSentences,
  cpuMs,
  foldAllIdsBytes,
  macsPerChar,
  macsPerCharFolded,
  median,
  WEIGHT_SEED,
} from '../kernel-setup.js';
import { loadInferenceKernels } from '../../src/model/kernels.js';
import { tensorSpecs } from '../../src/model/layout.js';
import { createNetwork } from '../../src/model/network.js';
import { refCrf, refModel, refViterbi } from '../../test/reference/reference.js';
import { quantizeWeights, randomWeights, values } from '../../test/reference/weights.js';
import { exportOnnx } from './onnx.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsAt = args.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 5;
const N_SENTENCES = quick ? 300 : 2000;
const LAT_RUNS = quick ? 30 : 200;
const log = (s: string) => process.stderr.write(s + '\n');

// ---- the peers, installed here on first use
/** the parts of the onnxruntime API used here (onnxruntime-node and onnxruntime-web share it) */
interface OrtTensor {
  data: Float32Array;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  env: { wasm: { numThreads: number; simd?: boolean } };
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
}
for (const pkg of ['onnxruntime-node', 'onnxruntime-web']) {
  if (!existsSync(join(here, 'node_modules', pkg, 'package.json'))) {
    log(`installing the peers in ${here} (npm install)…`);
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
    break;
  }
}
const requirePeer = createRequire(join(here, 'package.json'));
const versionOf = (pkg: string) =>
  (JSON.parse(readFileSync(join(here, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const ortNode = requirePeer('onnxruntime-node') as Ort;
const ortWeb = requirePeer('onnxruntime-web') as Ort;
ortWeb.env.wasm.numThreads = 1;

// ---- model, data, the runners
const arch = BENCH_ARCH;
const K = arch.tags;
const MACS = macsPerChar(arch);
/** what the folded rows multiply (their share of the ceiling counts these) */
const MACS_FOLDED = macsPerCharFolded(arch);
const { sentences, s64 } = benchSentences(N_SENTENCES);
const chars = sentences.reduce((a, s) => a + s.c.length, 0);
const weights = randomWeights(arch, WEIGHT_SEED);
const onnx = exportOnnx(arch, weights);
const crf = refCrf(refModel(arch, weights));
const kernels = await loadInferenceKernels(new Uint8Array(readFileSync(join(root, 'build', 'kernels.wasm'))));
// folded (the default: layer 0's input projection as cached per-id rows, the cache sized for every id of the bench
// vocabulary and filled by the warm-up), and with layer 0 as a matrix product (foldInput false) as the peers compute it
const FOLD_ALL = { foldCacheBytes: foldAllIdsBytes(arch) };
const f32Net = createNetwork(kernels, arch, weights, FOLD_ALL);
const int8Net = createNetwork(kernels, arch, quantizeWeights(arch, weights), FOLD_ALL);
const f32Product = createNetwork(kernels, arch, weights, { foldInput: false });
const int8Product = createNetwork(kernels, arch, quantizeWeights(arch, weights), { foldInput: false });

/** emissions of B sentences of one length T from an ONNX session: inputs [T × B], output [T × B × K] */
async function ortEmissions(ort: Ort, session: OrtSession, group: BenchSentence[]): Promise<Float32Array[]> {
  const T = group[0].c.length;
  const B = group.length;
  const c = new BigInt64Array(T * B);
  const w = new BigInt64Array(T * B);
  group.forEach((s, b) => {
    for (let t = 0; t < T; t++) {
      c[t * B + b] = BigInt(s.c[t]);
      w[t * B + b] = BigInt(s.w[t]);
    }
  });
  const out = await session.run({
    chars: new ort.Tensor('int64', c, [T, B]),
    words: new ort.Tensor('int64', w, [T, B]),
  });
  const y = out.emissions.data;
  return group.map((_, b) => {
    const em = new Float32Array(T * K);
    for (let t = 0; t < T; t++) em.set(y.subarray((t * B + b) * K, (t * B + b + 1) * K), t * K);
    return em;
  });
}

const byLength = new Map<number, BenchSentence[]>();
for (const s of sentences) byLength.set(s.c.length, [...(byLength.get(s.c.length) ?? []), s]);

interface Runner {
  name: string;
  note: string;
  /** all sentences: emissions + Viterbi; a runner in a process of its own answers the CPU ms it took there */
  all(): Promise<number | void>;
  /** the 64-character sentence */
  one(): Promise<void>;
  /** a runner in a process of its own: the median CPU ms of `runs` timed one() there, after `warm` untimed */
  latency?(warm: number, runs: number): Promise<number>;
  /** multiply-accumulate ceiling of its arithmetic, for cner's rows */
  int8?: boolean;
}
const cnerRunner = (name: string, net: typeof f32Net, int8: boolean): Runner => ({
  name,
  note: 'lockstep batches of 32',
  int8,
  all: async () => {
    const ems = net.emissions({ charIds: sentences.map((s) => s.c), wordIds: sentences.map((s) => s.w) });
    for (const em of ems) net.viterbi(em, em.length / K);
  },
  one: async () => {
    const [em] = net.emissions({ charIds: [s64.c], wordIds: [s64.w] });
    net.viterbi(em, 64);
  },
});
async function ortRunner(name: string, ort: Ort, options: Record<string, unknown>, note: string): Promise<Runner> {
  const session = await ort.InferenceSession.create(onnx, options);
  return {
    name,
    note,
    all: async () => {
      for (const group of byLength.values())
        for (const em of await ortEmissions(ort, session, group)) refViterbi(em, em.length / K, crf);
    },
    one: async () => {
      const [em] = await ortEmissions(ort, session, [s64]);
      refViterbi(em, 64, crf);
    },
  };
}

// ---- PyTorch in a python3 process of its own (bench/peers/torch_peer.py), when a python3 here imports torch
const TORCH_INSTALL = 'apt-get install -y --no-install-recommends python3-torch python3-numpy libopenblas0-pthread';
/** the first python3 that imports torch and numpy (Debian's python3-torch is /usr/bin/python3's, not a pyenv one's) */
function pythonWithTorch(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** what torch_peer.py reads from dir: each tensor f32 and each sentence set i32 (lengths, chars, words), manifest.json */
function writeTorchInputs(dir: string, sets: Record<string, BenchSentence[]>): void {
  if (endianness() !== 'LE') throw new Error('the PyTorch peer reads little-endian files: this machine is big-endian');
  const raw = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const tensors: Record<string, { file: string; shape: number[] }> = {};
  for (const { name, shape } of tensorSpecs(arch)) {
    tensors[name] = { file: `${name}.f32`, shape };
    writeFileSync(join(dir, tensors[name].file), raw(Float32Array.from(values(weights, name))));
  }
  const files: Record<string, { lengths: string; chars: string; words: string }> = {};
  for (const [set, list] of Object.entries(sets)) {
    files[set] = { lengths: `${set}.lengths.i32`, chars: `${set}.chars.i32`, words: `${set}.words.i32` };
    const ids = (part: 'c' | 'w') => Int32Array.from(list.flatMap((s) => Array.from(s[part])));
    writeFileSync(join(dir, files[set].lengths), raw(Int32Array.from(list, (s) => s.c.length)));
    writeFileSync(join(dir, files[set].chars), raw(ids('c')));
    writeFileSync(join(dir, files[set].words), raw(ids('w')));
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ arch, tensors, sets: files }));
}

interface TorchPeer {
  /** the first line it answered: torch's version and its thread count */
  ready: { torch: string; threads: number; blas: string };
  /** one command line in, its JSON line out */
  ask(command: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}
/** torch_peer.py started once on dir, single-threaded (torch.set_num_threads(1), and OpenMP / BLAS told so too) */
async function startTorchPeer(python: string, dir: string): Promise<TorchPeer> {
  const one = '1';
  const child = spawn(python, [join(here, 'torch_peer.py'), dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, OMP_NUM_THREADS: one, OPENBLAS_NUM_THREADS: one, MKL_NUM_THREADS: one },
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const read = async () => {
    const next = await lines.next();
    if (next.done) throw new Error('the PyTorch peer (bench/peers/torch_peer.py) exited early: its error is above');
    return JSON.parse(next.value as string) as Record<string, unknown>;
  };
  const ready = await read();
  if (ready.threads !== 1) throw new Error(`the PyTorch peer runs ${String(ready.threads)} threads, expected 1`);
  return {
    ready: { torch: String(ready.torch), threads: 1, blas: String(ready.blas) },
    ask: async (command) => {
      child.stdin.write(`${command}\n`);
      return read();
    },
    close: async () => {
      child.stdin.end('quit\n');
      await exited;
    },
  };
}

/** a number field of the peer's answer */
function answered(answer: Record<string, unknown>, field: string): number {
  const v = answer[field];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`the PyTorch peer answered no ${field}: ${JSON.stringify(answer)}`);
  return v;
}

// the sentences both export checks run: up to 3 of each of the first 5 lengths
const checkGroups = [...byLength.values()].slice(0, 5).map((g) => g.slice(0, 3));
const torchPython = pythonWithTorch();
const torchDir = torchPython ? mkdtempSync(join(tmpdir(), 'cner-torch-peer-')) : undefined;
if (torchDir) process.on('exit', () => rmSync(torchDir, { recursive: true, force: true }));
let torch: TorchPeer | undefined;
if (torchPython && torchDir) {
  writeTorchInputs(torchDir, { all: sentences, s64: [s64], check: checkGroups.flat() });
  torch = await startTorchPeer(torchPython, torchDir);
  if (torch.ready.blas !== 'OpenBLAS')
    log(
      `PyTorch runs on ${torch.ready.blas}, not OpenBLAS (Debian's python3-torch without it gets the reference BLAS, several times slower): ${TORCH_INSTALL}`,
    );
} else {
  log(`PyTorch row skipped: no python3 here imports torch and numpy (to add it: ${TORCH_INSTALL})`);
}
const torchRunner = (peer: TorchPeer): Runner => {
  const viterbiShare: number[] = []; // of each round's CPU time
  return {
    name: `PyTorch ${peer.ready.torch} f32 (CPU, 1 thread, ${peer.ready.blas})`,
    get note() {
      const share = viterbiShare.length > 0 ? `${(100 * median(viterbiShare)).toFixed(0)} %` : '?';
      return `f32, batches of equal length, numpy Viterbi (${share} of its time); CPU time of its own process`;
    },
    all: async () => {
      const answer = await peer.ask('round');
      const ms = answered(answer, 'cpu_ms');
      viterbiShare.push(answered(answer, 'viterbi_ms') / ms);
      return ms;
    },
    one: async () => {
      await peer.ask('latency 0 1');
    },
    latency: async (warm, runs) => answered(await peer.ask(`latency ${warm} ${runs}`), 'p50_ms'),
  };
};

const single = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const runners: Runner[] = [
  cnerRunner('cner kernels int8', int8Net, true),
  cnerRunner('cner kernels f32', f32Net, false),
  cnerRunner('cner kernels int8, layer 0 as a product', int8Product, true),
  cnerRunner('cner kernels f32, layer 0 as a product', f32Product, false),
  await ortRunner(
    `onnxruntime-node ${versionOf('onnxruntime-node')} (native)`,
    ortNode,
    { ...single, executionProviders: ['cpu'] },
    'f32, batches of equal length',
  ),
  await ortRunner(
    `onnxruntime-web ${versionOf('onnxruntime-web')} (wasm SIMD)`,
    ortWeb,
    { ...single, executionProviders: ['wasm'] },
    'f32, batches of equal length, 1 thread',
  ),
  ...(torch ? [torchRunner(torch)] : []),
];

// ---- the export is the same network: ONNX emissions against cner's f32 on a few sentences
{
  const sample = checkGroups;
  let worst = 0;
  for (const ort of [ortNode, ortWeb]) {
    const session = await ort.InferenceSession.create(onnx, {
      ...single,
      executionProviders: [ort === ortNode ? 'cpu' : 'wasm'],
    });
    for (const group of sample) {
      const ours = f32Net.emissions({ charIds: group.map((s) => s.c), wordIds: group.map((s) => s.w) });
      (await ortEmissions(ort, session, group)).forEach((em, b) => {
        for (let i = 0; i < em.length; i++) worst = Math.max(worst, Math.abs(em[i] - ours[b][i]));
      });
    }
  }
  if (!(worst < 1e-3)) throw new Error(`the ONNX export differs from cner's network: max |Δ emission| ${worst}`);
  log(`ONNX export checked: max |Δ emission| against cner f32 ${worst.toExponential(1)}`);
}

// ---- and PyTorch's network: its emissions against cner's f32, its numpy Viterbi against the reference's on them
if (torch && torchDir) {
  const check = checkGroups.flat();
  const written = answered(await torch.ask('check'), 'written');
  if (written !== check.length)
    throw new Error(`the PyTorch peer wrote ${written} sentences, expected ${check.length}`);
  const floats = (file: string) => new Float32Array(Uint8Array.from(readFileSync(join(torchDir, file))).buffer);
  const ints = (file: string) => new Int32Array(Uint8Array.from(readFileSync(join(torchDir, file))).buffer);
  const ems = floats('check.emissions.f32');
  const paths = ints('check.paths.i32');
  const ours = f32Net.emissions({ charIds: check.map((s) => s.c), wordIds: check.map((s) => s.w) });
  let worst = 0;
  let pathsDiffer = 0;
  let at = 0;
  check.forEach((s, i) => {
    const T = s.c.length;
    const em = ems.subarray(at * K, (at + T) * K);
    for (let j = 0; j < em.length; j++) worst = Math.max(worst, Math.abs(em[j] - ours[i][j]));
    const ref = refViterbi(em, T, crf).path;
    for (let t = 0; t < T; t++) if (paths[at + t] !== ref[t]) pathsDiffer++;
    at += T;
  });
  if (at * K !== ems.length || at !== paths.length) throw new Error('the PyTorch peer wrote files of the wrong size');
  if (!(worst < 1e-3)) throw new Error(`PyTorch's network differs from cner's: max |Δ emission| ${worst}`);
  if (pathsDiffer > 0) throw new Error(`PyTorch's numpy Viterbi differs from the reference's at ${pathsDiffer} tags`);
  log(
    `PyTorch checked: max |Δ emission| against cner f32 ${worst.toExponential(1)}; its Viterbi paths are the reference's`,
  );
}

// ---- interleaved rounds
const ceiling = await ceilingKernels('simd');
const alone = { f32: matmulAlone(kernels, false), q8: matmulAlone(kernels, true) };
const cpu: number[][] = runners.map(() => []);
const ceilF32: number[] = [];
const ceilQ8: number[] = [];
const aloneF32: number[] = [];
const aloneQ8: number[] = [];
for (const r of runners) await r.all(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  log(`round ${round + 1} of ${ROUNDS}…`);
  ceilF32.push(ceiling.f32());
  ceilQ8.push(ceiling.q8());
  aloneF32.push(alone.f32());
  aloneQ8.push(alone.q8());
  const order = runners.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  for (const i of order) {
    const c0 = cpuMs();
    const own = await runners[i].all();
    cpu[i].push(own ?? cpuMs() - c0);
  }
}
const latencies: number[] = [];
for (const r of runners) {
  if (r.latency) {
    latencies.push(await r.latency(20, LAT_RUNS));
    continue;
  }
  const times: number[] = [];
  for (let i = 0; i < 20; i++) await r.one(); // warm-up
  for (let i = 0; i < LAT_RUNS; i++) {
    const c0 = cpuMs();
    await r.one();
    times.push(cpuMs() - c0);
  }
  latencies.push(median(times));
}

await torch?.close();

// ---- table: ratios from CPU time
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const cps = runners.map((_, i) => chars / (median(cpu[i]) / 1000));
const web = runners.findIndex((r) => r.name.startsWith('onnxruntime-web'));
const native = runners.findIndex((r) => r.name.startsWith('onnxruntime-node'));
// the ceiling as in bench/kernels.bench.ts: the better of the register loop and cner's matrix kernel alone
const ceilingF32 = Math.max(median(ceilF32), median(aloneF32));
const ceilingQ8 = Math.max(median(ceilQ8), median(aloneQ8));
const lines = [
  '| implementation | 64 chars p50 (CPU) | chars/s (CPU) | × onnxruntime-web | × onnxruntime-node | % of wasm SIMD ceiling | notes |',
  '|---|---:|---:|---:|---:|---:|---|',
  ...runners.map((r, i) =>
    [
      '',
      r.name,
      `${fmt(latencies[i], 2)} ms`,
      fmt(cps[i]),
      fmt(cps[i] / cps[web], 2),
      fmt(cps[i] / cps[native], 2),
      r.int8 === undefined
        ? '–'
        : `${fmt((100 * (r.name.includes('product') ? MACS : MACS_FOLDED) * cps[i]) / (r.int8 ? ceilingQ8 : ceilingF32), 0)} %`,
      r.note,
      '',
    ]
      .join(' | ')
      .trim(),
  ),
];
const load = loadavg();
console.log(
  `\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, single thread; load average at the end ` +
    `${load.map((l) => l.toFixed(1)).join(' / ')}${quick ? ' (--quick run)' : ''}. Medians of ${ROUNDS} interleaved rounds over ` +
    `${N_SENTENCES} sentences (${fmt(chars)} chars), CPU time; 64-character latency: median of ${LAT_RUNS} runs. ` +
    `wasm SIMD ceiling in the same rounds: ${fmt(ceilingF32 / 1e9, 1)} GMAC/s f32, ${fmt(ceilingQ8 / 1e9, 1)} GMAC/s int8 × i16, ` +
    `the better of the register loops of assembly/ceiling.ts (${fmt(median(ceilF32) / 1e9, 1)} / ${fmt(median(ceilQ8) / 1e9, 1)}) ` +
    `and cner's matrix kernel alone on a cache-resident 32 × 512 × 128 block (${fmt(median(aloneF32) / 1e9, 1)} / ` +
    `${fmt(median(aloneQ8) / 1e9, 1)}); the model: ${fmt(MACS)} MACs per character (folded: ${fmt(MACS_FOLDED)}).\n\n${lines.join('\n')}\n`,
);
