/**
 * The network's input channels, each described once (flair's TokenEmbeddings idea, sized for this network).
 * Everything that handles a channel — the weight layout and its checks (src/model/layout.ts), the model file
 * (src/model/format.ts), the inference gather (src/model/network.ts), the training batch, its gather/scatter
 * and initialisation (src/train/batch.ts, graph.ts, params.ts), the features of a sentence (./featurize.ts) —
 * loops over CHANNELS instead of naming char, word, bigram and lexicon.
 *
 * A channel gives every token `idsPerToken` ids (1, or lexTypes for the typed lexicon); each id selects a row
 * of the channel's embedding table `tensor` [rows, dim]; the input of the network at a token is the
 * concatenation, in CHANNELS order, of those rows (channel by channel, slot by slot): columns
 * [char | word | bigram | lex type 0 … lex type L-1]. A channel whose dimension is 0 (or absent) is off and
 * adds no columns, no tensor and no ids.
 *
 * How to add a channel: ARCHITECTURE.md, "Input channels".
 */

import { tagTypes } from '../tags/bio.js';
import { LEX_POSITIONS, Lexicon } from './lexicon.js';
import { OUTSIDE_LEX_ROWS, OutsideLexicon, outsideLexiconWords } from './outside-lexicon.js';
import { UNK_ID, type VocabLookup, bigramAt } from './vocab.js';

/**
 * The architecture's numbers of the input channels (src/model/layout.ts Architecture extends this): per
 * channel a size (vocabulary rows, or the lexicon's types) and an embedding dimension.
 */
export interface ChannelSizes {
  /** number of characters in the char vocabulary (index 0 = <pad>, 1 = <unk>) */
  charVocab: number;
  /** char embedding size; 0 disables char embeddings (the "no char embeddings" ablation) */
  charDim: number;
  /** rows of the word table: words in the word vocabulary (index 0 = <pad>, 1 = <unk>) × wordRowsPerWord */
  wordVocab: number;
  /** word embedding size; 0 disables word embeddings */
  wordDim: number;
  /** number of character bigrams (index 0 = <pad>, 1 = <unk>); absent or 0 with bigramDim = no bigram channel */
  bigramVocab?: number;
  /** bigram embedding size; absent or 0 = no bigram channel */
  bigramDim?: number;
  /** entity types of the lexicon channel (./lexicon.ts); absent or 0 = no lexicon channel */
  lexTypes?: number;
  /** size of each lexicon embedding (one per type per position); absent or 0 = no lexicon channel */
  lexDim?: number;
  /** hidden size H of each character language model (the charLm channel: columns [h_fw | h_bw]); absent or 0 = none */
  charLmHidden?: number;
  /** size of the char LMs' input embeddings (charlm.<dir>.embed [charVocab, charLmDim]); > 0 with charLmHidden */
  charLmDim?: number;
  /** words of the outside word list (./outside-lexicon.ts, header.outsideLexicon); absent or 0 = no outsideLex channel */
  outsideLexWords?: number;
  /** size of the outsideLex embeddings (one row per set of B/M/E/S places: 16 rows); absent or 0 = none */
  outsideLexDim?: number;
}

/**
 * Feature options stored in the model header (`header.features`), read by the trainer and the tagger alike.
 * wordPositions: each word gets 4 rows in embed.word — row = 4·wordId + position of the character in its
 * word (B 0, M 1, E 2, S 3) — so the word channel also tells where a word starts and ends (most entity
 * boundaries are word boundaries once training entities are in the segmenter's dictionary).
 */
export interface FeatureOptions {
  wordPositions?: boolean;
}

/** Rows of embed.word per vocabulary word. */
export function wordRowsPerWord(options: FeatureOptions | undefined): number {
  return options?.wordPositions ? 4 : 1;
}

/** The fields of the core channels' ids (always present) and of the optional channels' ids (present when on). */
type CoreChannelField = 'charIds' | 'wordIds';
type OptionalChannelField = 'bigramIds' | 'lexIds' | 'outsideLexIds';
export type ChannelField = CoreChannelField | OptionalChannelField;

