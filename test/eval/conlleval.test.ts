import { describe, expect, it } from 'vitest';
import { bioChunks, mulberry32, type Doc } from '../../src/corpus/index.js';
import { conlleval, conllevalDocs, evaluateEntities, formatConlleval } from '../../src/eval/index.js';
import { tagsToSpans } from '../../src/tags/bio.js';

const s = (gold: string, pred: string) => ({ gold: gold.split(' '), pred: pred.split(' ') });

/**
 * Hand-computed vectors. Chunks follow conlleval: a chunk starts at B-, at I- after O (or at a sentence start),
 * and wherever the type changes; it ends before B-, O, a type change, or a sentence boundary.
 */
const V1 = s('B-PER I-PER O B-LOC', 'B-PER I-PER O B-ORG'); // gold PER[0,2) LOC[3]; pred PER[0,2) ORG[3]
const V2 = s('O I-X I-X O', 'O B-X I-X O'); // I- without B-: gold X[1,3) = pred X[1,3) although tag 1 differs
const V3 = s('B-X I-X I-X', 'B-X I-Y I-Y'); // I-Y after B-X: pred X[0] + Y[1,3); gold X[0,3): nothing correct
const V4 = s('B-X I-Y', 'B-X I-Y'); // the same ill-formed sequence on both sides: X[0], Y[1] both correct
const V6 = s('B-A I-A O I-B I-B B-B', 'B-A I-A O B-B I-B B-B'); // gold B[3,5) starts at I-B: 3 of 3 correct

