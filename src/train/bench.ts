/**
 * Training throughput of the paper architecture (emb 50 + 50, BiLSTM 128 + 64, 11 tags, CRF) on synthetic
 * sentences: chars/s of forward + backward + Adam, in this thread and over worker threads.
 *
 * The command line is scripts/train-bench.ts.
 */

import type { Architecture } from '../model/layout.js';
import { DEFAULT_ADAM, type TrainingBackend } from './backend.js';
import type { Sentence } from './batch.js';
import { Rng } from './rng.js';

export function syntheticSentences(arch: Architecture, n: number, minLen: number, maxLen: number, seed: number): Sentence[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const T = minLen + rng.int(maxLen - minLen + 1);
    return {
      charIds: Int32Array.from({ length: T }, () => 1 + rng.int(arch.charVocab - 1)),
      wordIds: Int32Array.from({ length: T }, () => 1 + rng.int(arch.wordVocab - 1)),
      tagIds: Int32Array.from({ length: T }, () => rng.int(arch.tags)),
    };
  });
}

export interface Throughput {
  /** characters per wall-clock second */
  charsPerSec: number;
  /** characters per CPU-second of this process (all threads): the figure on an otherwise idle machine */
  charsPerCpuSec: number;
  steps: number;
}

export async function measure(backend: TrainingBackend, data: Sentence[], batch: number, seconds: number): Promise<Throughput> {
  // bucketed batches, as the trainer makes them
  const sorted = [...data].sort((a, b) => a.charIds.length - b.charIds.length);
  const batches: Sentence[][] = [];
  for (let i = 0; i + batch <= sorted.length; i += batch) batches.push(sorted.slice(i, i + batch));
  const rng = new Rng(1);
  rng.shuffle(batches);
  // warm-up
  await backend.forwardBackward(batches[0], { dropout: 0.5, seed: 1 });
  await backend.step(DEFAULT_ADAM, batch);
  let chars = 0;
  let steps = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while ((performance.now() - t0) / 1000 < seconds) {
    const b = batches[steps % batches.length];
    const s = await backend.forwardBackward(b, { dropout: 0.5, seed: steps });
    await backend.step(DEFAULT_ADAM, b.length);
    chars += s.chars;
    steps++;
  }
  const cpu = process.cpuUsage(c0);
  return { charsPerSec: chars / ((performance.now() - t0) / 1000), charsPerCpuSec: chars / ((cpu.user + cpu.system) / 1e6), steps };
}