/** One X per channel: required for the core channels, optional for the others (ChannelIds: a sentence's ids). */
export type PerChannel<X> = { [F in CoreChannelField]: X } & { [F in OptionalChannelField]?: X };

/** A sentence's ids, per channel [T × idsPerToken] (row-major: token t's ids at t·idsPerToken …). */
export type ChannelIds = PerChannel<Int32Array>;

/** What a channel's header check (InputChannel.checkHeader) sees of the model header (src/model/format.ts). */
export interface ChannelHeaderView {
  architecture: ChannelSizes;
  /** header.tags.labels */
  labels: readonly string[];
  /** header.consistency */
  consistency: unknown;
  /** the whole header, for a channel whose strings live in a header field of their own */
  header: Readonly<Record<string, unknown>>;
}

/** What a channel's ids are built from, besides the sentence's tokens (./featurize.ts). */
export interface FeatureSources extends MoreFeatureSources {
  lookup: VocabLookup;
  lexicon: Lexicon | null;
}

/** The sources of the channels added after featurize's positional arguments (its last argument). */
export interface MoreFeatureSources {
  /** the outsideLex channel's matcher (./outside-lexicon.ts) */
  outsideLexicon?: OutsideLexicon | null;
}

/** A tensor of a dense channel (InputChannel.tensors): name, shape, whether it may be stored int8-per-row. */
export interface ChannelTensor {
  name: string;
  shape: number[];
  quantizable: boolean;
}

export interface InputChannel {
  /** the channel's name in messages: 'char', 'word', 'bigram', 'lexicon' */
  readonly name: string;
  /** the field of Sentence, PreparedBatch, SentenceFeatures and SentenceBatch that holds its ids */
  readonly field: ChannelField;
  /** its embedding table in the weight layout: [rows, dim] */
  readonly tensor: string;
  /** the architecture field of its embedding dimension (absent or 0 = off) */
  readonly dimField: keyof ChannelSizes;
  /** the architecture field its table's rows come from: vocabulary rows, or the lexicon's types */
  readonly sizeField: keyof ChannelSizes;
  /** a core channel's ids are always present (its fields are required); its fields are required in the architecture */
  readonly core: boolean;
  /** its table may be stored int8-per-row */
  readonly quantizable: boolean;
  /** id 0 is <pad>: its row starts as zeros */
  readonly padRow: boolean;
  /**
   * When the channel came into the code base: initParameters draws generation 0 (the paper's input) before the
   * network's tensors and later generations after them, oldest first, so a model without a newer channel keeps
   * the initial numbers it had before that channel existed. A new channel takes the next number.
   */
  readonly generation: number;
  /** the header.vocab list of its strings (src/model/format.ts checks it against the architecture); none for the lexicon */
  readonly vocabKey?: 'chars' | 'words' | 'bigrams';
  /** rows of its table per vocabulary entry (default 1; the word channel: wordRowsPerWord) */
  vocabRowsPerEntry?(features: FeatureOptions | undefined): number;
  /** when the channel is on: what else the model header must hold for it; returns the problem, or undefined */
  checkHeader?(h: ChannelHeaderView): string | undefined;
  /** ids per token: 1, or K slots side by side (row t·K + k) */
  idsPerToken(a: ChannelSizes): number;
  /** rows of its embedding table */
  rows(a: ChannelSizes): number;
  /** ids slot k may hold: [lo, hi) */
  idRange(a: ChannelSizes, slot: number): [number, number];
  /** the end of a message about id v outside idRange (default: "is outside the <name> vocabulary [lo, hi)") */
  outOfRange?(slot: number, lo: number, hi: number): string;
  /**
   * A dense channel is computed, not looked up: it has no ids of its own (channelPresent is false), its columns
   * are made from the char ids by a frozen network whose tensors are `tensors` (instead of one table `tensor`),
   * and no gradient flows into them. The charLm channel is the one: src/train/graph.ts and src/model/network.ts
   * compute it.
   */
  readonly dense?: boolean;
  /** a dense channel's tensors, in file order */
  tensors?(a: ChannelSizes): ChannelTensor[];
  /** channel-specific checks of the architecture beyond "integers ≥ 0" (throws an Error naming the field) */
  check?(a: ChannelSizes): void;
  /** the ids of a sentence's tokens [T × idsPerToken], or undefined when the sources do not give this channel (not for core channels) */
  build?(tokens: readonly string[], sources: FeatureSources): Int32Array | undefined;
}

