import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWord2VecText } from '../../src/train/embed/format.js';
import { readCheckpoint, writeCheckpoint, type TrainerState } from '../../src/train/checkpoint.js';
import { DEFAULT_CONFIG, architectureFor, loadConfig, resolveConfig } from '../../src/train/config.js';
import { spanF1 } from '../../src/train/metrics.js';
import { ParamLayout, initParameters } from '../../src/train/params.js';
import { applyPretrained, loadWord2Vec } from '../../src/train/pretrained.js';
import { ProgressBar, learningCurveSvg } from '../../src/train/progress.js';
import { Rng } from '../../src/train/rng.js';
import { tinyArch } from './tiny.js';

const dir = mkdtempSync(join(tmpdir(), 'cner-train-support-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config', () => {
  it('defaults are the paper setup; fields overlay; unknown or bad fields are refused', () => {
    const c = resolveConfig();
    expect(c).toMatchObject({ charDim: 50, wordDim: 50, lstm: [128, 64], dropout: 0.5, crf: true, batchSize: 32 });
    expect(c.optimizer).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 5 });
    expect(resolveConfig({ optimizer: { lr: 0.01 } }).optimizer.beta2).toBe(0.999);
    expect(() => resolveConfig({ lstmm: [1] } as never)).toThrow('config: lstmm: unknown field (did you mean "lstm"?)');
    expect(() => resolveConfig({ dropout: 1 })).toThrow(/dropout/);
    expect(() => resolveConfig({ lstm: [0] })).toThrow(/lstm/);
    expect(() => resolveConfig({ optimizer: { lr: -1 } })).toThrow(/lr/);
    expect(architectureFor(c, { charVocab: 10, wordVocab: 20, tags: 11 })).toEqual({ charVocab: 10, charDim: 50, wordVocab: 20, wordDim: 50, lstm: [128, 64], tags: 11, crf: true });
    expect(DEFAULT_CONFIG.lstm).toEqual([128, 64]);
  });

  it('loadConfig resolves embedding paths against the config file', () => {
    const p = join(dir, 'cfg.json');
    writeFileSync(p, JSON.stringify({ epochs: 3, embeddings: { word: 'w.txt' } }));
    const c = loadConfig(p);
    expect(c.epochs).toBe(3);
    expect(c.embeddings.word).toBe(join(dir, 'w.txt'));
  });
});

describe('pre-trained embeddings', () => {
  it('copies the vectors of vocabulary tokens found in a word2vec file, leaves the others random', () => {
    const arch = tinyArch({ charVocab: 4, charDim: 3 });
    const layout = new ParamLayout(arch);
    const flat = initParameters(layout, new Rng(1));
    const before = flat.slice();
    const p = join(dir, 'chars.w2v.txt');
    writeFileSync(p, writeWord2VecText({ vocab: ['甲', '丙', '丁'], counts: [0, 0, 0], vectors: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), dim: 3 }));
    const stats = applyPretrained(layout, flat, 'embed.char', ['<pad>', '<unk>', '甲', '乙'], loadWord2Vec(p));
    expect(stats).toEqual({ tensor: 'embed.char', vocab: 2, found: 1 });
    const s = layout.slot('embed.char');
    expect(Array.from(flat.subarray(s.offset + 6, s.offset + 9))).toEqual([1, 2, 3]);
    expect(Array.from(flat.subarray(s.offset + 9, s.offset + 12))).toEqual(Array.from(before.subarray(s.offset + 9, s.offset + 12)));
    expect(() => applyPretrained(layout, flat, 'embed.char', ['<pad>', '<unk>'], loadWord2Vec(p))).toThrow(/rows/);
  });
});

describe('checkpoints, metrics, progress, learning curve', () => {
  it('a checkpoint round-trips; a foreign file is refused', () => {
    const state = { epoch: 2, step: 10, history: [] } as unknown as TrainerState;
    const p = join(dir, 'ck.bin');
    const params = Float32Array.from([1, 2, 3]);
    writeCheckpoint(p, { state, params, m: Float32Array.from([4, 5, 6]), v: Float32Array.from([7, 8, 9]) });
    const ck = readCheckpoint(p);
    expect(ck.state).toEqual(state);
    expect(Array.from(ck.params)).toEqual([1, 2, 3]);
    expect(Array.from(ck.v)).toEqual([7, 8, 9]);
    expect(ck.best).toBeUndefined();
    writeFileSync(p, 'not a checkpoint at all');
    expect(() => readCheckpoint(p)).toThrow(/bad magic/);
  });

  it('spanF1 is entity-level strict', () => {
    const labels = ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'];
    const gold = [Int32Array.from([1, 2, 0, 3, 4])];
    expect(spanF1(gold, gold, labels).f1).toBe(1);
    const pred = [Int32Array.from([1, 0, 0, 3, 4])]; // X too short
    const s = spanF1(gold, pred, labels);
    expect([s.correct, s.gold, s.predicted]).toEqual([1, 2, 2]);
    expect(s.f1).toBeCloseTo(0.5, 10);
  });

  it('progress lines and the SVG curve', () => {
    const lines: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => lines.push(s), isTTY: false }, 3);
    for (let i = 1; i <= 10; i++) bar.update({ epoch: 1, done: i, total: 10, loss: 2.5, charsPerSec: 1000, etaSeconds: 75 });
    expect(lines.length).toBeGreaterThan(3);
    expect(lines[lines.length - 1]).toMatch(/epoch 1\/3 \[#+\] 100% loss 2\.500 dev F1 +- +1000 chars\/s ETA 1:15/);
    const h = [1, 2, 3].map((e) => ({ epoch: e, loss: 10 / e, devF1: 0.5 + e / 10, devPrecision: 0, devRecall: 0, charsPerSec: 1, seconds: 1, steps: 1 }));
    const svg = learningCurveSvg(h, 'a < b');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('a &lt; b');
    expect(learningCurveSvg([])).toMatch(/<\/svg>$/);
    // a run with no dev sentences draws no dev F1 line of zeros: its axis says n/a
    const noDev = learningCurveSvg(h.map((r) => ({ ...r, devF1: 0 })), 'final fit', false);
    expect(noDev.match(/<polyline/g)).toHaveLength(1);
    expect(noDev).toContain('dev F1 n/a (no dev sentences)');
  });
});
