/**
 * The weight average warms up (issue 13): a short run with a long-memory average (ema 0.999) must not be scored
 * and kept at weights that are still mostly the random initialisation. On a tiny task that a plain run learns in
 * one epoch, the averaged run scores at least what the plain run scores, after one epoch and after two.
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/layout.js';
import { resolveConfig } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { contextTask } from './tiny.js';

const LABELS = ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'];
const arch: Architecture = { charVocab: 10, charDim: 6, wordVocab: 5, wordDim: 2, lstm: [8], tags: 5, crf: true };
const trainSet = contextTask(320, 11, 4, 10); // batchSize 8 → 40 steps an epoch
const devSet = contextTask(60, 12, 4, 10);
const BASE = { charDim: 6, wordDim: 2, lstm: [8], dropout: 0, batchSize: 8, patience: 0, workers: 1, seed: 5, optimizer: { lr: 0.03 } };

async function devF1ByEpoch(ema: number, epochs: number): Promise<number[]> {
  const config = resolveConfig({ ...BASE, ema, epochs } as Parameters<typeof resolveConfig>[0]);
  const r = await train({ arch, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
  return r.history.map((h) => h.devF1);
}

describe('the weight average warms up', () => {
  it('ema 0.999 scores at least the plain run after 1 and 2 epochs of a tiny task (40 steps an epoch)', async () => {
    const plain = await devF1ByEpoch(0, 2);
    const averaged = await devF1ByEpoch(0.999, 2);
    console.log(`dev F1 by epoch: plain ${plain.map((f) => f.toFixed(3)).join(' ')} · ema 0.999 ${averaged.map((f) => f.toFixed(3)).join(' ')}`);
    // the plain run has learnt the task (else the comparison means nothing)
    expect(plain[0]).toBeGreaterThan(0.5);
    expect(averaged[0]).toBeGreaterThanOrEqual(plain[0]);
    expect(averaged[1]).toBeGreaterThanOrEqual(plain[1]);
  });
});