/**
 * A channel of one vocabulary id per token (char, word, bigram): id 0 = <pad> (a zero row at first), 1 = <unk>,
 * rows = the architecture's `sizeField`, quantizable.
 */
function vocabularyChannel(
  c: Pick<InputChannel, 'name' | 'field' | 'tensor' | 'dimField' | 'sizeField' | 'core' | 'generation' | 'vocabKey'> &
    Partial<InputChannel>,
): InputChannel {
  const rows = (a: ChannelSizes) => a[c.sizeField] ?? 0;
  return {
    quantizable: true,
    padRow: true,
    idsPerToken: () => 1,
    rows,
    idRange: (a) => [0, rows(a)],
    ...c,
  };
}

export const CHAR = vocabularyChannel({
  name: 'char',
  field: 'charIds',
  tensor: 'embed.char',
  dimField: 'charDim',
  sizeField: 'charVocab',
  core: true,
  generation: 0,
  vocabKey: 'chars',
});

export const WORD = vocabularyChannel({
  name: 'word',
  field: 'wordIds',
  tensor: 'embed.word',
  dimField: 'wordDim',
  sizeField: 'wordVocab',
  core: true,
  generation: 0,
  vocabKey: 'words',
  vocabRowsPerEntry: wordRowsPerWord,
});

export const BIGRAM = vocabularyChannel({
  name: 'bigram',
  field: 'bigramIds',
  tensor: 'embed.bigram',
  dimField: 'bigramDim',
  sizeField: 'bigramVocab',
  core: false,
  generation: 2,
  vocabKey: 'bigrams',
  check(a) {
    const dim = a.bigramDim ?? 0;
    const vocab = a.bigramVocab ?? 0;
    if (dim > 0 && vocab < 2)
      throw new Error(`architecture: a bigram channel (bigramDim ${dim}) needs bigramVocab ≥ 2, got ${vocab}`);
  },
  build(tokens, { lookup }) {
    if (lookup.bigrams === undefined) return undefined;
    if (!(lookup.bigrams instanceof Map))
      throw new TypeError('featurize: lookup.bigrams must be a Map (from createLookup)');
    const ids = new Int32Array(tokens.length); // [T]
    for (let t = 0; t < tokens.length; t++) ids[t] = lookup.bigrams.get(bigramAt(tokens, t)) ?? UNK_ID;
    return ids;
  },
});

/** Throws unless the fields x and y of `a` are both > 0 (the channel is on) or both 0 / absent; returns x. */
function bothOrNeither(a: ChannelSizes, x: keyof ChannelSizes, y: keyof ChannelSizes, channel: string): number {
  const u = a[x] ?? 0;
  const v = a[y] ?? 0;
  if (u > 0 !== v > 0)
    throw new Error(`architecture: ${x} and ${y} must both be > 0 (a ${channel} channel) or both 0, got ${u} and ${v}`);
  return u;
}

