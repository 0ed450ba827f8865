import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Doc } from '../../src/corpus/document.js';
import { readCorpus } from '../../src/io/corpus-io.js';
import { bigramAt, createLookup } from '../../src/features/index.js';
import { LEX_POSITIONS, Lexicon } from '../../src/features/lexicon.js';
import { tagIdsToSpans, tagTypes } from '../../src/tags/bio.js';
import { taggableSentences } from '../../src/text/sentences.js';
import { architectureFor, resolveConfig } from '../../src/train/config.js';
import { buildFeatureSpace, crossFoldLexicons, docsToSentences, entityTypes, insideTagPredicate, lexiconOf } from '../../src/train/data.js';
import { splitLongSentences } from '../../src/train/trainer.js';

const DOCS: Doc[] = [
  {
    id: 'd-1',
    text: '患者右髋部疼痛。无发热，上腹部不适',
    entities: [
      { start: 3, end: 5, type: 'BODY' },
      { start: 5, end: 7, type: 'SIGNS' },
      { start: 9, end: 11, type: 'SIGNS' },
      { start: 12, end: 15, type: 'BODY' },
    ],
  },
  { id: 'd-2', text: '  腹痛；伴恶心。 ', entities: [{ start: 2, end: 4, type: 'SIGNS' }, { start: 6, end: 8, type: 'SIGNS' }] },
];

