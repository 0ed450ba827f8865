/**
 * The trainer's named steps on their own (src/train/ema.ts on a WasmBackend, src/train/early-stop.ts), with numbers
 * worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { EarlyStopper, type StopState, betterOf } from '../../src/train/early-stop.js';
import { WasmBackend } from '../../src/train/backend.js';
import { Ema, foldAverage } from '../../src/train/ema.js';
import { ParamLayout } from '../../src/train/params.js';
import { tinyArch } from './tiny.js';

describe('Ema', () => {
  const layout = new ParamLayout(tinyArch());
  const filled = (x: number) => new Float32Array(layout.total).fill(x);

  it('folds in the parameters with the warmed-up decay min(d, (1 + t) / (10 + t))', () => {
    const w = Float32Array.from([0, 10]);
    // step 0: d = min(0.5, 1/10) = 0.1 → 0.1·0 + 0.9·1 = 0.9, 0.1·10 + 0.9·20 = 19
    foldAverage(w, Float32Array.from([1, 20]), 0.5, 0);
    expect(Array.from(w)).toEqual([Math.fround(0.9), 19]);
    // step 8: d = min(0.5, 9/18) = 0.5 → 0.5·0.9 + 0.5·3 = 1.95, 0.5·19 + 0.5·(−1) = 9
    foldAverage(w, Float32Array.from([3, -1]), 0.5, 8);
    expect(w[0]).toBeCloseTo(1.95, 6);
    expect(w[1]).toBe(9);
    // step 100: d = min(0.5, 101/110) = 0.5 → 0.5·9 + 0.5·1 = 5
    foldAverage(w, Float32Array.from([0, 1]), 0.5, 100);
    expect(w[1]).toBe(5);
  });

  it('keeps the average in the backend: starts at the parameters, update folds them in', () => {
    const backend = new WasmBackend(layout);
    backend.setParameters(filled(10));
    const ema = new Ema(0.5, backend);
    expect(Array.from(ema.read().subarray(0, 3))).toEqual([10, 10, 10]);
    backend.setParameters(filled(20));
    ema.update(0); // d = 0.1 → 0.1·10 + 0.9·20 = 19
    expect(ema.read().every((x) => x === 19)).toBe(true);
    expect(backend.getFlatParameters().every((x) => x === 20)).toBe(true);
  });

  it('swaps the average in for the callback and the raw parameters back, also when the callback throws', async () => {
    const backend = new WasmBackend(layout);
    backend.setParameters(filled(7));
    const ema = new Ema(0.9, backend, filled(1));
    const seen = await ema.withAverage(async () => backend.getFlatParameters()[0]);
    expect(seen).toBe(1);
    expect(backend.getFlatParameters().every((x) => x === 7)).toBe(true);
    await expect(ema.withAverage(async () => Promise.reject(new Error('decode failed')))).rejects.toThrow(
      'decode failed',
    );
    expect(backend.getFlatParameters().every((x) => x === 7)).toBe(true);
    expect(ema.read().every((x) => x === 1)).toBe(true);
  });

  it('refuses a decay outside (0, 1) and parameters of another size', () => {
    const backend = new WasmBackend(layout);
    expect(() => new Ema(0, backend)).toThrow('Ema: expected 0 < decay < 1, got 0');
    expect(() => new Ema(1, backend)).toThrow('Ema: expected 0 < decay < 1, got 1');
    expect(() => new Ema(0.9, backend, new Float32Array(3))).toThrow(
      `startAverage: expected ${layout.total} floats, got 3`,
    );
    expect(() => foldAverage(new Float32Array(2), new Float32Array(3), 0.9, 0)).toThrow(
      'updateAverage: expected 2 parameters, got 3',
    );
  });
});

describe('EarlyStopper', () => {
  const fresh = (): StopState => ({ bestF1: -1, bestEpoch: 0, badEpochs: 0 });

  it('keeps the first of equal scores and stops after `patience` epochs without a strict improvement', () => {
    const stop = new EarlyStopper(2, true, fresh());
    const seen = [0.5, 0.7, 0.7, 0.6].map((f1, i) => [stop.observe(i + 1, f1), stop.shouldStop]);
    expect(seen).toEqual([
      [true, false],
      [true, false],
      [false, false], // a tie is no improvement
      [false, true], // two epochs since epoch 2
    ]);
    expect(stop.state).toEqual({ bestF1: 0.7, bestEpoch: 2, badEpochs: 2 });
  });

  it('an improvement resets the count; patience 0 never stops', () => {
    const stop = new EarlyStopper(0, true, fresh());
    for (const [e, f1] of [
      [1, 0.4],
      [2, 0.3],
      [3, 0.2],
      [4, 0.1],
      [5, 0.45],
    ])
      stop.observe(e, f1);
    expect(stop.shouldStop).toBe(false);
    expect(stop.state).toEqual({ bestF1: 0.45, bestEpoch: 5, badEpochs: 0 });
  });

  it('without dev sentences every epoch is the best and patience never stops the run', () => {
    const stop = new EarlyStopper(1, false, fresh());
    expect([stop.observe(1, 0), stop.observe(2, 0), stop.observe(3, 0)]).toEqual([true, true, true]);
    expect(stop.shouldStop).toBe(false);
    expect(stop.state).toEqual({ bestF1: 0, bestEpoch: 3, badEpochs: 0 });
  });

  it('continues from a resumed state (the checkpoint’s figures)', () => {
    const stop = new EarlyStopper(3, true, { bestF1: 0.8, bestEpoch: 4, badEpochs: 2 });
    expect(stop.observe(7, 0.79)).toBe(false);
    expect(stop.shouldStop).toBe(true);
  });

  it('refuses a negative or fractional patience', () => {
    expect(() => new EarlyStopper(-1, true, fresh())).toThrow('EarlyStopper: expected patience ≥ 0, got -1');
    expect(() => new EarlyStopper(1.5, true, fresh())).toThrow('EarlyStopper: expected patience ≥ 0, got 1.5');
  });
});

describe('betterOf (averaged or raw weights)', () => {
  it('the raw weights only when they score strictly higher; the average on a tie or with no raw score', () => {
    expect(betterOf({ f1: 0.6 }, { f1: 0.7 })).toEqual({ kept: 'raw', score: { f1: 0.7 } });
    expect(betterOf({ f1: 0.7 }, { f1: 0.7 })).toEqual({ kept: 'average', score: { f1: 0.7 } });
    expect(betterOf({ f1: 0.8 }, { f1: 0.7 })).toEqual({ kept: 'average', score: { f1: 0.8 } });
    expect(betterOf({ f1: 0 }, undefined)).toEqual({ kept: 'average', score: { f1: 0 } });
    expect(betterOf(undefined, { f1: 0.2 })).toEqual({ kept: 'raw', score: { f1: 0.2 } });
    expect(() => betterOf(undefined, undefined)).toThrow(
      'betterOf: no score for either the averaged or the raw weights',
    );
  });
});
