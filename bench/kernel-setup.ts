/**
 * What bench/kernels.bench.ts and bench/peers/peers.bench.ts run on, the same in both: the paper's architecture
 * with 3,000 chars / 20,000 words, random weights (seed 1), random sentences of 10–150 characters (seed 2024)
 * and one of 64, and the model's multiply-accumulates per character.
 */
import { type Architecture, PAPER_ARCHITECTURE } from '../src/model/layout.js';
import { mulberry32 } from '../test/reference/weights.js';

export const BENCH_ARCH: Architecture = { ...PAPER_ARCHITECTURE, charVocab: 3000, wordVocab: 20000 };
export const WEIGHT_SEED = 1;

export interface BenchSentence {
  c: Int32Array;
  w: Int32Array;
}

/** n sentences of 10–150 characters and one of 64 (s64), char and word ids from the same seeded stream */
export function benchSentences(n: number): { sentences: BenchSentence[]; s64: BenchSentence } {
  const rnd = mulberry32(2024);
  const randomSentence = (T: number): BenchSentence => ({
    c: Int32Array.from({ length: T }, () => 2 + Math.floor(rnd() * (BENCH_ARCH.charVocab - 2))),
    w: Int32Array.from({ length: T }, () => 2 + Math.floor(rnd() * (BENCH_ARCH.wordVocab - 2))),
  });
  const sentences = Array.from({ length: n }, () => randomSentence(10 + Math.floor(rnd() * 141)));
  return { sentences, s64: randomSentence(64) };
}

/** multiply-accumulates per character of the model (unpadded): every LSTM layer both ways, then dense */
export function macsPerChar(a: Architecture): number {
  let inSize = a.charDim + a.wordDim;
  let macs = 0;
  for (const H of a.lstm) {
    macs += 2 * 4 * H * (inSize + H);
    inSize = 2 * H;
  }
  return macs + a.tags * inSize;
}

/** multiply-accumulates per character of the folded network (src/model/network.ts FoldGroup): all but layer 0's input projection */
export function macsPerCharFolded(a: Architecture): number {
  return macsPerChar(a) - (a.lstm.length > 0 ? 2 * 4 * a.lstm[0] * (a.charDim + a.wordDim) : 0);
}

/** foldCacheBytes that keeps a row for every char and word id: one f32 row of [fw | bw] 4·Hp gates each (Hp = H padded to 8) */
export function foldAllIdsBytes(a: Architecture): number {
  return (a.charVocab + a.wordVocab) * 4 * 8 * Math.ceil(a.lstm[0] / 8) * 8;
}

/** process CPU time in ms (all threads) */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface Latency {
  p50: number;
  p99: number;
  cpuP50: number;
}

/** `runs` timed calls of fn after `warm` untimed ones: wall-clock p50 / p99 and CPU-time p50, in ms */
export function latency(runs: number, warm: number, fn: () => void): Latency {
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