describe('documents → training sentences (through the tagger\'s own sentence, segmenter and feature functions)', () => {
  const space = buildFeatureSpace(DOCS, { segmenter: 'none' });

  it('tag set, vocabularies', () => {
    expect(entityTypes(DOCS)).toEqual(['BODY', 'SIGNS']);
    expect(space.labels).toEqual(['O', 'B-BODY', 'I-BODY', 'B-SIGNS', 'I-SIGNS']);
    expect(space.vocab.chars.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(space.vocab.chars).toContain('髋');
    expect(space.segmenter.kind).toBe('none');
  });

  it('sentences with BIO tag ids that decode back to the gold entities', () => {
    const { docs, sentences, stats } = docsToSentences(DOCS, space);
    expect(stats.sentences).toBe(4); // 。 and ； end sentences; whitespace trimmed
    expect(stats.entitiesDropped).toBe(0);
    expect(stats.entitiesCut).toBe(0);
    const s0 = sentences[0];
    expect(Array.from(s0.tagIds).map((t) => space.labels[t])).toEqual(['O', 'O', 'O', 'B-BODY', 'I-BODY', 'B-SIGNS', 'I-SIGNS', 'O']);
    expect(s0.charIds[3]).toBe(space.vocab.chars.indexOf('髋'));
    // every gold entity comes back from the tags, at its original UTF-16 offsets
    for (const d of docs) {
      const back = d.sentences.flatMap((s, i) => tagIdsToSpans(s.tagIds, space.labels).map((sp) => ({ start: d.offsets[i][sp.start], end: d.offsets[i][sp.end], type: sp.type })));
      expect(back).toEqual(d.doc.entities);
    }
    expect(insideTagPredicate(space.labels)(2)).toBe(true);
    expect(insideTagPredicate(space.labels)(1)).toBe(false);
  });

  it('unknown characters map to <unk> and entities across a sentence end are cut and counted', () => {
    const other: Doc[] = [{ id: 'x-1', text: '右髋。部嗽', entities: [{ start: 0, end: 4, type: 'BODY' }] }];
    const { sentences, stats } = docsToSentences(other, space);
    expect(stats.entitiesCut).toBe(1);
    expect(sentences[1].charIds[1]).toBe(1); // '嗽' is not in the training vocabulary
    expect(Array.from(sentences[1].tagIds).map((t) => space.labels[t])).toEqual(['B-BODY', 'O']);
  });

  it('with the jieba+entities dictionary every training entity is one word', () => {
    const s = buildFeatureSpace(DOCS, { segmenter: 'jieba+entities' });
    expect(s.segmenter.kind).toBe('dict');
    for (const w of ['髋部', '上腹部', '腹痛']) expect(s.vocab.words).toContain(w);
  });
});

/** Whether `lex` holds `text` under `type`: a match of the whole string (S, or B I… E) in that type's slot. */
function has(lex: Lexicon, text: string, type: string): boolean {
  const tokens = Array.from(text);
  const T = tokens.length;
  const K = lex.types.length;
  const k = lex.types.indexOf(type);
  expect(k, `type ${type}`).toBeGreaterThanOrEqual(0);
  const ids = lex.match(tokens);
  for (let t = 0; t < T; t++) {
    const want = T === 1 ? 4 : t === 0 ? 1 : t === T - 1 ? 3 : 2;
    if (ids[t * K + k] !== LEX_POSITIONS * k + want) return false;
  }
  return true;
}

/**
 * Documents for the jackknife: document i annotates its own string U_i (unique to it) and, for i in SHARED,
 * the string 腹痛 (SIGNS). Ids rec<g>-<j>: documents 2g and 2g+1 are sections of one record g.
 */
const UNIQUE = '甲乙丙丁戊己庚辛壬癸子丑'.split('').map((c, i) => ({ text: `${c}${i % 2 ? '痛' : '部'}`, type: i % 2 ? 'SIGNS' : 'BODY' }));
const SHARED = new Set([0, 7]);
const FOLD_DOCS: Doc[] = UNIQUE.map((u, i) => {
  const text = `患者${u.text}。${SHARED.has(i) ? '腹痛。' : '无不适。'}`;
  const entities = [{ start: 2, end: 4, type: u.type }];
  if (SHARED.has(i)) entities.push({ start: 5, end: 7, type: 'SIGNS' });
  return { id: `rec${Math.floor(i / 2)}-${i % 2}`, text, entities };
});

/** fold partition as a list of sorted index lists (documents with the same Lexicon object share a fold) */
function partition(lexicons: Lexicon[]): number[][] {
  const byLex = new Map<Lexicon, number[]>();
  lexicons.forEach((l, i) => byLex.set(l, [...(byLex.get(l) ?? []), i]));
  return [...byLex.values()].sort((a, b) => a[0] - b[0]);
}

describe('entity-lexicon channel: lexiconOf, crossFoldLexicons (jackknife), docsToSentences with lexicons', () => {
  const space = buildFeatureSpace(FOLD_DOCS, { segmenter: 'none' });

  it('lexiconOf holds every (normalised entity string, type) in the tag set\'s type order', () => {
    const docs: Doc[] = [
      { id: 'a', text: 'ＣＴ示右下腹包块', entities: [{ start: 0, end: 2, type: 'CHECK' }, { start: 3, end: 6, type: 'BODY' }] },
      { id: 'b', text: '右下腹压痛', entities: [{ start: 0, end: 3, type: 'SIGNS' }, { start: 3, end: 5, type: 'SIGNS' }] },
    ];
    const sp = buildFeatureSpace(docs, { segmenter: 'none' });
    const lex = lexiconOf(docs, sp);
    expect(lex.types).toEqual(tagTypes(sp.labels));
    expect(lex.size).toBe(4);
    expect(has(lex, 'CT', 'CHECK')).toBe(true); // full-width folded like the tagger's tokens
    expect(has(lex, 'ＣＴ', 'CHECK')).toBe(false);
    expect(has(lex, '右下腹', 'BODY')).toBe(true);
    expect(has(lex, '右下腹', 'SIGNS')).toBe(true);
    expect(has(lex, '压痛', 'SIGNS')).toBe(true);
    expect(has(lex, '压痛', 'BODY')).toBe(false);
    expect(has(lex, '右下', 'BODY')).toBe(false);
  });

  it('each document gets the lexicon of the other folds: its own strings only when another fold has them', () => {
    for (const folds of [2, 3, 5]) {
      const lexicons = crossFoldLexicons(FOLD_DOCS, space, folds, 11);
      expect(lexicons).toHaveLength(FOLD_DOCS.length);
      const parts = partition(lexicons);
      expect(parts).toHaveLength(folds);
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes), `folds ${folds}: balanced`).toBeLessThanOrEqual(1);
      lexicons.forEach((lex, i) => {
        expect(lex.types).toEqual(tagTypes(space.labels));
        FOLD_DOCS.forEach((_, j) => {
          const other = lexicons[j] !== lex;
          expect(has(lex, UNIQUE[j].text, UNIQUE[j].type), `folds ${folds}: doc ${i} sees doc ${j}'s string`).toBe(other);
        });
        const sharedElsewhere = [...SHARED].some((j) => lexicons[j] !== lex);
        expect(has(lex, '腹痛', 'SIGNS'), `folds ${folds}: doc ${i} and 腹痛`).toBe(sharedElsewhere);
        expect(lex.size).toBe(FOLD_DOCS.filter((_, j) => lexicons[j] !== lex).length + (sharedElsewhere ? 1 : 0));
      });
    }
  });

  it('documents of one group (one CCKS record) share a fold', () => {
    const byRecord = (d: Doc) => d.id.split('-')[0];
    for (const seed of [1, 2, 3]) {
      const lexicons = crossFoldLexicons(FOLD_DOCS, space, 3, seed, byRecord);
      for (let g = 0; g < FOLD_DOCS.length / 2; g++) {
        expect(lexicons[2 * g], `record ${g}, seed ${seed}`).toBe(lexicons[2 * g + 1]);
        // so neither section sees the other's string
        expect(has(lexicons[2 * g], UNIQUE[2 * g + 1].text, UNIQUE[2 * g + 1].type)).toBe(false);
      }
      expect(partition(lexicons)).toHaveLength(3);
    }
    // without the group key the two sections of a record are split apart for some seed
    const splitSomewhere = [1, 2, 3, 4, 5].some((seed) => {
      const l = crossFoldLexicons(FOLD_DOCS, space, 3, seed);
      return FOLD_DOCS.some((_, i) => i % 2 === 0 && l[i] !== l[i + 1]);
    });
    expect(splitSomewhere).toBe(true);
  });

  it('is deterministic for a seed and the seed changes the folds', () => {
    const contents = (lexicons: Lexicon[]) => lexicons.map((l) => UNIQUE.map((u) => has(l, u.text, u.type)).join(''));
    const a = crossFoldLexicons(FOLD_DOCS, space, 4, 2017);
    const b = crossFoldLexicons(FOLD_DOCS, space, 4, 2017);
    expect(partition(b)).toEqual(partition(a));
    expect(contents(b)).toEqual(contents(a));
    // the input order of the documents does not matter either (groups are sorted before the shuffle)
    const reversed = crossFoldLexicons([...FOLD_DOCS].reverse(), space, 4, 2017).reverse();
    expect(contents(reversed)).toEqual(contents(a));
    const others = [1, 2, 3, 4, 5].map((seed) => JSON.stringify(partition(crossFoldLexicons(FOLD_DOCS, space, 4, seed))));
    expect(new Set([...others, JSON.stringify(partition(a))]).size).toBeGreaterThan(1);
  });

  it('more folds than groups: every document gets the lexicon of all the others', () => {
    const docs = FOLD_DOCS.slice(0, 3);
    const lexicons = crossFoldLexicons(docs, space, 5, 1);
    expect(new Set(lexicons).size).toBe(3);
    lexicons.forEach((lex, i) => docs.forEach((_, j) => expect(has(lex, UNIQUE[j].text, UNIQUE[j].type)).toBe(i !== j)));
  });

  it('refuses fewer than 2 folds or a fractional count', () => {
    for (const folds of [1, 0, 2.5, NaN]) {
      expect(() => crossFoldLexicons(FOLD_DOCS, space, folds, 1)).toThrow(/folds must be an integer ≥ 2/);
    }
  });

  it('docsToSentences: lexIds = lexicon.match(sentence tokens), per document with a lexicon array', () => {
    const f = (docs: Doc[]) => docs.map((d) => [...taggableSentences(d.text, space.normalization)].map((s) => s.tokens));
    const tokens = f(FOLD_DOCS);
    const full = lexiconOf(FOLD_DOCS, space);
    const one = docsToSentences(FOLD_DOCS, space, undefined, full);
    one.docs.forEach((d, i) => {
      expect(d.sentences).toHaveLength(tokens[i].length);
      d.sentences.forEach((s, k) => expect(s.lexIds, `doc ${i} sentence ${k}`).toEqual(full.match(tokens[i][k])));
    });
    // the full lexicon marks each document's own entity: 患者 | U_i (B E) | 。
    expect(Array.from(one.docs[0].sentences[0].lexIds!)).toEqual([0, 5, 0, 5, 1, 5, 3, 5, 0, 5]);

    const jack = crossFoldLexicons(FOLD_DOCS, space, 3, 7);
    const per = docsToSentences(FOLD_DOCS, space, undefined, jack);
    let differs = 0;
    per.docs.forEach((d, i) => {
      d.sentences.forEach((s, k) => {
        expect(s.lexIds, `doc ${i} sentence ${k}`).toEqual(jack[i].match(tokens[i][k]));
        expect(s.lexIds!.length).toBe(s.charIds.length * 2);
        if (!equal(s.lexIds!, full.match(tokens[i][k]))) differs++;
      });
      // the document's own string is not in its jackknife lexicon
      expect(Array.from(d.sentences[0].lexIds!.subarray(4, 8))).toEqual([0, 5, 0, 5]);
    });
    expect(differs).toBeGreaterThanOrEqual(FOLD_DOCS.length);
    expect(per.sentences.map((s) => s.lexIds)).toEqual(per.docs.flatMap((d) => d.sentences.map((s) => s.lexIds)));
    // the rest of each sentence is what it is without a lexicon
    const none = docsToSentences(FOLD_DOCS, space);
    expect(none.sentences.every((s) => s.lexIds === undefined)).toBe(true);
    none.sentences.forEach((s, i) => {
      expect(per.sentences[i].charIds).toEqual(s.charIds);
      expect(per.sentences[i].wordIds).toEqual(s.wordIds);
      expect(per.sentences[i].tagIds).toEqual(s.tagIds);
    });
  });

  it('docsToSentences refuses a lexicon array whose length is not the number of documents', () => {
    const lex = lexiconOf(FOLD_DOCS, space);
    expect(() => docsToSentences(FOLD_DOCS, space, undefined, [lex])).toThrow(/12 documents but 1 lexicons/);
    expect(() => docsToSentences(FOLD_DOCS.slice(0, 2), space, undefined, [lex, lex, lex])).toThrow(/2 documents but 3 lexicons/);
    expect(() => docsToSentences(FOLD_DOCS.slice(0, 2), space, undefined, [])).toThrow(/2 documents but 0 lexicons/);
  });

  it('splitLongSentences cuts lexicon ids with the rest ([T × L] rows stay whole)', () => {
    const lex = lexiconOf(FOLD_DOCS, space);
    const { sentences } = docsToSentences(FOLD_DOCS.slice(0, 2), space, undefined, lex);
    const long = {
      charIds: Int32Array.from(sentences.flatMap((s) => [...s.charIds])),
      wordIds: Int32Array.from(sentences.flatMap((s) => [...s.wordIds])),
      tagIds: Int32Array.from(sentences.flatMap((s) => [...s.tagIds])),
      lexIds: Int32Array.from(sentences.flatMap((s) => [...s.lexIds!])),
    };
    const pieces = splitLongSentences([long], 4, insideTagPredicate(space.labels));
    expect(pieces.length).toBeGreaterThan(2);
    let at = 0;
    for (const p of pieces) {
      const T = p.charIds.length;
      expect(p.lexIds!.length).toBe(2 * T);
      expect(p.lexIds).toEqual(long.lexIds.slice(2 * at, 2 * (at + T)));
      at += T;
    }
    expect(at).toBe(long.charIds.length);
    expect(splitLongSentences([{ ...long, lexIds: undefined }], 4)[0].lexIds).toBeUndefined();
  });

  it('config: lexDim (default 0) gives lexTypes = the entity types of the tag set; lexiconFolds ≥ 2 (default 5)', () => {
    const c = resolveConfig();
    expect(c.lexDim).toBe(0);
    expect(c.lexiconFolds).toBe(5);
    const plain = architectureFor(c, { charVocab: 10, wordVocab: 10, tags: 11 });
    expect(plain.lexTypes).toBeUndefined();
    expect(plain.lexDim).toBeUndefined();
    const arch = architectureFor(resolveConfig({ lexDim: 4 }), { charVocab: 10, wordVocab: 10, tags: 11 });
    expect(arch.lexTypes).toBe(5);
    expect(arch.lexDim).toBe(4);
    expect(architectureFor(resolveConfig({ lexDim: 2 }), { charVocab: 10, wordVocab: 10, tags: space.labels.length }).lexTypes).toBe(tagTypes(space.labels).length);
    expect(() => resolveConfig({ lexDim: -1 })).toThrow(/lexDim/);
    expect(() => resolveConfig({ lexDim: 1.5 })).toThrow(/lexDim/);
    expect(() => resolveConfig({ lexiconFolds: 1 })).toThrow(/lexiconFolds/);
  });
});

