/**
 * Documents → training sentences, through the SAME functions the tagger uses: taggableSentences (split,
 * normalise, trim), the model's segmenter (src/segment/, spec built by src/train/segdict.ts) and
 * featurizeSentence (src/features/); gold entities become BIO tag ids (src/tags/bio.ts).
 */

import type { Doc, EntitySpan } from '../corpus/document.js';
import { buildConsistencyTable } from '../consistency/index.js';
import {
  type FeatureOptions, Lexicon, OutsideLexicon, type OutsideLexiconSpec, PAD, UNK, type Vocabulary, bigramAt, buildVocab, createLookup,
  featurizeSentence, outsideLexiconWords, segmenterMaskOf, type VocabLookup,
} from '../features/index.js';
import { type Segmenter, type SegmenterSpec, createSegmenter } from '../segment/index.js';
import { spansToTags, tagSet, tagTypes } from '../tags/bio.js';
import { type NormalizeOptions, normalize } from '../text/normalize.js';
import { taggableSentences, tokenAt } from '../text/sentences.js';
import type { Sentence } from './batch.js';
import { Rng } from './rng.js';
import { type SegdictVariant, buildSegmenterSpec } from './segdict.js';

/** Everything that turns text into ids: it goes into the model header. */
export interface FeatureSpace {
  normalization: NormalizeOptions;
  segmenter: SegmenterSpec;
  vocab: Vocabulary;
  /** BIO tag set: labels[0] = 'O', then B-/I- per type */
  labels: string[];
  /** feature options (stored as header.features; the tagger featurizes with the same) */
  features: FeatureOptions;
  /** the outsideLex channel's word list (stored as header.outsideLexicon; src/features/outside-lexicon.ts); absent = none */
  outsideLexicon?: OutsideLexiconSpec;
}

export interface FeatureSpaceOptions {
  normalization?: NormalizeOptions;
  /** segmenter dictionary variant (default 'jieba+entities': every training entity string stays whole) */
  segmenter?: SegdictVariant;
  /** further texts the segmenter dictionary is pruned to (e.g. the unlabeled corpus) */
  extraTexts?: readonly string[];
  /** outside words for the segmenter dictionary, kept unpruned (config.segmenterLexicon; segdict.ts `lexicon`) */
  segmenterLexicon?: readonly string[];
  /** entity types (default: those of the documents) */
  types?: readonly string[];
  charMinCount?: number;
  wordMinCount?: number;
  /** add these tokens to the vocabularies (e.g. those of pre-trained embeddings) */
  extraChars?: readonly string[];
  extraWords?: readonly string[];
  /** word rows per position in the word (src/features FeatureOptions.wordPositions) */
  wordPositions?: boolean;
  /** build a character-bigram vocabulary (bigramAt) of the training documents' sentences: bigrams seen this often */
  bigramMinCount?: number;
  /** add these bigrams (e.g. those of pre-trained bigram vectors); only with bigramMinCount */
  extraBigrams?: readonly string[];
  /**
   * the outsideLex channel's word list: 'segmenter' = the segmenterLexicon words, stored once as a bit set over the
   * segmenter's dictionary (which holds them); or words of its own (normalised here, stored in the header)
   */
  outsideLexicon?: 'segmenter' | readonly string[];
}

/** Sorted entity types of the documents. */
export function entityTypes(docs: readonly Doc[]): string[] {
  return [...new Set(docs.flatMap((d) => d.entities.map((e) => e.type)))].sort();
}

/**
 * Builds the segmenter spec (from the training texts and entity strings), the char and word vocabularies of
 * the training documents and the tag set.
 */