export const LEXICON: InputChannel = {
  name: 'lexicon',
  field: 'lexIds',
  tensor: 'embed.lex',
  dimField: 'lexDim',
  sizeField: 'lexTypes',
  core: false,
  quantizable: false,
  padRow: false,
  generation: 1,
  idsPerToken: (a) => a.lexTypes ?? 0,
  rows: (a) => LEX_POSITIONS * (a.lexTypes ?? 0),
  // id of (t, k) = LEX_POSITIONS·k + position: slot k must name a row of type k's block
  idRange: (_a, slot) => [LEX_POSITIONS * slot, LEX_POSITIONS * (slot + 1)],
  outOfRange: (slot, lo, hi) => `is not an id of lexicon type ${slot} (expected [${lo}, ${hi}))`,
  check(a) {
    const types = bothOrNeither(a, 'lexTypes', 'lexDim', 'lexicon');
    if (types > 30) throw new Error(`architecture: at most 30 lexicon types, got ${types}`);
  },
  checkHeader(h) {
    // the lexicon channel matches the consistency table's strings, one slot per entity type of the tag set
    if (!h.consistency)
      return 'the architecture has a lexicon channel (lexTypes > 0) but header.consistency, its string table, is missing';
    const types = tagTypes(h.labels);
    if (types.length !== h.architecture.lexTypes)
      return `architecture.lexTypes is ${h.architecture.lexTypes}, the tag set has ${types.length} entity types`;
    return undefined;
  },
  build(tokens, { lexicon }) {
    if (lexicon === null) return undefined;
    if (!(lexicon instanceof Lexicon)) throw new TypeError('featurize: lexicon must be a Lexicon or null');
    return lexicon.match(tokens); // [T × K]
  },
};

/** The two character language models of the charLm channel: fw reads the sentence left to right, bw right to left. */
export const CHAR_LM_DIRECTIONS = ['fw', 'bw'] as const;
export type CharLmDirection = (typeof CHAR_LM_DIRECTIONS)[number];
/** The tensors of one char LM (src/train/charlm.ts): input embedding [V, E], W_ih [4H, E], W_hh [4H, H], bias [4H]. */
export const CHAR_LM_PARTS = ['embed', 'w_ih', 'w_hh', 'bias'] as const;
export type CharLmPart = (typeof CHAR_LM_PARTS)[number];

/** The model-file name of a char LM tensor: charlm.<dir>.<part>. */
export function charLmTensor(dir: CharLmDirection, part: CharLmPart): string {
  return `charlm.${dir}.${part}`;
}

/**
 * Contextual character features (Flair's idea): the hidden states [h_fw | h_bw] of a forward and a backward
 * character LSTM language model, pre-trained on text and frozen (src/train/charlm.ts), at each character of the
 * sentence. Dense: two slots (fw, bw) of charLmHidden columns, made from the char ids (charVocab rows), no ids.
 */
export const CHAR_LM: InputChannel = {
  name: 'charLm',
  field: 'charIds',
  tensor: charLmTensor('fw', 'embed'),
  dimField: 'charLmHidden',
  // no table of its own: sizeField names the LMs' input size (checked, and known to the model file, with the others)
  sizeField: 'charLmDim',
  core: false,
  dense: true,
  quantizable: true,
  padRow: false,
  generation: 3,
  idsPerToken: () => 2,
  rows: (a) => a.charVocab,
  idRange: (a) => [0, a.charVocab],
  check(a) {
    const hidden = bothOrNeither(a, 'charLmHidden', 'charLmDim', 'charLm');
    if (hidden % 8 !== 0) throw new Error(`architecture: charLmHidden must be a multiple of 8, got ${hidden}`);
  },
  tensors(a) {
    const V = a.charVocab;
    const E = a.charLmDim ?? 0;
    const H = a.charLmHidden ?? 0;
    const shapes: Record<CharLmPart, number[]> = { embed: [V, E], w_ih: [4 * H, E], w_hh: [4 * H, H], bias: [4 * H] };
    return CHAR_LM_DIRECTIONS.flatMap((dir) =>
      CHAR_LM_PARTS.map((part) => ({
        name: charLmTensor(dir, part),
        shape: shapes[part],
        quantizable: part !== 'bias',
      })),
    );
  },
};

