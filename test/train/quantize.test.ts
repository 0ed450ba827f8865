import { describe, expect, it } from 'vitest';
import { tensorSpecs } from '../../src/model/layout.js';
import { ParamLayout, initParameters } from '../../src/train/params.js';
import { dequantizeWeights, quantizeRows, quantizeWeights, quantizedNames } from '../../src/train/quantize.js';
import { Rng } from '../../src/train/rng.js';
import { tinyArch } from './tiny.js';

describe('int8-per-row quantisation', () => {
  it('each row: scale = max|row| / 127, |w − q·scale| ≤ scale / 2, the max element exact', () => {
    const rng = new Rng(2);
    const rows = 5;
    const cols = 9;
    const w = Float32Array.from({ length: rows * cols }, () => rng.uniform(-3, 3));
    w.fill(0, 2 * cols, 3 * cols); // an all-zero row
    const { q, scale } = quantizeRows(w, rows, cols);
    for (let r = 0; r < rows; r++) {
      let max = 0;
      for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(w[r * cols + c]));
      expect(scale[r]).toBeCloseTo(max / 127, 7);
      for (let c = 0; c < cols; c++) {
        expect(Math.abs(w[r * cols + c] - q[r * cols + c] * scale[r])).toBeLessThanOrEqual(scale[r] / 2 + 1e-7);
        expect(Math.abs(q[r * cols + c])).toBeLessThanOrEqual(127);
      }
    }
    expect(scale[2]).toBe(0);
    expect(Array.from(q.subarray(2 * cols, 3 * cols)).every((x) => x === 0)).toBe(true);
  });

  it('quantises exactly the quantizable tensors of layout.ts, with .scale companions; dequantise inverts it', () => {
    const arch = tinyArch();
    const layout = new ParamLayout(arch);
    const w = layout.toWeights(initParameters(layout, new Rng(3)));
    const qw = quantizeWeights(w, arch);
    const specs = tensorSpecs(arch);
    expect(quantizedNames(qw).sort()).toEqual(specs.filter((s) => s.quantizable).map((s) => s.name).sort());
    for (const s of specs) {
      const t = qw.get(s.name)!;
      expect(t.shape).toEqual(s.shape);
      if (s.quantizable) expect(qw.get(`${s.name}.scale`)!.shape).toEqual([s.shape[0]]);
      else expect(t.dtype).toBe('f32');
    }
    const back = dequantizeWeights(qw, arch);
    for (const s of specs) {
      const a = w.get(s.name)!.data;
      const b = back.get(s.name)!.data;
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
      const range = Math.max(...Array.from(a, Math.abs));
      expect(max).toBeLessThanOrEqual(range / 254 + 1e-6);
    }
  });

  it('rejects missing tensors and wrong shapes', () => {
    const arch = tinyArch();
    const layout = new ParamLayout(arch);
    const w = layout.toWeights(initParameters(layout, new Rng(3)));
    w.delete('dense.w');
    expect(() => quantizeWeights(w, arch)).toThrow(/dense\.w/);
  });
});