export function buildFeatureSpace(trainDocs: readonly Doc[], options: FeatureSpaceOptions = {}): FeatureSpace {
  if (!Array.isArray(trainDocs) || trainDocs.length === 0) throw new Error('buildFeatureSpace: expected at least one training document');
  const normalization = options.normalization ?? {};
  const sentences = trainDocs.flatMap((d) => [...taggableSentences(d.text, normalization)].map((s) => s.tokens.join('')));
  const entities = trainDocs.flatMap((d) => d.entities.map((e: EntitySpan) => normalize(d.text.slice(e.start, e.end), normalization).text));
  const variant = options.segmenter ?? 'jieba+entities';
  const { spec } = buildSegmenterSpec({
    variant,
    texts: [...sentences, ...(options.extraTexts ?? []).map((t) => normalize(t, normalization).text)],
    entities: variant === 'jieba+entities' ? entities : undefined,
    lexicon: options.segmenterLexicon,
  });
  const segmenter = createSegmenter(spec);
  const chars: string[] = [];
  const words: string[] = [];
  for (const s of sentences) {
    for (const c of s) chars.push(c);
    for (const w of segmenter.cut(s)) words.push(w);
  }
  chars.push(...(options.extraChars ?? []));
  words.push(...(options.extraWords ?? []));
  const vocab: Vocabulary = {
    chars: buildVocab(chars, { minCount: options.charMinCount ?? 1 }),
    words: buildVocab(words, { minCount: options.wordMinCount ?? 1 }),
  };
  if (options.extraBigrams !== undefined && options.bigramMinCount === undefined) {
    throw new Error('buildFeatureSpace: extraBigrams needs bigramMinCount (there is no bigram vocabulary without it)');
  }
  if (options.bigramMinCount !== undefined) {
    // bigrams of the training sentences (tokens as taggableSentences gives them), kept from minCount on
    const bigrams: string[] = [];
    for (const d of trainDocs) {
      for (const s of taggableSentences(d.text, normalization)) for (let t = 0; t < s.tokens.length; t++) bigrams.push(bigramAt(s.tokens, t));
    }
    const counted = buildVocab(bigrams, { minCount: options.bigramMinCount });
    const extra = new Set(options.extraBigrams ?? []);
    for (const b of counted) extra.delete(b);
    vocab.bigrams = [...counted, ...[...extra].filter((b) => b !== PAD && b !== UNK && b.length > 0).sort()];
  }
  const space: FeatureSpace = {
    normalization,
    segmenter: spec,
    vocab,
    labels: tagSet(options.types ?? entityTypes(trainDocs)),
    features: options.wordPositions ? { wordPositions: true } : {},
  };
  if (options.outsideLexicon !== undefined) space.outsideLexicon = outsideLexiconSpec(options.outsideLexicon, options.segmenterLexicon, spec, normalization);
  return space;
}