/** Documents whose bigrams repeat: 腹痛 4×, 患者 3×, … (full-width ＣＴ folds to CT like the tagger's tokens; ， is folded to , and does not end a sentence). */
const BIGRAM_DOCS: Doc[] = [
  { id: 'b-1', text: '患者腹痛。腹痛三天', entities: [{ start: 2, end: 4, type: 'SIGNS' }, { start: 5, end: 7, type: 'SIGNS' }] },
  { id: 'b-2', text: '患者腹痛，行ＣＴ检查。', entities: [{ start: 2, end: 4, type: 'SIGNS' }, { start: 6, end: 8, type: 'CHECK' }] },
  { id: 'b-3', text: '患者右下腹痛。CT示\u{20000}痛。', entities: [{ start: 2, end: 6, type: 'SIGNS' }, { start: 7, end: 9, type: 'CHECK' }] },
];

/** My own count of the training bigrams: token + next token (or U+0003) over the sentences' normalised tokens. */
function countBigrams(docs: readonly Doc[], normalization = {}): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of docs) {
    for (const s of taggableSentences(d.text, normalization)) {
      const tk = s.tokens;
      for (let t = 0; t < tk.length; t++) {
        const b = tk[t] + (t + 1 < tk.length ? tk[t + 1] : '\u0003');
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
    }
  }
  return counts;
}

