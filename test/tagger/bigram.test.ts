/**
 * End to end with the character-bigram channel (and the lexicon channel beside it): runTraining (bigramDim 4,
 * lexDim 2) on a small synthetic corpus writes f32 and int8 models whose header carries vocab.bigrams; createTagger
 * loads both and tags. The tagger's bigram ids must be those of bigramAt over each sentence's tokens looked up in
 * header.vocab.bigrams (unknown → 1), cut into windows like the other ids: we rebuild them here with our own index
 * of the header's list, run the network ourselves and require the tagger's entities, entity scores and path
 * log-probabilities to be identical — and different when the bigram ids are not those.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIGRAM_END, Lexicon, bigramAt, createLookup, featurizeSentence } from '../../src/features/index.js';
import { type ModelFile, readModel } from '../../src/model/format.js';
import type { Architecture } from '../../src/model/layout.js';
import { createSegmenter } from '../../src/segment/index.js';
import { createTagger } from '../../src/tagger.js';
import { tagTypes } from '../../src/tags/bio.js';
import { taggableSentences } from '../../src/text/sentences.js';
import { resolveConfig } from '../../src/train/config.js';
import { readSplit, type RunSummary, runTraining } from '../../src/train/run.js';
import { kernelBytes } from '../kernels/load.js';
import { ccksLikeDocs, writeJsonl } from '../pipeline/fixture.js';
import { taggedByHand } from './by-hand.js';

const dir = mkdtempSync(join(tmpdir(), 'cner-bigram-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** training terms next to bigrams the corpus never has (肝区, 区叩, …) and one astral character */
const TEXT = '患者腹部压痛三天。行CT检查示肺炎，予抗感染治疗。查体：肝区叩痛，\u{20000}无咳嗽。';
const LONG = '入院后复查心电图，腹部未见异常，既往高血压病史，予降压治疗，患者右下肢水肿，行B超检查示肝囊肿，查体：颈部无压痛。';

let summary: RunSummary;
let wasm: Uint8Array<ArrayBuffer>;
const corpus = join(dir, 'corpus.jsonl');

beforeAll(async () => {
  wasm = kernelBytes();
  writeJsonl(corpus, ccksLikeDocs(40, 7));
  const config = resolveConfig({
    charDim: 8, wordDim: 4, bigramDim: 4, bigramMinCount: 2, lexDim: 2, lexiconFolds: 3, lstm: [8], dropout: 0, epochs: 8, patience: 0,
    workers: 1, batchSize: 8, optimizer: { lr: 0.02 },
  });
  summary = await runTraining({ data: corpus, out: join(dir, 'run'), config, progress: false, log: () => {} });
}, 120_000);

type BigramIdsOf = (tokens: string[]) => Int32Array;

/** The documented ids: bigramAt over the sentence's tokens, looked up in header.vocab.bigrams by our own index. */
function headerBigrams(file: ModelFile): BigramIdsOf {
  const index = new Map<string, number>();
  file.header.vocab.bigrams!.forEach((b, i) => i >= 2 && index.set(b, i));
  return (tokens) => Int32Array.from(tokens, (_, t) => index.get(bigramAt(tokens, t)) ?? 1); // [T]
}

/**
 * What the tagger should answer for `text` (entities of single-window sentences, path log-probability), computed
 * here with `bigramIdsOf(sentence tokens)` cut into the windows (or `perWindow`: bigram ids of each window's own tokens).
 */
function expected(file: ModelFile, text: string, maxSentence: number, bigramIdsOf: BigramIdsOf, perWindow = false) {
  const h = file.header;
  const segmenter = createSegmenter(h.segmenter);
  const lookup = createLookup({ chars: h.vocab.chars, words: h.vocab.words }); // no bigram table: the ids are ours
  const lexicon = Lexicon.fromEntries(tagTypes(h.tags.labels), h.consistency!.entries);
  const L = lexicon.types.length;
  return taggedByHand(file, wasm, text, maxSentence, (tokens, windows) => {
    const { charIds, wordIds, lexIds, bigramIds: none } = featurizeSentence(tokens, segmenter, lookup, h.features, lexicon);
    expect(none).toBeUndefined();
    const bigramIds = bigramIdsOf(tokens);
    return {
      charIds: windows.map((w) => charIds.subarray(w.start, w.end)),
      wordIds: windows.map((w) => wordIds.subarray(w.start, w.end)),
      lexIds: windows.map((w) => lexIds!.subarray(w.start * L, w.end * L)),
      bigramIds: windows.map((w) => (perWindow ? bigramIdsOf(tokens.slice(w.start, w.end)) : bigramIds.subarray(w.start, w.end))),
    };
  });
}

