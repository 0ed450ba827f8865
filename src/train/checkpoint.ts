/**
 * Resumable training checkpoints: one binary file holding the trainer's state (JSON) and the flat f32
 * vectors (parameters, Adam moments, best parameters so far). Written to a temporary name and renamed, so
 * an interruption never leaves a half-written checkpoint.
 *
 *   "CNERCKPT" · u32 version · u32 JSON byte length · JSON · zero padding to 4 · f32 vectors (state.arrays order)
 */

import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../io/output-file.js';
import type { Architecture } from '../model/layout.js';
import type { RngState } from './rng.js';

const MAGIC = 'CNERCKPT';
const VERSION = 1;

export interface EpochReport {
  /** 1-based */
  epoch: number;
  /** mean training loss per sentence over the epoch */
  loss: number;
  /** dev F1 of the weights that stand for the epoch (with an average: the better of averaged and raw) */
  devF1: number;
  devPrecision: number;
  devRecall: number;
  /** training characters per wall-clock second (forward + backward + update) */
  charsPerSec: number;
  /** wall-clock seconds of the epoch, dev decoding included */
  seconds: number;
  steps: number;
  /** with a weight average (config.ema > 0): which weights stand for the epoch, and the dev F1 of each */
  kept?: 'average' | 'raw';
  devF1Average?: number;
  /** absent with no dev sentences */
  devF1Raw?: number;
}

export interface TrainerState {
  arch: Architecture;
  labels: string[];
  /** decay of the weight average the run keeps (config.ema; 0 = none); absent in checkpoints made before it existed */
  ema?: number;
  /**
   * true: the average's decay warms up (trainer emaDecay, from the global step count). Absent in checkpoints made
   * before the warm-up; the trainer refuses to resume those when they hold an average (ema > 0).
   */
  emaWarmup?: boolean;
  /** hash of the training data (sentence count and lengths) so a resume uses the same data */
  dataKey: string;
  /** 0-based epoch in progress */
  epoch: number;
  /** next mini-batch of that epoch */
  batchIndex: number;
  /** RNG state at the start of the epoch (regenerates its batch order) */
  epochRng: RngState;
  /** global step count */
  step: number;
  adamStep: number;
  /** running sums of the epoch in progress */
  epochLoss: number;
  epochSentences: number;
  epochChars: number;
  epochSeconds: number;
  bestF1: number;
  bestEpoch: number;
  badEpochs: number;
  history: EpochReport[];
  elapsedSeconds: number;
}

export interface Checkpoint {
  state: TrainerState;
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** best parameters so far (absent before the first evaluation) */
  best?: Float32Array;
  /** exponential moving average of the parameters (config.ema > 0) */
  ema?: Float32Array;
}

export function writeCheckpoint(path: string, ck: Checkpoint): void {
  const arrays: [string, Float32Array][] = [['params', ck.params], ['m', ck.m], ['v', ck.v]];
  if (ck.best) arrays.push(['best', ck.best]);
  if (ck.ema) arrays.push(['ema', ck.ema]);
  const json = new TextEncoder().encode(JSON.stringify({ state: ck.state, arrays: arrays.map(([name, a]) => ({ name, length: a.length })) }));
  const head = 8 + 4 + 4 + json.length;
  const pad = (4 - (head % 4)) % 4;
  const total = head + pad + arrays.reduce((s, [, a]) => s + 4 * a.length, 0);
  const bytes = new Uint8Array(total);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(8, VERSION, true);
  dv.setUint32(12, json.length, true);
  bytes.set(json, 16);
  let off = head + pad;
  for (const [, a] of arrays) {
    new Float32Array(bytes.buffer, off, a.length).set(a);
    off += 4 * a.length;
  }
  writeFileAtomicSync(path, bytes);
}

export function readCheckpoint(path: string): Checkpoint {
  const buf = readFileSync(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error(`checkpoint ${path}: not a checkpoint file (bad magic)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== VERSION) throw new Error(`checkpoint ${path}: version ${version}, expected ${VERSION}`);
  const jsonLength = dv.getUint32(12, true);
  if (16 + jsonLength > bytes.length) throw new Error(`checkpoint ${path}: truncated header`);
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonLength))) as { state: TrainerState; arrays: { name: string; length: number }[] };
  let off = 16 + jsonLength;
  off += (4 - (off % 4)) % 4;
  const out: Record<string, Float32Array> = {};
  for (const { name, length } of meta.arrays) {
    if (off + 4 * length > bytes.length) throw new Error(`checkpoint ${path}: truncated array '${name}'`);
    out[name] = new Float32Array(bytes.slice(off, off + 4 * length).buffer);
    off += 4 * length;
  }
  if (!out.params || !out.m || !out.v) throw new Error(`checkpoint ${path}: missing parameter or optimiser arrays`);
  return { state: meta.state, params: out.params, m: out.m, v: out.v, best: out.best, ema: out.ema };
}