describe('character-bigram channel: buildFeatureSpace (bigramMinCount, extraBigrams), docsToSentences, splitLongSentences, config', () => {
  const counts = countBigrams(BIGRAM_DOCS);

  it('vocab.bigrams = <pad>, <unk>, the training bigrams seen ≥ minCount times by descending count (ties by code units)', () => {
    expect(counts.get('腹痛')).toBe(4);
    expect(counts.get('患者')).toBe(3);
    expect(counts.get('CT')).toBe(2); // ＣＴ folded
    for (const minCount of [1, 2, 3, 4, 5]) {
      const space = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: minCount });
      const want = [...counts].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([b]) => b);
      expect(space.vocab.bigrams, `minCount ${minCount}`).toEqual(['<pad>', '<unk>', ...want]);
    }
    const all = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 1 }).vocab.bigrams!;
    expect(all.length).toBe(counts.size + 2);
    expect(all).toContain('天\u0003'); // the end of a sentence
    expect(all).toContain('。\u0003');
    expect(all).toContain('\u{20000}痛'); // an astral token is one token
    expect(all).not.toContain('ＣＴ');
    expect(all.every((b, i) => i < 2 || Array.from(b).length === 2)).toBe(true);
    // the other vocabularies do not change with the bigrams
    const plain = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none' });
    expect(plain.vocab.bigrams).toBeUndefined();
    expect(Object.keys(plain.vocab).sort()).toEqual(['chars', 'words']);
    const two = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 2 });
    expect(two.vocab.chars).toEqual(plain.vocab.chars);
    expect(two.vocab.words).toEqual(plain.vocab.words);
    // spelled out: 。␃ and 腹痛 4× (tie: U+3002 < U+8179), 患者 and 痛。 3×, CT and 者腹 2×
    expect(two.vocab.bigrams).toEqual(['<pad>', '<unk>', '。\u0003', '腹痛', '患者', '痛。', 'CT', '者腹']);
  });

  it('bigrams come from the training documents only (not extraTexts) and follow the normalisation', () => {
    const withExtra = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 1, extraTexts: ['肺炎肺炎肺炎'] });
    expect(withExtra.vocab.bigrams).not.toContain('肺炎');
    const lower = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 1, normalization: { lowercase: true } });
    expect(lower.vocab.bigrams).toContain('ct');
    expect(lower.vocab.bigrams).not.toContain('CT');
    expect(lower.vocab.bigrams!.slice(2).sort()).toEqual([...countBigrams(BIGRAM_DOCS, { lowercase: true }).keys()].sort());
  });

  it('extraBigrams are appended (sorted) after the counted ones, without duplicates or specials', () => {
    const counted = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 2 }).vocab.bigrams!;
    const space = buildFeatureSpace(BIGRAM_DOCS, {
      segmenter: 'none',
      bigramMinCount: 2,
      extraBigrams: ['肺炎', '腹痛', '下腹', '肺炎', '<pad>', '<unk>', '', '咳嗽'],
    });
    const bigrams = space.vocab.bigrams!;
    // 腹痛 is counted already; 下腹 was seen once (below minCount) and comes in as an extra
    expect(bigrams.slice(0, counted.length)).toEqual(counted);
    expect(bigrams.slice(counted.length)).toEqual(['下腹', '咳嗽', '肺炎'].sort());
    expect(new Set(bigrams).size).toBe(bigrams.length);
    expect(() => createLookup(space.vocab)).not.toThrow();
  });

  it('refuses a bigramMinCount below 1', () => {
    expect(() => buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 0 })).toThrow(/minCount/);
    expect(() => buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 1.5 })).toThrow(/minCount/);
  });

  it('docsToSentences: bigramIds = the lookup of bigramAt on each sentence\'s tokens (<unk> for new ones); nothing else changes', () => {
    const space = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 2 });
    const index = new Map(space.vocab.bigrams!.map((b, i) => [b, i]));
    const other: Doc[] = [{ id: 'n-1', text: '患者腹痛咳嗽。ＣＴ', entities: [] }];
    const plainSpace = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none' });
    for (const docs of [BIGRAM_DOCS, other]) {
      const { docs: out } = docsToSentences(docs, space);
      const plain = docsToSentences(docs, plainSpace);
      out.forEach((d, i) => {
        const sents = [...taggableSentences(docs[i].text, space.normalization)];
        expect(d.sentences).toHaveLength(sents.length);
        d.sentences.forEach((s, k) => {
          const tk = sents[k].tokens;
          expect(Array.from(s.bigramIds!), `doc ${i} sentence ${k}`).toEqual(tk.map((_, t) => index.get(bigramAt(tk, t)) ?? 1));
          expect(s.bigramIds!.length).toBe(s.charIds.length);
          expect(s.charIds).toEqual(plain.docs[i].sentences[k].charIds);
          expect(s.wordIds).toEqual(plain.docs[i].sentences[k].wordIds);
          expect(s.tagIds).toEqual(plain.docs[i].sentences[k].tagIds);
        });
      });
      expect(plain.sentences.every((s) => s.bigramIds === undefined)).toBe(true);
    }
    // spelled out: 患者 腹痛 咳嗽 。 | C T
    const [s0, s1] = docsToSentences(other, space).sentences;
    expect(Array.from(s0.bigramIds!)).toEqual([index.get('患者'), index.get('者腹'), index.get('腹痛'), 1, 1, 1, index.get('。\u0003')]);
    expect(Array.from(s1.bigramIds!)).toEqual([index.get('CT'), 1]);
    // with a lexicon as well, both channels are there
    const lex = lexiconOf(BIGRAM_DOCS, space);
    const both = docsToSentences(BIGRAM_DOCS, space, undefined, lex).sentences;
    expect(both.every((s) => s.bigramIds instanceof Int32Array && s.lexIds instanceof Int32Array)).toBe(true);
  });

  it('splitLongSentences cuts bigram ids with the rest (a piece keeps the ids of the whole sentence)', () => {
    const space = buildFeatureSpace(BIGRAM_DOCS, { segmenter: 'none', bigramMinCount: 1 });
    const lex = lexiconOf(BIGRAM_DOCS, space);
    const { sentences } = docsToSentences(BIGRAM_DOCS, space, undefined, lex);
    const L = tagTypes(space.labels).length;
    const long = {
      charIds: Int32Array.from(sentences.flatMap((s) => [...s.charIds])),
      wordIds: Int32Array.from(sentences.flatMap((s) => [...s.wordIds])),
      tagIds: Int32Array.from(sentences.flatMap((s) => [...s.tagIds])),
      bigramIds: Int32Array.from(sentences.flatMap((s) => [...s.bigramIds!])),
      lexIds: Int32Array.from(sentences.flatMap((s) => [...s.lexIds!])),
    };
    const pieces = splitLongSentences([long], 4, insideTagPredicate(space.labels));
    expect(pieces.length).toBeGreaterThan(3);
    let at = 0;
    for (const p of pieces) {
      const T = p.charIds.length;
      expect(p.bigramIds).toEqual(long.bigramIds.slice(at, at + T));
      expect(p.charIds).toEqual(long.charIds.slice(at, at + T));
      expect(p.lexIds).toEqual(long.lexIds.slice(L * at, L * (at + T)));
      at += T;
    }
    expect(at).toBe(long.charIds.length);
    expect(splitLongSentences([{ ...long, bigramIds: undefined }], 4).every((p) => p.bigramIds === undefined)).toBe(true);
    // a short sentence is passed through as is
    expect(splitLongSentences([sentences[0]], 100)[0]).toBe(sentences[0]);
  });

  it('config: bigramDim (default 0) and bigramMinCount (default 2); architectureFor takes the bigram vocabulary size', () => {
    const c = resolveConfig();
    expect(c.bigramDim).toBe(0);
    expect(c.bigramMinCount).toBe(2);
    const plain = architectureFor(c, { charVocab: 10, wordVocab: 10, tags: 11, bigramVocab: 50 });
    expect(plain.bigramVocab).toBeUndefined();
    expect(plain.bigramDim).toBeUndefined();
    const arch = architectureFor(resolveConfig({ bigramDim: 6 }), { charVocab: 10, wordVocab: 10, tags: 11, bigramVocab: 50 });
    expect(arch.bigramVocab).toBe(50);
    expect(arch.bigramDim).toBe(6);
    expect(() => architectureFor(resolveConfig({ bigramDim: 6 }), { charVocab: 10, wordVocab: 10, tags: 11 })).toThrow(/bigramDim > 0 needs the bigram vocabulary size/);
    expect(() => architectureFor(resolveConfig({ bigramDim: 6 }), { charVocab: 10, wordVocab: 10, tags: 11, bigramVocab: 1 })).toThrow(/bigram vocabulary size/);
    expect(() => resolveConfig({ bigramDim: -1 })).toThrow(/bigramDim/);
    expect(() => resolveConfig({ bigramDim: 2.5 })).toThrow(/bigramDim/);
    expect(() => resolveConfig({ bigramMinCount: 0 })).toThrow(/bigramMinCount/);
    expect(() => resolveConfig({ bigramMinCount: 1.5 })).toThrow(/bigramMinCount/);
    expect(resolveConfig({ bigramMinCount: 1 }).bigramMinCount).toBe(1);
    expect(resolveConfig({ embeddings: { bigram: 'vectors.txt' } }).embeddings.bigram).toBe('vectors.txt');
    expect(() => resolveConfig({ embeddings: { trigram: 'x' } as never })).toThrow('config: embeddings.trigram: unknown field (did you mean "bigram"?)');
  });
});

function equal(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const ccks = fileURLToPath(new URL('../../../shared/data/ccks2017/train', import.meta.url));
const present = existsSync(ccks);
if (!present) console.log(`skipping the CCKS 2017 data test: ${ccks} is absent`);

describe.skipIf(!present)('CCKS 2017 documents', () => {
  it('every entity of a sample of records lands in the tags', async () => {
    const { docs } = await readCorpus(ccks, { format: 'ccks', strict: false });
    const sample = docs.filter((_, i) => i % 20 === 0);
    const space = buildFeatureSpace(sample, { segmenter: 'none' });
    const r = docsToSentences(sample, space);
    expect(r.stats.entitiesDropped).toBe(0);
    let decoded = 0;
    for (const d of r.docs) decoded += d.sentences.reduce((n, s) => n + tagIdsToSpans(s.tagIds, space.labels).length, 0);
    expect(decoded).toBe(r.stats.entities + r.stats.entitiesCut);
  });
});