/**
 * Knowledge from outside the training annotation (issue 16 point 3): where each character sits in the matches of an
 * outside word list (THUOCL's medical words), untyped — one id per token, the set of its B/M/E/S places over all
 * matches (./outside-lexicon.ts), a row of a 16-row table. The list travels in the model header (`outsideLexicon`:
 * its own words, or a bit set over the segmenter's dictionary when the segmenter already holds them).
 */
export const OUTSIDE_LEX: InputChannel = {
  name: 'outsideLex',
  field: 'outsideLexIds',
  tensor: 'embed.outside',
  dimField: 'outsideLexDim',
  sizeField: 'outsideLexWords',
  core: false,
  quantizable: false,
  padRow: false,
  generation: 4,
  idsPerToken: () => 1,
  rows: () => OUTSIDE_LEX_ROWS,
  idRange: () => [0, OUTSIDE_LEX_ROWS],
  outOfRange: (_slot, lo, hi) => `is not a set of outside-lexicon places (expected [${lo}, ${hi}))`,
  check(a) {
    bothOrNeither(a, 'outsideLexWords', 'outsideLexDim', 'outsideLex');
  },
  checkHeader(h) {
    const spec = h.header.outsideLexicon;
    if (spec === undefined || spec === null) {
      return `the architecture has an outsideLex channel (outsideLexDim ${h.architecture.outsideLexDim}) but header.outsideLexicon, its word list, is missing`;
    }
    let words: string[];
    try {
      words = outsideLexiconWords(spec, h.header.segmenter);
    } catch (e) {
      return (e as Error).message;
    }
    if (words.length !== h.architecture.outsideLexWords) {
      return `architecture.outsideLexWords is ${h.architecture.outsideLexWords}, header.outsideLexicon holds ${words.length} words`;
    }
    return undefined;
  },
  build(tokens, { outsideLexicon }) {
    if (outsideLexicon === undefined || outsideLexicon === null) return undefined;
    if (!(outsideLexicon instanceof OutsideLexicon))
      throw new TypeError('featurize: outsideLexicon must be an OutsideLexicon or null');
    return outsideLexicon.match(tokens); // [T]
  },
};

/** Every input channel, in the order of the network's input columns and of the tensors in the model file. */
export const CHANNELS: readonly InputChannel[] = [CHAR, WORD, BIGRAM, LEXICON, CHAR_LM, OUTSIDE_LEX];

/** The channel's embedding dimension in `a` (0 when absent). */
export function channelDim(ch: InputChannel, a: ChannelSizes): number {
  return a[ch.dimField] ?? 0;
}

/** Columns of the channel in the network's input: dim · idsPerToken (0 when the channel is off). */
export function channelColumns(ch: InputChannel, a: ChannelSizes): number {
  return channelDim(ch, a) * ch.idsPerToken(a);
}

/** Columns of the bigram channel (0 without one). */
export function bigramSize(a: ChannelSizes): number {
  return channelColumns(BIGRAM, a);
}

/** Columns of the lexicon channel: lexTypes · lexDim (0 without one). */
export function lexiconSize(a: ChannelSizes): number {
  return channelColumns(LEXICON, a);
}

/** The channels `a` uses (columns > 0), in input order. */
export function activeChannels(a: ChannelSizes): InputChannel[] {
  return CHANNELS.filter((ch) => channelColumns(ch, a) > 0);
}

/**
 * Whether the channel's ids are present in a sentence or batch for `a`: always for a core channel, else when it
 * is on; never for a dense channel (it has no ids of its own).
 */
export function channelPresent(ch: InputChannel, a: ChannelSizes): boolean {
  return ch.core || (!ch.dense && channelColumns(ch, a) > 0);
}

/** The channels' ids that `s` holds (a Sentence's or a SentenceFeatures' ChannelIds), without its other fields. */
export function channelIdsOf(s: ChannelIds): ChannelIds {
  const out: Partial<Record<ChannelField, Int32Array>> = {};
  for (const ch of CHANNELS) {
    const ids = s[ch.field];
    if (ids !== undefined && !ch.dense) out[ch.field] = ids;
  }
  return out as ChannelIds;
}