describe('conlleval semantics (hand-computed; also checked against the Perl conlleval 2004-01-26)', () => {
  it('V1: one chunk right, one with the wrong type', () => {
    const r = conlleval([V1]);
    expect([r.tokens, r.correctTags, r.foundGold, r.foundPred, r.correct]).toEqual([4, 3, 2, 2, 1]);
    expect([r.precision, r.recall, r.f1, r.accuracy]).toEqual([0.5, 0.5, 0.5, 0.75]);
    expect(r.perType.LOC).toEqual({ foundGold: 1, foundPred: 0, correct: 0, precision: 0, recall: 0, f1: 0 });
    expect(r.perType.ORG).toEqual({ foundGold: 0, foundPred: 1, correct: 0, precision: 0, recall: 0, f1: 0 });
    expect(r.perType.PER.f1).toBe(1);
  });

  it('V2: I- without B- starts a chunk, so the chunk is correct while the tag accuracy is 3/4', () => {
    const r = conlleval([V2]);
    expect([r.foundGold, r.foundPred, r.correct, r.f1, r.accuracy]).toEqual([1, 1, 1, 1, 0.75]);
  });

  it('V3: I-Y after B-X ends X and starts Y — no chunk matches', () => {
    const r = conlleval([V3]);
    expect([r.foundGold, r.foundPred, r.correct, r.precision, r.recall, r.f1]).toEqual([1, 2, 0, 0, 0, 0]);
    expect(r.correctTags).toBe(1);
    expect(r.perType.Y).toEqual({ foundGold: 0, foundPred: 1, correct: 0, precision: 0, recall: 0, f1: 0 });
  });

  it('V4: identical ill-formed sequences give two correct one-token chunks', () => {
    const r = conlleval([V4]);
    expect([r.foundGold, r.foundPred, r.correct]).toEqual([2, 2, 2]);
  });

  it('sentence boundaries end chunks: B-X | I-X is two chunks', () => {
    const r = conlleval([s('B-X', 'B-X'), s('I-X', 'I-X')]);
    expect([r.tokens, r.foundGold, r.foundPred, r.correct]).toEqual([2, 2, 2, 2]);
    const joined = conlleval([s('B-X I-X', 'B-X I-X')]);
    expect([joined.foundGold, joined.correct]).toEqual([1, 1]);
  });

  it('the whole set: 19 tokens, 9 gold and 10 predicted phrases, 7 correct', () => {
    // Perl conlleval on the same file prints: processed 19 tokens with 9 phrases; found: 10 phrases; correct: 7.
    const r = conlleval([V1, V2, V3, V4, V6]);
    expect([r.tokens, r.correctTags, r.foundGold, r.foundPred, r.correct]).toEqual([19, 14, 9, 10, 7]);
    expect(r.precision).toBeCloseTo(7 / 10, 12);
    expect(r.recall).toBeCloseTo(7 / 9, 12);
    expect(r.f1).toBeCloseTo(14 / 19, 12); // 2·7 / (10 + 9)
    const counts = Object.fromEntries(Object.entries(r.perType).map(([t, c]) => [t, [c.foundGold, c.foundPred, c.correct]]));
    expect(counts).toEqual({ A: [1, 1, 1], B: [2, 2, 2], LOC: [1, 0, 0], ORG: [0, 1, 0], PER: [1, 1, 1], X: [3, 3, 2], Y: [1, 2, 1] });
    const text = formatConlleval(r);
    expect(text).toContain('processed 19 tokens with 9 phrases; found: 10 phrases; correct: 7.');
    expect(text).toContain('precision:  70.00%; recall:  77.78%; FB1:  73.68');
  });

  it('agrees with chunk-set matching on random BIO sequences, well-formed or not', () => {
    const random = mulberry32(99);
    const alphabet = ['O', 'O', 'O', 'B-A', 'I-A', 'B-B', 'I-B'];
    const pick = () => alphabet[Math.floor(random() * alphabet.length)];
    for (let trial = 0; trial < 200; trial++) {
      const sentences = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
        const n = Math.floor(random() * 12);
        const gold = Array.from({ length: n }, pick);
        const pred = gold.map((t) => (random() < 0.3 ? pick() : t));
        return { gold, pred };
      });
      let foundGold = 0;
      let foundPred = 0;
      let correct = 0;
      for (const { gold, pred } of sentences) {
        const g = bioChunks(gold).map((c) => `${c.start}:${c.end}:${c.type}`);
        const p = new Set(bioChunks(pred).map((c) => `${c.start}:${c.end}:${c.type}`));
        foundGold += g.length;
        foundPred += p.size;
        correct += g.filter((k) => p.has(k)).length;
      }
      const r = conlleval(sentences);
      expect([r.foundGold, r.foundPred, r.correct]).toEqual([foundGold, foundPred, correct]);
    }
  });

  it('the tagger\'s tagsToSpans (src/tags/bio.ts) decodes BIO exactly like conlleval', () => {
    const random = mulberry32(4242);
    const alphabet = ['O', 'B-A', 'I-A', 'B-B', 'I-B'];
    for (let trial = 0; trial < 500; trial++) {
      const tags = Array.from({ length: Math.floor(random() * 15) }, () => alphabet[Math.floor(random() * alphabet.length)]);
      expect(tagsToSpans(tags), tags.join(' ')).toEqual(bioChunks(tags));
    }
  });

  it('validates input', () => {
    expect(() => conlleval([{ gold: ['O'], pred: [] }])).toThrow(/1 gold tags but 0 predicted/);
  });
});

describe('conlleval over documents', () => {
  it('equals the strict entity micro scores for flat annotations', () => {
    const gold: Doc[] = [{ id: 'a', text: '右髋部疼痛，腹胀', entities: [{ start: 0, end: 3, type: 'BODY' }, { start: 3, end: 5, type: 'SIGNS' }, { start: 6, end: 8, type: 'SIGNS' }] }];
    const pred: Doc[] = [{ id: 'a', text: '右髋部疼痛，腹胀', entities: [{ start: 0, end: 3, type: 'BODY' }, { start: 3, end: 4, type: 'SIGNS' }, { start: 6, end: 8, type: 'BODY' }] }];
    const c = conllevalDocs(gold, pred);
    const e = evaluateEntities(gold, pred).strict.micro;
    expect([c.foundGold, c.foundPred, c.correct]).toEqual([e.gold, e.pred, e.matchedGold]);
    expect(c.f1).toBeCloseTo(e.f1, 12);
    expect(c.tokens).toBe(8);
  });
});
