/**
 * End to end with the entity-lexicon channel: runTraining (lexDim 2) on a small synthetic corpus writes f32 and
 * int8 models whose header carries the consistency table; createTagger loads both and tags. The tagger's
 * lexicon ids must be Lexicon.fromEntries(tagTypes(labels), header.consistency.entries).match(sentence tokens):
 * we rebuild every sentence's features with exactly that lexicon, run the network ourselves and require the
 * tagger's entities, entity scores and path log-probabilities to be identical — and different when the
 * lexicon ids are not those.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lexicon, createLookup, featurizeSentence } from '../../src/features/index.js';
import { type ModelFile, readModel } from '../../src/model/format.js';
import { createSegmenter } from '../../src/segment/index.js';
import { createTagger } from '../../src/tagger.js';
import { tagTypes } from '../../src/tags/bio.js';
import { resolveConfig } from '../../src/train/config.js';
import { type RunSummary, runTraining } from '../../src/train/run.js';
import { kernelBytes } from '../kernels/load.js';
import { ccksLikeDocs, writeJsonl } from '../pipeline/fixture.js';
import { taggedByHand } from './by-hand.js';

const dir = mkdtempSync(join(tmpdir(), 'cner-lexicon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** training terms (in the consistency table) next to strings the corpus never annotates */
const TEXT = '患者腹部压痛三天。行CT检查示肺炎，予抗感染治疗。查体：左足麻木，无咳嗽。';
const LONG = '入院后复查心电图，腹部未见异常，既往高血压病史，予降压治疗，患者右下肢水肿，行B超检查示肝囊肿，查体：颈部无压痛。';

let summary: RunSummary;
let wasm: Uint8Array<ArrayBuffer>;

beforeAll(async () => {
  wasm = kernelBytes();
  const corpus = join(dir, 'corpus.jsonl');
  writeJsonl(corpus, ccksLikeDocs(40, 7));
  const config = resolveConfig({
    charDim: 8, wordDim: 4, lexDim: 2, lexiconFolds: 3, lstm: [8], dropout: 0, epochs: 8, patience: 0, workers: 1, batchSize: 8,
    optimizer: { lr: 0.02 },
  });
  summary = await runTraining({ data: corpus, out: join(dir, 'run'), config, progress: false, log: () => {} });
}, 120_000);

/** What the tagger should answer for `text` (entities of single-window sentences, path log-probability), computed here with `lexicon`. */
function expected(file: ModelFile, text: string, maxSentence: number, lexicon: Lexicon) {
  const h = file.header;
  const segmenter = createSegmenter(h.segmenter);
  const lookup = createLookup(h.vocab);
  const L = lexicon.types.length;
  return taggedByHand(file, wasm, text, maxSentence, (tokens, windows) => {
    const { charIds, wordIds, lexIds } = featurizeSentence(tokens, segmenter, lookup, h.features, lexicon);
    expect(lexIds).toEqual(lexicon.match(tokens));
    return {
      charIds: windows.map((w) => charIds.subarray(w.start, w.end)),
      wordIds: windows.map((w) => wordIds.subarray(w.start, w.end)),
      lexIds: windows.map((w) => lexIds!.subarray(w.start * L, w.end * L)),
    };
  });
}

