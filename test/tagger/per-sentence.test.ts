/**
 * The tagger's one-window path (decodeOneWindow: entity scores from a lattice in a scratch reused from sentence to
 * sentence, only the rows the entities read) against the general path and the by-hand answer: tagging many texts
 * at once gives what tagging each alone gives, bit for bit (nothing of one sentence's lattice reaches the next), and
 * the scores equal the by-hand ones (full lattice) to 1e-12 relative.
 */
import { describe, expect, it } from 'vitest';
import { createTagger, type Entity } from '../../src/tagger.js';
import { readModel } from '../../src/model/format.js';
import { createLookup, featurizeSentence } from '../../src/features/index.js';
import { createSegmenter } from '../../src/segment/index.js';
import { randomModel } from '../helpers/random-model.js';
import { mixedText } from '../helpers/mixed-text.js';
import { kernelBytes } from '../kernels/load.js';
import { taggedByHand } from './by-hand.js';

const wasm = kernelBytes();

const CLINICAL = [
  '患者右下腹痛三天，伴恶心呕吐。',
  '查体：腹部压痛，反跳痛。',
  '诊断：急性阑尾炎。',
  'ＣＴ示右肺结节 3.5cm；',
];
/** short and long sentences of clinical text and of every kind of code point (seeded) */
const texts = Array.from(
  { length: 24 },
  (_, i) => CLINICAL[i % 4].repeat(1 + (i % 3)) + mixedText(i + 1, 10 + 7 * i) + CLINICAL[(i + 1) % 4],
);

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);

describe('one-window sentences', () => {
  it('tagMany gives each text what tag gives it alone, scores bit for bit, and the by-hand answer to 1e-12', async () => {
    const m = randomModel({ seed: 7, scale: 1.5 });
    const tagger = await createTagger({ model: m.bytes, kernels: wasm });
    const many = tagger.tagMany(texts);
    expect(many.some((r) => r.entities.length > 3)).toBe(true);
    texts.forEach((text, i) => expect(many[i]).toEqual(tagger.tag(text)));
    // the general path (k-best: full lattices, kept per window) scores the same entities within 1e-12
    texts.forEach((text, i) => {
      const general = tagger.tag(text, { kbest: 1 });
      expect(general.entities.map((e) => [e.type, e.start, e.end, e.text])).toEqual(
        many[i].entities.map((e) => [e.type, e.start, e.end, e.text]),
      );
      general.entities.forEach((e, k) =>
        expect(relDiff(e.score as number, many[i].entities[k].score as number)).toBeLessThanOrEqual(1e-12),
      );
    });
    // by hand: the model's own features, one full lattice per sentence
    const file = readModel(m.bytes);
    const h = file.header;
    const segmenter = createSegmenter(h.segmenter);
    const lookup = createLookup(h.vocab);
    for (const [i, text] of texts.entries()) {
      const hand = await taggedByHand(file, wasm, text, 256, (tokens) => {
        const f = featurizeSentence(tokens, segmenter, lookup, h.features);
        return { charIds: [f.charIds], wordIds: [f.wordIds] };
      });
      const got: Entity[] = many[i].entities;
      expect(got.map((e) => [e.type, e.start, e.end, e.text])).toEqual(
        hand.entities.map((e) => [e.type, e.start, e.end, e.text]),
      );
      got.forEach((e, k) =>
        expect(relDiff(e.score as number, hand.entities[k].score as number)).toBeLessThanOrEqual(1e-12),
      );
    }
  });

  it('leaves the scores out, and builds no lattice, with scores: false', async () => {
    const m = randomModel({ seed: 7, scale: 1.5 });
    const tagger = await createTagger({ model: m.bytes, kernels: wasm });
    const scored = tagger.tagMany(texts);
    const bare = tagger.tagMany(texts, { scores: false });
    bare.forEach((r, i) => {
      expect(r.entities.every((e) => !('score' in e))).toBe(true);
      expect(r.entities).toEqual(scored[i].entities.map(({ score: _score, ...rest }) => rest));
    });
  });
});