describe('a model trained with the bigram channel (and the lexicon channel)', () => {
  it('has the channel in its header and tensors: vocab.bigrams = the training split\'s bigrams seen ≥ 2 times', async () => {
    // our own count over the training split's sentences
    const { split } = await readSplit(corpus);
    const counts = new Map<string, number>();
    for (const d of split.train) {
      for (const s of taggableSentences(d.text, {})) {
        for (let t = 0; t < s.tokens.length; t++) {
          const b = s.tokens[t] + (s.tokens[t + 1] ?? BIGRAM_END);
          counts.set(b, (counts.get(b) ?? 0) + 1);
        }
      }
    }
    const want = [...counts].filter(([, c]) => c >= 2).map(([b]) => b).sort();
    for (const [kind, path] of [['f32', summary.models.f32], ['int8', summary.models.int8]] as const) {
      const file = readModel(new Uint8Array(readFileSync(path)));
      const a = file.header.architecture;
      const bigrams = file.header.vocab.bigrams!;
      expect(bigrams.slice(0, 2)).toEqual(['<pad>', '<unk>']);
      expect(bigrams.slice(2).sort()).toEqual(want);
      expect(a.bigramDim).toBe(4);
      expect(a.bigramVocab).toBe(bigrams.length);
      expect(a.lexTypes).toBe(5);
      expect(a.lexDim).toBe(2);
      const t = file.weights.get('embed.bigram')!;
      expect(t.shape).toEqual([bigrams.length, 4]);
      expect(t.dtype).toBe(kind === 'f32' ? 'f32' : 'i8');
      expect(file.weights.get('lstm.0.fw.w_ih')!.shape).toEqual([32, 8 + 4 + 4 + 5 * 2]);
      // the <pad> row was never trained away from 0 (no sentence uses id 0)
      expect(Array.from(t.data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    }
    expect((summary.arch as Architecture).bigramVocab).toBe(want.length + 2);
    // the test text has bigrams the table does not hold
    const file = readModel(new Uint8Array(readFileSync(summary.models.f32)));
    const tokens = [...taggableSentences(TEXT, {})].flatMap((s) => s.tokens);
    expect(tokens.some((_, t) => !file.header.vocab.bigrams!.includes(bigramAt(tokens, t)))).toBe(true);
  });

  for (const kind of ['f32', 'int8'] as const) {
    it(`${kind}: the tagger loads it and its bigram ids are bigramAt of the sentence tokens in header.vocab.bigrams`, async () => {
      const bytes = new Uint8Array(readFileSync(summary.models[kind]));
      const file = readModel(bytes);
      const tagger = await createTagger({ model: bytes, kernels: wasm });
      expect(tagger.info.architecture.bigramDim).toBe(4);
      expect(tagger.info.quantization).toBe(kind === 'f32' ? 'none' : 'int8-per-row');
      const ids = headerBigrams(file);

      for (const [text, maxSentence] of [[TEXT, 256], [LONG, 256], [LONG, 16]] as const) {
        const got = tagger.tag(text, { kbest: 1, consistency: false, maxSentence });
        const want = await expected(file, text, maxSentence, ids);
        expect(got.paths![0].logProb, `${kind}, maxSentence ${maxSentence}`).toBe(want.logProb);
        if (maxSentence === 256) {
          expect(got.entities).toEqual(want.entities);
          expect(want.entities.length, 'entities to compare').toBeGreaterThan(1);
        }
        for (const e of got.entities) expect(text.slice(e.start, e.end)).toBe(e.text);
      }

      // the check can fail: other bigram ids (all <unk>, shifted by one position, or each window's own bigrams) give other answers
      const got = tagger.tag(TEXT, { kbest: 1, consistency: false });
      const unk = await expected(file, TEXT, 256, (tokens) => new Int32Array(tokens.length).fill(1));
      const shifted = await expected(file, TEXT, 256, (tokens) => {
        const own = ids(tokens);
        return Int32Array.from(own, (_, t) => own[Math.max(0, t - 1)]);
      });
      expect(Math.abs(got.paths![0].logProb - unk.logProb)).toBeGreaterThan(1e-6);
      expect(Math.abs(got.paths![0].logProb - shifted.logProb)).toBeGreaterThan(1e-6);
      const windowed = tagger.tag(LONG, { kbest: 1, consistency: false, maxSentence: 16 });
      const ownWindows = await expected(file, LONG, 16, ids, true);
      expect(Math.abs(windowed.paths![0].logProb - ownWindows.logProb), 'a window keeps the sentence\'s bigram at its last position').toBeGreaterThan(1e-9);

      // the ordinary paths work: tagMany, consistency on, code-point offsets
      const many = tagger.tagMany([TEXT, '', LONG]);
      expect(many).toHaveLength(3);
      expect(many[1].entities).toEqual([]);
      expect(many[0]).toEqual(tagger.tag(TEXT));
      expect(tagger.tag(TEXT, { offsets: 'codepoint' }).entities.length).toBe(many[0].entities.length);
    });
  }

  it('f32 and int8 agree on the entities of the training terms; the trained network found them', async () => {
    const f32 = await createTagger({ model: new Uint8Array(readFileSync(summary.models.f32)), kernels: wasm });
    const int8 = await createTagger({ model: new Uint8Array(readFileSync(summary.models.int8)), kernels: wasm });
    expect(summary.history).toHaveLength(8);
    expect(summary.history[7].loss).toBeLessThan(summary.history[0].loss / 2);
    expect(summary.best.devF1).toBeGreaterThan(0.5);
    const a = f32.tag(LONG).entities.map((e) => `${e.type}:${e.text}`);
    const b = int8.tag(LONG).entities.map((e) => `${e.type}:${e.text}`);
    console.log(`bigram-channel model: ${(summary.arch as Architecture).bigramVocab} bigrams, dev F1 ${summary.best.devF1.toFixed(3)}, test F1 ${summary.test!.f1.toFixed(3)}; f32 ${a.length} / int8 ${b.length} entities in the long text`);
    expect(b).toEqual(a);
    expect(f32.tag(TEXT).entities.map((e) => `${e.type}:${e.text}`)).toEqual(expect.arrayContaining(['BODY:腹部', 'SIGNS:压痛']));
  });
});