/**
 * Tokens [a, b) of a sentence of T tokens: every channel's ids in `s`, each cut by its own ids per token
 * (its length / T); copies, or views into the same memory with `view`.
 */
export function sliceChannelIds(s: ChannelIds, T: number, a: number, b: number, view = false): ChannelIds {
  if (!(Number.isInteger(T) && T > 0 && 0 <= a && a <= b && b <= T))
    throw new RangeError(`sliceChannelIds: expected 0 ≤ a ≤ b ≤ T, T > 0, got a ${a}, b ${b}, T ${T}`);
  const out: Partial<Record<ChannelField, Int32Array>> = {};
  for (const ch of CHANNELS) {
    const ids = s[ch.field];
    if (ids === undefined || ch.dense) continue;
    const per = ids.length / T;
    out[ch.field] = view ? ids.subarray(a * per, b * per) : ids.slice(a * per, b * per);
  }
  return out as ChannelIds;
}

/** The end of a message about id v of slot `slot` outside its range ("is outside the char vocabulary [0, 10)"). */
function outOfRangeText(ch: InputChannel, slot: number, lo: number, hi: number): string {
  return ch.outOfRange ? ch.outOfRange(slot, lo, hi) : `is outside the ${ch.name} vocabulary [${lo}, ${hi})`;
}

/**
 * Checks every channel's fields of an architecture: the core channels' dimensions integers ≥ 0 with a sum > 0,
 * a core channel that is on needs a vocabulary of ≥ 2 rows (<pad>, <unk>); then checkOptionalChannels. Throws
 * an Error naming the field.
 */
export function checkChannels(a: ChannelSizes): void {
  const core = CHANNELS.filter((ch) => ch.core);
  const nat = (key: keyof ChannelSizes, min: number) => {
    const v = a[key];
    if (!(Number.isInteger(v) && (v as number) >= min))
      throw new Error(`architecture: ${key} must be an integer ≥ ${min}, got ${String(v)}`);
  };
  for (const ch of core) nat(ch.dimField, 0);
  if (core.every((ch) => a[ch.dimField] === 0))
    throw new Error(`architecture: ${core.map((ch) => ch.dimField).join(' + ')} must be > 0`);
  for (const ch of core) if (channelDim(ch, a) > 0) nat(ch.sizeField, 2);
  checkOptionalChannels(a);
}

/**
 * Checks the optional channels of an architecture: their size and dimension fields integers ≥ 0 when present,
 * then each channel's own rules (a bigram channel needs bigramVocab ≥ 2; lexTypes and lexDim both > 0 or both
 * 0). Throws an Error naming the field. The core channels' fields are checked by the callers.
 */
export function checkOptionalChannels(a: ChannelSizes): void {
  for (const ch of CHANNELS) {
    if (ch.core) continue;
    for (const key of [ch.dimField, ch.sizeField]) {
      const v = a[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= 0))
        throw new Error(`architecture: ${key} must be an integer ≥ 0, got ${String(v)}`);
    }
    ch.check?.(a);
  }
}

/**
 * The first id of `ids` [T × idsPerToken] outside its slot's range, as its flat index and the message tail
 * "= <v> <why>"; null when every id is in range.
 */
export function badChannelId(
  ch: InputChannel,
  a: ChannelSizes,
  ids: Int32Array,
): { index: number; text: string } | null {
  // every id of every tagged sentence passes here: plain loops over flat bounds, the slot counted, not i % per
  const per = ch.idsPerToken(a);
  const lo = new Float64Array(per); // [per]
  const hi = new Float64Array(per); // [per]
  for (let slot = 0; slot < per; slot++) [lo[slot], hi[slot]] = ch.idRange(a, slot);
  for (let i = 0, slot = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!(v >= lo[slot] && v < hi[slot]))
      return { index: i, text: `= ${v} ${outOfRangeText(ch, slot, lo[slot], hi[slot])}` };
    if (++slot === per) slot = 0;
  }
  return null;
}