describe('a model trained with the lexicon channel', () => {
  it('has the channel in its header and tensors, and the consistency table its lexicon comes from', () => {
    for (const path of [summary.models.f32, summary.models.int8]) {
      const file = readModel(new Uint8Array(readFileSync(path)));
      const a = file.header.architecture;
      const types = tagTypes(file.header.tags.labels);
      expect(types).toHaveLength(5);
      expect(a.lexTypes).toBe(5);
      expect(a.lexDim).toBe(2);
      expect(file.weights.get('embed.lex')!.shape).toEqual([25, 2]);
      expect(file.weights.get('embed.lex')!.dtype).toBe('f32');
      expect(file.header.consistency).toBeTruthy();
      const lex = Lexicon.fromEntries(types, file.header.consistency!.entries);
      expect(lex.size).toBeGreaterThan(20);
      // the table holds the training terms the test text uses
      const ids = lex.match(Array.from('腹部压痛'));
      expect(ids[0 * 5 + types.indexOf('BODY')]).toBe(5 * types.indexOf('BODY') + 1);
      expect(ids[3 * 5 + types.indexOf('SIGNS')]).toBe(5 * types.indexOf('SIGNS') + 3);
    }
    expect(readModel(new Uint8Array(readFileSync(summary.models.int8))).weights.get('lstm.0.fw.w_ih')!.dtype).toBe('i8');
  });

  for (const kind of ['f32', 'int8'] as const) {
    it(`${kind}: the tagger loads it and its lexicon ids are the consistency table's matches`, async () => {
      const bytes = new Uint8Array(readFileSync(summary.models[kind]));
      const file = readModel(bytes);
      const tagger = await createTagger({ model: bytes, kernels: wasm });
      expect(tagger.info.architecture.lexTypes).toBe(5);
      expect(tagger.info.quantization).toBe(kind === 'f32' ? 'none' : 'int8-per-row');
      const types = tagTypes(file.header.tags.labels);
      const lexicon = Lexicon.fromEntries(types, file.header.consistency!.entries);

      for (const [text, maxSentence] of [[TEXT, 256], [LONG, 256], [LONG, 16]] as const) {
        const got = tagger.tag(text, { kbest: 1, consistency: false, maxSentence });
        const want = await expected(file, text, maxSentence, lexicon);
        expect(got.paths![0].logProb, `${kind}, maxSentence ${maxSentence}`).toBe(want.logProb);
        if (maxSentence === 256) {
          expect(got.entities).toEqual(want.entities);
          expect(want.entities.length, 'entities to compare').toBeGreaterThan(1);
        }
        for (const e of got.entities) expect(text.slice(e.start, e.end)).toBe(e.text);
      }

      // the check can fail: other lexicon ids (no strings at all, or the types' slots swapped) give other answers
      const empty = await expected(file, TEXT, 256, new Lexicon(types));
      const swapped = await expected(file, TEXT, 256, Lexicon.fromEntries([...types].reverse(), file.header.consistency!.entries));
      const got = tagger.tag(TEXT, { kbest: 1, consistency: false });
      expect(Math.abs(got.paths![0].logProb - empty.logProb)).toBeGreaterThan(1e-6);
      expect(Math.abs(got.paths![0].logProb - swapped.logProb)).toBeGreaterThan(1e-6);

      // the ordinary paths work: tagMany, consistency on, code-point offsets
      const many = tagger.tagMany([TEXT, '', LONG]);
      expect(many).toHaveLength(3);
      expect(many[1].entities).toEqual([]);
      expect(many[0]).toEqual(tagger.tag(TEXT));
      expect(tagger.tag(TEXT, { offsets: 'codepoint' }).entities.length).toBe(many[0].entities.length);
    });
  }

  it('the trained network found the entities it was trained on (the channel did not break training)', async () => {
    const tagger = await createTagger({ model: new Uint8Array(readFileSync(summary.models.f32)), kernels: wasm });
    expect(summary.history).toHaveLength(8);
    expect(summary.history[7].loss).toBeLessThan(summary.history[0].loss / 2);
    expect(summary.best.devF1).toBeGreaterThan(0.5);
    const { entities } = tagger.tag(TEXT);
    console.log(`lexicon-channel model: dev F1 ${summary.best.devF1.toFixed(3)}, test F1 ${summary.test!.f1.toFixed(3)}, ${entities.length} entities in the test text`);
    expect(entities.map((e) => `${e.type}:${e.text}`)).toEqual(expect.arrayContaining(['BODY:腹部', 'SIGNS:压痛']));
  });
});
