import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/layout.js';
import type { Sentence } from '../../src/train/batch.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { resolveConfig } from '../../src/train/config.js';
import { tagAccuracy } from '../../src/train/metrics.js';
import { WasmBackend } from '../../src/train/backend.js';
import { ParamLayout } from '../../src/train/params.js';
import { Rng } from '../../src/train/rng.js';
import { OutsideLexicon } from '../../src/features/outside-lexicon.js';
import { dataKey, makeBatches, splitLongSentences, train } from '../../src/train/trainer.js';
import { contextTask, randomSentences, tinyArch } from './tiny.js';

const LABELS = ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'];

/** contextTask (tiny.ts) with sentences of 4–15 characters. */
const synthetic = (n: number, seed: number): Sentence[] => contextTask(n, seed, 4, 12);

const arch: Architecture = { charVocab: 10, charDim: 8, wordVocab: 5, wordDim: 4, lstm: [12], tags: 5, crf: true };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cner-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('trainer', () => {
  const trainSet = synthetic(300, 1);
  const devSet = synthetic(60, 2);

  it('learns a small contextual task: loss falls, dev F1 and tag accuracy reach ~100%', async () => {
    const out = tmp();
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [12], dropout: 0, batchSize: 10, epochs: 12, patience: 0, workers: 1, optimizer: { lr: 0.02 } });
    const r = await train({ arch, labels: LABELS, train: trainSet, dev: devSet }, { config, outDir: out, progress: false });
    const first = r.history[0];
    const last = r.history[r.history.length - 1];
    expect(last.loss).toBeLessThan(first.loss / 5);
    expect(r.best.f1).toBeGreaterThan(0.99);
    const b = new WasmBackend(new ParamLayout(arch));
    b.setParameters(r.best.weights);
    const paths = await b.decode(devSet);
    expect(tagAccuracy(devSet.map((s) => s.tagIds), paths)).toBeGreaterThan(0.99);
    // curve and checkpoint written
    expect(JSON.parse(readFileSync(join(out, 'curve.json'), 'utf8'))).toHaveLength(12);
    expect(readFileSync(join(out, 'curve.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>$/);
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
  });

  it('the softmax baseline (crf = false) and 2 workers also learn it', async () => {
    const a2 = { ...arch, crf: false };
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [12], crf: false, dropout: 0.1, batchSize: 10, epochs: 10, patience: 0, workers: 2, optimizer: { lr: 0.02 } });
    const r = await train({ arch: a2, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
    expect(r.best.f1).toBeGreaterThan(0.95);
  });

  it('an interrupted run resumed from its checkpoint ends bit-identical to an uninterrupted one (1 thread)', async () => {
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [6], dropout: 0.5, batchSize: 16, epochs: 3, patience: 0, workers: 1, seed: 5 });
    const straight = await train({ arch: { ...arch, lstm: [6] }, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
    const out = tmp();
    const ac = new AbortController();
    const first = await train(
      { arch: { ...arch, lstm: [6] }, labels: LABELS, train: trainSet, dev: devSet },
      { config, outDir: out, progress: false, signal: ac.signal, onStep: (s) => s === 25 && ac.abort() }, // mid-epoch 2
    );
    expect(first.stoppedBy).toBe('abort');
    expect(first.steps).toBe(25);
    const resumed = await train({ arch: { ...arch, lstm: [6] }, labels: LABELS, train: trainSet, dev: devSet }, { config, outDir: out, progress: false, resume: true });
    expect(resumed.steps).toBe(straight.steps);
    expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
    for (const [name, t] of straight.final) expect(Array.from(resumed.final.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it('two runs with 2 workers are bit-identical', async () => {
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [6], dropout: 0.5, batchSize: 16, epochs: 1, workers: 2, seed: 9 });
    const a6 = { ...arch, lstm: [6] };
    const r1 = await train({ arch: a6, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
    const r2 = await train({ arch: a6, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
    for (const [name, t] of r1.final) expect(Array.from(r2.final.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it('refuses to resume on different data', async () => {
    const out = tmp();
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [4], batchSize: 50, epochs: 1, workers: 1 });
    await train({ arch: { ...arch, lstm: [4] }, labels: LABELS, train: trainSet, dev: devSet }, { config, outDir: out, progress: false });
    await expect(
      train({ arch: { ...arch, lstm: [4] }, labels: LABELS, train: trainSet.slice(1), dev: devSet }, { config: { ...config, epochs: 2 }, outDir: out, progress: false, resume: true }),
    ).rejects.toThrow(/different training data/);
  });

  it('refuses to resume when only the lexicon ids changed (e.g. another lexiconFolds)', async () => {
    const out = tmp();
    const L = (LABELS.length - 1) / 2;
    const lexArch = { ...arch, lstm: [4], lexTypes: L, lexDim: 2 };
    const withLex = (shift: number) => trainSet.map((s) => ({ ...s, lexIds: Int32Array.from({ length: s.charIds.length * L }, (_, i) => 5 * (i % L) + ((i + shift) % 5)) }));
    const devLex = devSet.map((s) => ({ ...s, lexIds: Int32Array.from({ length: s.charIds.length * L }, (_, i) => 5 * (i % L)) }));
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [4], lexDim: 2, batchSize: 50, epochs: 1, workers: 1 });
    await train({ arch: lexArch, labels: LABELS, train: withLex(0), dev: devLex }, { config, outDir: out, progress: false });
    await expect(
      train({ arch: lexArch, labels: LABELS, train: withLex(1), dev: devLex }, { config: { ...config, epochs: 2 }, outDir: out, progress: false, resume: true }),
    ).rejects.toThrow(/different training data/);
    // the same ids resume
    const again = await train({ arch: lexArch, labels: LABELS, train: withLex(0), dev: devLex }, { config: { ...config, epochs: 2 }, outDir: out, progress: false, resume: true });
    expect(again.history).toHaveLength(2);
  });

  it('the data key of a run without the outsideLex and charLm channels is the one it was before they joined it', () => {
    // pinned: the keys computed by the code before the key covered those channels (checkpoints made then stay valid)
    const config = resolveConfig();
    const plain = { arch: { ...arch, lstm: [4] }, train: contextTask(40, 1, 4, 12), dev: contextTask(10, 2, 4, 12) };
    expect(dataKey(plain, config)).toBe('373c0eca');
    const a2 = tinyArch({ lexTypes: 2, lexDim: 2, bigramVocab: 6, bigramDim: 2, lstm: [4] });
    const withLexAndBigrams = { arch: a2, train: randomSentences(a2, [3, 5, 7, 2], 3), dev: randomSentences(a2, [4, 6], 4) };
    expect(dataKey(withLexAndBigrams, config)).toBe('c3ba76a0');
    // the charLm settings only count with the channel on
    const other = resolveConfig({ charLm: { ...config.charLm, steps: 7, lr: 0.5 } });
    expect(dataKey(plain, other)).toBe('373c0eca');
  });

  /** Sentences of trainSet with the outsideLex ids of a word list: char id c is the token 一+c, words are token strings. */
  const tokensOf = (s: Sentence) => Array.from(s.charIds, (c) => String.fromCodePoint(0x4e00 + c));
  const withOutside = (sentences: Sentence[], words: string[]) => {
    const lexicon = new OutsideLexicon(words);
    return sentences.map((s) => ({ ...s, outsideLexIds: lexicon.match(tokensOf(s)) }));
  };
  const word = (...ids: number[]) => ids.map((c) => String.fromCodePoint(0x4e00 + c)).join('');

  it('refuses to resume with another outside word list of the same length (the outsideLex ids differ)', async () => {
    const out = tmp();
    const outArch = { ...arch, lstm: [4], outsideLexWords: 3, outsideLexDim: 2 };
    const listA = [word(2, 3), word(4, 5), word(1)];
    const listB = [word(3, 3), word(5, 4), word(6)];
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [4], outsideLexDim: 2, outsideLexicon: 'list.txt', batchSize: 50, epochs: 1, workers: 1 });
    const run = (words: string[], epochs: number, resume: boolean) =>
      train(
        { arch: outArch, labels: LABELS, train: withOutside(trainSet, words), dev: withOutside(devSet, words) },
        { config: { ...config, epochs }, outDir: out, progress: false, resume },
      );
    await run(listA, 1, false);
    await expect(run(listB, 2, true)).rejects.toThrow(
      'resume: the checkpoint was made with another outside word list (the outsideLex ids of the sentences differ)',
    );
    // a checkpoint made before the key covered the channel (its key is the base part alone) is refused as such
    const ckPath = join(out, 'checkpoint.bin');
    const ck = readCheckpoint(ckPath);
    writeCheckpoint(ckPath, { ...ck, state: { ...ck.state, dataKey: ck.state.dataKey.split(' ')[0] } });
    await expect(run(listA, 2, true)).rejects.toThrow(
      'resume: the checkpoint was made by an older cner, whose data key did not cover the outsideLex channel; start the run over (--force)',
    );
    writeCheckpoint(ckPath, ck);
    // the same list resumes
    expect((await run(listA, 2, true)).history).toHaveLength(2);
    // the key has an outsideLex part only with the channel, and the part follows the list
    const key = (words: string[]) =>
      dataKey({ arch: outArch, train: withOutside(trainSet, words), dev: withOutside(devSet, words) }, config);
    expect(key(listA)).toMatch(/^[0-9a-f]+ outsideLex=[0-9a-f]+$/);
    expect(key(listA).split(' ')[0]).toBe(dataKey({ arch, train: trainSet, dev: devSet }, config));
    expect(key(listB)).not.toBe(key(listA));
  });

  it("refuses to resume with other charLm settings (config.charLm's steps, batch, seqLen, lr)", async () => {
    const out = tmp();
    const lmArch = { ...arch, lstm: [4], charLmHidden: 8, charLmDim: 2 };
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [4], charLm: { ...resolveConfig().charLm, hidden: 8, dim: 2, steps: 10 }, batchSize: 50, epochs: 1, workers: 1 });
    const run = (charLm: typeof config.charLm, epochs: number, resume: boolean) =>
      train(
        { arch: lmArch, labels: LABELS, train: trainSet.slice(0, 60), dev: devSet.slice(0, 10) },
        { config: { ...config, charLm, epochs }, outDir: out, progress: false, resume },
      );
    await run(config.charLm, 1, false);
    const b = config.charLm;
    await expect(run({ ...config.charLm, steps: 20 }, 2, true)).rejects.toThrow(
      `resume: the checkpoint was made with charLm steps/batch/seqLen/lr 10/${b.batch}/${b.seqLen}/${b.lr}, the config says 20/${b.batch}/${b.seqLen}/${b.lr}`,
    );
    expect((await run(config.charLm, 2, true)).history).toHaveLength(2);
  });
});

describe('batching and sentence splitting', () => {
  it('makeBatches covers every sentence once, with little padding', () => {
    const rng = new Rng(1);
    const lengths = Array.from({ length: 1000 }, () => 1 + rng.int(100));
    const batches = makeBatches(lengths, 32, rng);
    const seen = batches.flat().sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    let padded = 0;
    let real = 0;
    for (const b of batches) {
      const T = Math.max(...b.map((i) => lengths[i]));
      padded += T * b.length;
      real += b.reduce((s, i) => s + lengths[i], 0);
    }
    expect(real / padded).toBeGreaterThan(0.9);
  });

  it('splitLongSentences keeps every character and avoids cutting inside an entity', () => {
    const T = 25;
    const tags = new Int32Array(T);
    tags.set([1, 2, 2, 2], 8); // entity over 8..11
    const s: Sentence = { charIds: Int32Array.from({ length: T }, (_, i) => i + 1), wordIds: new Int32Array(T).fill(1), tagIds: tags };
    const parts = splitLongSentences([s], 10, (t) => t === 2);
    expect(parts.every((p) => p.charIds.length <= 10)).toBe(true);
    expect(parts.flatMap((p) => Array.from(p.charIds))).toEqual(Array.from(s.charIds));
    expect(parts[0].charIds.length).toBe(8); // cut moved before the entity
    expect(parts.every((p) => p.tagIds[0] !== 2)).toBe(true);
  });
});