/** The header form of the outsideLex channel's list (FeatureSpaceOptions.outsideLexicon). */
function outsideLexiconSpec(
  list: 'segmenter' | readonly string[], segmenterLexicon: readonly string[] | undefined, segmenter: SegmenterSpec, normalization: NormalizeOptions,
): OutsideLexiconSpec {
  if (list === 'segmenter') {
    if (segmenterLexicon === undefined || segmenterLexicon.length === 0) {
      const got = segmenterLexicon === undefined ? 'none' : 'an empty list';
      throw new Error(`buildFeatureSpace: outsideLexicon 'segmenter' needs the segmenterLexicon words (config.segmenterLexicon), got ${got}`);
    }
    if (segmenter.kind !== 'dict') throw new Error("buildFeatureSpace: outsideLexicon 'segmenter' needs a dictionary segmenter, got kind 'none'");
    return segmenterMaskOf(segmenter.words, segmenterLexicon).spec;
  }
  if (!Array.isArray(list)) throw new TypeError(`buildFeatureSpace: outsideLexicon must be 'segmenter' or an array of words, got ${typeof list}`);
  const words = new Set<string>();
  list.forEach((w, i) => {
    if (typeof w !== 'string') throw new TypeError(`buildFeatureSpace: outsideLexicon[${i}] is ${typeof w}, expected a string`);
    const n = normalize(w, normalization).text;
    if (n.length > 0) words.add(n);
  });
  if (words.size === 0) throw new Error('buildFeatureSpace: the outsideLexicon word list is empty');
  // sorted by code units, so the header is stable
  return { words: [...words].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
}

/** The outsideLex channel's matcher of a feature space (null without the channel). */
export function outsideLexiconOf(space: FeatureSpace): OutsideLexicon | null {
  if (space.outsideLexicon === undefined) return null;
  return new OutsideLexicon(outsideLexiconWords(space.outsideLexicon, space.segmenter));
}

export interface SentenceStats {
  docs: number;
  sentences: number;
  chars: number;
  entities: number;
  /** entities that cross a sentence boundary (their pieces are tagged in each sentence) */
  entitiesCut: number;
  /** entities whose offsets do not fall on token boundaries, or whose type is not in the tag set (dropped) */
  entitiesDropped: number;
}

/** A prepared document: its sentences in order, so predictions can be mapped back to the document. */
export interface DocSentences {
  doc: Doc;
  sentences: Sentence[];
  /** UTF-16 offsets in the document of each sentence's tokens (+ end), as taggableSentences gives them */
  offsets: Int32Array[];
}

/** Creates the segmenter, lookup and outside-lexicon matcher of a feature space once, for docsToSentences. */
export function featurizer(space: FeatureSpace): {
  segmenter: Segmenter; lookup: VocabLookup; tagIndex: Map<string, number>; outsideLexicon: OutsideLexicon | null;
} {
  return {
    segmenter: createSegmenter(space.segmenter),
    lookup: createLookup(space.vocab),
    tagIndex: new Map(space.labels.map((l, i) => [l, i])),
    outsideLexicon: outsideLexiconOf(space),
  };
}

/**
 * The lexicon channel's matcher for `docs`: every (normalised entity string, type) they annotate — the same
 * strings and normalisation as the consistency table the model carries (the tagger rebuilds it from there).
 */
export function lexiconOf(docs: readonly Doc[], space: FeatureSpace): Lexicon {
  return Lexicon.fromEntries(tagTypes(space.labels), buildConsistencyTable(docs, space.normalization).entries);
}

/**
 * Jackknife lexicons for training documents: documents are dealt into `folds` folds by group (groupKey: a CCKS
 * record's sections share a fold, as they share a split side), and document i gets the lexicon of the OTHER
 * folds. So the network learns from lexicon matches as incomplete as those on new text; without this, every
 * training entity would match itself and the network would learn to copy the lexicon.
 */
export function crossFoldLexicons(
  docs: readonly Doc[], space: FeatureSpace, folds: number, seed: number, groupKey: (d: Doc) => string = (d) => d.id,
): Lexicon[] {
  if (!(Number.isInteger(folds) && folds >= 2)) throw new Error(`crossFoldLexicons: folds must be an integer ≥ 2, got ${folds}`);
  const groups = [...new Set(docs.map(groupKey))].sort();
  const rng = new Rng(seed);
  for (let i = groups.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [groups[i], groups[j]] = [groups[j], groups[i]];
  }
  const foldOfGroup = new Map(groups.map((g, i) => [g, i % folds]));
  const foldOf = docs.map((d) => foldOfGroup.get(groupKey(d))!);
  const lexicons: Lexicon[] = [];
  for (let k = 0; k < folds; k++) lexicons.push(lexiconOf(docs.filter((_, i) => foldOf[i] !== k), space));
  return foldOf.map((k) => lexicons[k]);
}

/**
 * Every document's taggable sentences as id arrays with gold BIO tag ids. `lexicon`: the lexicon channel's
 * matcher, one for all documents or one per document (crossFoldLexicons); null = no lexicon ids.
 */
export function docsToSentences(
  docs: readonly Doc[], space: FeatureSpace, f = featurizer(space), lexicon: Lexicon | readonly Lexicon[] | null = null,
): { docs: DocSentences[]; sentences: Sentence[]; stats: SentenceStats } {
  if (Array.isArray(lexicon) && lexicon.length !== docs.length) {
    throw new Error(`docsToSentences: ${docs.length} documents but ${lexicon.length} lexicons`);
  }
  const stats: SentenceStats = { docs: docs.length, sentences: 0, chars: 0, entities: 0, entitiesCut: 0, entitiesDropped: 0 };
  const types = new Set(space.labels.slice(1).map((l) => l.slice(2)));
  const out: DocSentences[] = [];
  const all: Sentence[] = [];
  docs.forEach((doc, di) => {
    const lex = lexicon === null ? null : Array.isArray(lexicon) ? (lexicon as readonly Lexicon[])[di] : (lexicon as Lexicon);
    stats.entities += doc.entities.length;
    const ds: DocSentences = { doc, sentences: [], offsets: [] };
    const placed = new Set<number>();
    const cut = new Set<number>();
    for (const s of taggableSentences(doc.text, space.normalization)) {
      const n = s.tokens.length;
      const lo = s.offsets[0];
      const hi = s.offsets[n];
      const spans: { start: number; end: number; type: string }[] = [];
      doc.entities.forEach((e, ei) => {
        if (e.end <= lo || e.start >= hi) return;
        if (!types.has(e.type)) return;
        const a = e.start < lo ? 0 : tokenAt(s.offsets, e.start);
        const b = e.end > hi ? n : tokenAt(s.offsets, e.end);
        if (a < 0 || b < 0 || b <= a) return;
        if (e.start < lo || e.end > hi) cut.add(ei);
        placed.add(ei);
        spans.push({ start: a, end: b, type: e.type });
      });
      const tags = spansToTags(n, spans);
      const tagIds = Int32Array.from(tags, (t) => f.tagIndex.get(t)!);
      // every channel's ids the feature space and the lexicon give (src/features/channels.ts), and the gold tags
      const more = { outsideLexicon: f.outsideLexicon };
      const sentence: Sentence = { ...featurizeSentence(s.tokens, f.segmenter, f.lookup, space.features, lex, more), tagIds };
      ds.sentences.push(sentence);
      ds.offsets.push(s.offsets);
      all.push(sentence);
      stats.sentences++;
      stats.chars += n;
    }
    stats.entitiesDropped += doc.entities.length - placed.size;
    stats.entitiesCut += cut.size;
    out.push(ds);
  });
  return { docs: out, sentences: all, stats };
}

/** Tag ids of I- labels (for splitting long sentences outside entities). */
export function insideTagPredicate(labels: readonly string[]): (tag: number) => boolean {
  const inside = new Set(labels.flatMap((l, i) => (l.startsWith('I-') ? [i] : [])));
  return (t) => inside.has(t);
}
