import { describe, expect, it } from 'vitest';
import { CHAR_LM_DIRECTIONS, CHAR_LM_PARTS, charLmTensor } from '../../src/features/channels.js';
import { CharLmModel, charLmPieces, pretrainCharLm } from '../../src/train/charlm.js';
import { Rng } from '../../src/train/rng.js';

const tiny = { vocab: 6, dim: 3, hidden: 4 };

/** Random pieces of the given lengths with ids in [0, vocab). */
function randomPieces(lengths: number[], vocab: number, seed: number): Int32Array[] {
  const rng = new Rng(seed);
  return lengths.map((n) => Int32Array.from({ length: n }, () => rng.int(vocab)));
}

describe('char language model (src/train/charlm.ts)', () => {
  it('the analytic gradient of every tensor matches central differences of the loss', () => {
    const model = new CharLmModel(tiny, 3);
    // livelier weights than the initialisation, so every gate matters
    const rng = new Rng(17);
    const flat = model.flat();
    for (let i = 0; i < flat.length; i++) flat[i] = rng.uniform(-0.8, 0.8);
    const pieces = randomPieces([5, 3, 6], tiny.vocab, 5); // B = 3, unsorted lengths
    const { loss, chars } = model.lossAndGradient(pieces);
    expect(chars).toBe(4 + 2 + 5);
    expect(loss).toBeGreaterThan(0);
    const analytic = model.gradient().slice();
    const eps = 1e-2;
    const lossAt = (i: number, v: number) => {
      const f = model.flat();
      const keep = f[i];
      f[i] = v;
      const l = model.lossAndGradient(pieces).loss;
      model.flat()[i] = keep;
      return l;
    };
    let worst = 0;
    let norm = 0;
    const base = model.flat().slice();
    for (let i = 0; i < base.length; i++) {
      const numeric = (lossAt(i, base[i] + eps) - lossAt(i, base[i] - eps)) / (2 * eps);
      worst = Math.max(worst, Math.abs(analytic[i] - numeric) / (2e-3 + 2e-2 * Math.abs(numeric)));
      norm += numeric * numeric;
    }
    expect(Math.sqrt(norm), 'the numeric gradient is not trivial').toBeGreaterThan(0.1);
    expect(worst, 'worst |analytic − numeric| / (2e-3 + 2e-2 |numeric|)').toBeLessThan(1);
  });

  it('every tensor of the channel gets a gradient (the check above can fail on any of them)', () => {
    const model = new CharLmModel(tiny, 3);
    model.lossAndGradient(randomPieces([5, 3, 6], tiny.vocab, 5));
    const g = model.gradient();
    const t = model.tensors('fw');
    expect([...t.keys()]).toEqual(CHAR_LM_PARTS.map((p) => charLmTensor('fw', p)));
    // the flat vector holds the channel's four tensors first, in CHAR_LM_PARTS order (4-float aligned)
    let offset = 0;
    for (const [name, { data }] of t) {
      let n = 0;
      for (let i = 0; i < data.length; i++) n += g[offset + i] ** 2;
      expect(n, `${name} gradient`).toBeGreaterThan(0);
      offset += (data.length + 3) & ~3;
    }
  });

  it('refuses pieces it cannot learn from, with the reason', () => {
    const model = new CharLmModel(tiny, 1);
    expect(() => model.lossAndGradient([])).toThrow('char LM: expected at least one piece, got 0');
    expect(() => model.lossAndGradient([Int32Array.of(1)])).toThrow(
      'char LM: piece 0 must be an Int32Array of ≥ 2 char ids',
    );
    expect(() => model.lossAndGradient([Int32Array.of(1, 6)])).toThrow(
      'char LM: piece 0[1] = 6 is outside the char vocabulary [0, 6)',
    );
    expect(() => new CharLmModel({ vocab: 6, dim: 0, hidden: 4 }, 1)).toThrow(
      'char LM: dim must be an integer ≥ 1, got 0',
    );
    expect(() => pretrainCharLm([Int32Array.of(2)], tiny, { steps: 1 })).toThrow(
      'char LM: no sentence of 2 or more characters',
    );
  });

  it('cuts sentences into overlapping pieces, reversed for the backward model', () => {
    const s = Int32Array.of(2, 3, 4, 5, 2);
    expect(charLmPieces([s, Int32Array.of(3)], 2, false).map((p) => [...p])).toEqual([
      [2, 3, 4],
      [4, 5, 2],
    ]);
    expect(charLmPieces([s], 3, true).map((p) => [...p])).toEqual([
      [2, 5, 4, 3],
      [3, 2],
    ]);
  });

  it('learns a patterned text: the loss falls in both directions, and the run is deterministic by seed', () => {
    // "2 3 4 5" repeated with a random 1-char insert now and then: predictable in both directions
    const rng = new Rng(9);
    const sentences = Array.from({ length: 40 }, () => {
      const ids: number[] = [];
      while (ids.length < 30) {
        ids.push(2, 3, 4, 5);
        if (rng.int(3) === 0) ids.push(1);
      }
      return Int32Array.from(ids);
    });
    const lines: string[] = [];
    const opts = { steps: 80, batch: 8, seqLen: 12, lr: 0.02, seed: 4 };
    const a = pretrainCharLm(sentences, tiny, opts, (l) => lines.push(l), 20);
    for (const dir of CHAR_LM_DIRECTIONS) {
      const h = a.history.filter((x) => x.dir === dir);
      expect(h.length).toBe(4);
      expect(h[0].loss, `${dir} starts near log 6`).toBeGreaterThan(0.9);
      expect(h[3].loss, `${dir} loss falls`).toBeLessThan(0.6 * h[0].loss);
      expect(h[3].perplexity).toBeCloseTo(Math.exp(h[3].loss), 10);
    }
    expect(lines[0]).toMatch(/^char LM fw step 20\/80: loss \d+\.\d{4} nats\/char, perplexity \d+\.\d\d$/);
    expect([...a.tensors.keys()]).toEqual(
      CHAR_LM_DIRECTIONS.flatMap((d) => CHAR_LM_PARTS.map((p) => charLmTensor(d, p))),
    );
    const b = pretrainCharLm(sentences, tiny, opts);
    for (const [name, t] of a.tensors) expect(b.tensors.get(name)!.data, name).toEqual(t.data);
    const c = pretrainCharLm(sentences, tiny, { ...opts, seed: 5 });
    expect(c.tensors.get('charlm.fw.w_ih')!.data).not.toEqual(a.tensors.get('charlm.fw.w_ih')!.data);
  });
});
