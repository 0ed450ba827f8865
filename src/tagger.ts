/**
 * The public runtime.
 *
 *   const tagger = await createTagger({ model: bytes, kernels: wasmModuleOrBytes });
 *   const { entities } = tagger.tag(text);            // [{ type, start, end, text, score }]
 *
 * Flow per text: split the ORIGINAL string into sentences (src/text/sentences.ts; the terminators are the
 * same before and after normalisation) → normalise each sentence code point by code point (offset map kept)
 * → trim whitespace (taggableSentences, which the trainer uses too) → segment + featurize the sentence →
 * cut sentences longer than `maxSentence` tokens into overlapping windows of their features → network emissions (all sentences of all texts in lockstep batches) → Viterbi (k-best on
 * request) → BIO → spans (conlleval) → entity scores → consistency check → offsets into the ORIGINAL string
 * (UTF-16 code units by default, code points on request); entity.text = original.slice(start, end) with
 * UTF-16 offsets.
 *
 * Entity score: the model's probability that the text holds exactly this entity — P(y_s = B-X, or y_s = I-X
 * after a non-X tag; y_{s+1..e-1} = I-X; y_e ≠ I-X), i.e. the probability mass of all tag paths whose
 * conlleval decoding contains the span [s, e) with type X (src/model/crf.ts). Computed exactly from the CRF forward–backward
 * lattice (f64, in JS) of the sentence; for crf=false models the same formula over the per-step softmax.
 * For a sentence cut into windows the entity is scored in the window that contains it farthest from the
 * window edges; an entity that no single window contains gets the minimum over its positions of the
 * marginal of its tag (an upper bound).
 *
 * k-best: `paths` are the k most probable taggings of the whole text, best first: per sentence the k best
 * CRF paths (kernel k-best), combined across sentences (sentences are independent, so a text path's
 * probability is the product of its sentences'). For windowed sentences the windows' paths are combined
 * the same way (an approximation: windows are treated as independent).
 */

import { type ModelFile, type ModelHeader, checkHeader, checkVocab, readModelAsync } from './model/format.js';
import { type Kernels, loadInferenceKernels } from './model/kernels.js';
import { type Network, type NetworkOptions, type SentenceBatch, createNetwork } from './model/network.js';
import { createSegmenter, type Segmenter } from './segment/index.js';
import {
  CHANNELS, type ChannelField, Lexicon, type MoreFeatureSources, type OutsideLexicon, type SentenceFeatures, type VocabLookup,
  createLookup, featurizeSentence, outsideLexiconOfHeader, sliceChannelIds,
} from './features/index.js';
import type { NormalizeOptions } from './text/normalize.js';
import { type Span, splitWindows, taggableSentences, windowOwners } from './text/sentences.js';
import { tagIdsToSpans, tagTypes, type TagSpan } from './tags/bio.js';
import { type ConsistencyCheck, compileConsistency } from './consistency/index.js';
import { type Architecture, lexiconSize } from './model/layout.js';
import {
  type CrfParams, type Lattice, combineKBest, entityLogProb, forwardBackwardKernels, latticeNumbers, logMarginal,
} from './model/crf.js';

export interface TaggerSource {
  /** the model file's bytes, or a ModelFile from readModel() */
  model: Uint8Array | ArrayBuffer | ModelFile;
  /** build/kernels.wasm: a compiled module or its bytes */
  kernels: WebAssembly.Module | ArrayBuffer | Uint8Array;
  /**
   * With model bytes only: their SHA-256 (64 lower-case hex) when the caller has already verified it over exactly
   * these bytes; it becomes info.sha256 without another pass. The file's own digests are checked regardless.
   */
  sha256?: string;
  /**
   * How the network runs (src/model/network.ts NetworkOptions): batchSize, maxBatchChars, and the layer-0 fold's
   * foldInput / foldCacheBytes (default: folded, its cache up to 48 MiB of wasm memory).
   */
  network?: NetworkOptions;
}

export interface TagOptions {
  /** units of start/end: UTF-16 code units (default, JavaScript string offsets) or code points */
  offsets?: 'utf16' | 'codepoint';
  /** also return the k most probable taggings of the text as `paths` (1 ≤ k ≤ 64) */
  kbest?: number;
  /** apply the model's consistency table (default true; no effect when the model has none) */
  consistency?: boolean;
  /** compute entity scores (default true); false leaves `score` out and skips the forward–backward pass */
  scores?: boolean;
  /** sentences longer than this many code points are tagged in overlapping windows (default 256) */
  maxSentence?: number;
}

export interface Entity {
  type: string;
  /** offset of the first character in the original text (units per options.offsets) */
  start: number;
  /** offset after the last character (exclusive) */
  end: number;
  /** the original text of the entity: original.slice(start, end) in UTF-16 units */
  text: string;
  /** probability of the entity under the model, in [0, 1] (absent with scores: false) */
  score?: number;
  /** set when the consistency check changed the type */
  corrected?: true;
  /** the model's type before the consistency check changed it */
  originalType?: string;
}

export interface TaggedPath {
  /** probability of this tagging of the whole text (product over sentences) */
  score: number;
  /** natural log of score (stays informative when score underflows) */
  logProb: number;
  entities: Entity[];
}

export interface TagResult {
  entities: Entity[];
  /** with options.kbest: the best taggings, best first; paths[0].entities equals entities */
  paths?: TaggedPath[];
}

export interface TaggerInfo {
  name: string;
  version: string;
  created: string;
  /** SHA-256 of the model file: its content id */
  sha256: string;
  /** tag labels, labels[0] = 'O' */
  labels: string[];
  /** entity types */
  types: string[];
  architecture: Architecture;
  quantization: string;
  segmenter: string;
  /** whether the model carries a consistency table */
  consistency: boolean;
  /** header.training.metrics, or null */
  metrics: Record<string, unknown> | null;
}

export interface Tagger {
  readonly info: TaggerInfo;
  /** the full model header */
  readonly header: ModelHeader;
  tag(text: string, options?: TagOptions): TagResult;
  /** tag() for many texts; their sentences run through the network together */
  tagMany(texts: readonly string[], options?: TagOptions): TagResult[];
}

export const DEFAULT_MAX_SENTENCE = 256;
export const MAX_KBEST = 64;
/** sentences are sent to the network in groups of about this many tokens (bounds memory on huge inputs) */
const CHUNK_TOKENS = 16384;
/** the channels that have ids of their own (a dense channel is computed from the char ids) */
const ID_CHANNELS = CHANNELS.filter((ch) => !ch.dense);

export async function createTagger(source: TaggerSource): Promise<Tagger> {
  if (!source || typeof source !== 'object') {
    throw new TypeError(`createTagger: expected { model, kernels }, got ${source === null ? 'null' : typeof source}`);
  }
  // the model's digests (WebCrypto) and the kernels' instantiation overlap; a model error still comes first
  const filePending = toModelFile(source.model, source.sha256);
  if (source.kernels === undefined || source.kernels === null) {
    await filePending;
    throw new TypeError('createTagger: kernels is missing (expected build/kernels.wasm as a WebAssembly.Module, ArrayBuffer or Uint8Array)');
  }
  const kernelsPending = loadInferenceKernels(source.kernels);
  kernelsPending.catch(() => {}); // observed below, after the model
  const file = await filePending;
  const kernels = await kernelsPending;
  const network = createNetwork(kernels, file.header.architecture, file.weights, networkOptions(source.network));
  return new TaggerImpl(file, network, kernels);
}

function networkOptions(v: unknown): NetworkOptions {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new TypeError(`createTagger: network must be an object of network options, got ${describe(v)}`);
  }
  return v as NetworkOptions;
}

async function toModelFile(model: unknown, sha256: unknown): Promise<ModelFile> {
  if (model instanceof Uint8Array || model instanceof ArrayBuffer) {
    if (sha256 !== undefined && typeof sha256 !== 'string') {
      throw new TypeError(`createTagger: sha256 must be 64 lower-case hex digits, got ${describe(sha256)}`);
    }
    return readModelAsync(model, sha256 === undefined ? undefined : { sha256 });
  }
  if (sha256 !== undefined) throw new TypeError('createTagger: sha256 goes with model bytes, not with a ModelFile (it has its own)');
  if (model && typeof model === 'object' && 'header' in model && 'weights' in model) {
    const m = model as ModelFile;
    if (!(m.weights instanceof Map)) throw new TypeError('createTagger: model.weights must be a Map (a ModelFile from readModel)');
    checkHeader(m.header);
    checkVocab(m.header);
    return m;
  }
  throw new TypeError(
    `createTagger: model must be the model file's bytes (Uint8Array or ArrayBuffer) or a ModelFile, got ${describe(model)}`,
  );
}

// ───────────────────────────────────────── the tagger ─────────────────────────────────────────

interface ResolvedOptions {
  codepoints: boolean;
  kbest: number; // 0 = no paths
  consistency: boolean;
  scores: boolean;
  maxSentence: number;
  overlap: number;
}

/** One sentence on its way through the network. */
interface SentenceJob {
  text: number;
  /** code-point offset of the first token in the original text */
  cpStart: number;
  /** UTF-16 offset in the original text of each token, plus the end  [n + 1] */
  offsets: Int32Array;
  /** windows over the sentence's n tokens (one when n ≤ maxSentence) */
  windows: Span[];
  /** every input channel's ids of the sentence's n tokens (src/features/channels.ts) */
  ids: SentenceFeatures;
}

/** Per sentence: its entities (final form, before consistency) and, for k-best, its candidate taggings. */
interface SentenceResult {
  entities: Entity[];
  /** entities() builds (and scores) a candidate's entities on first use: only for the paths returned */
  candidates: readonly { logProb: number; entities: () => Entity[] }[];
}
/** the candidates of a sentence decoded without k-best (never read) */
const NO_CANDIDATES: SentenceResult['candidates'] = Object.freeze([]);

class TaggerImpl implements Tagger {
  readonly info: TaggerInfo;
  readonly header: ModelHeader;
  private readonly network: Network;
  /** the network's kernels: the entity scores' lattices run there too */
  private readonly kernels: Kernels;
  private readonly segmenter: Segmenter;
  private readonly lookup: VocabLookup;
  private readonly labels: string[];
  private readonly crf: CrfParams;
  /** the model's consistency table compiled once (null without one) */
  private readonly check: ConsistencyCheck | null;
  /** the lexicon channel's matcher (built from the consistency table), when the model has one */
  private readonly lexicon: Lexicon | null;
  /** the outsideLex channel's matcher (built from header.outsideLexicon), when the model has one */
  private readonly outsideLexicon: OutsideLexicon | null;
  /** featurize's sources of the later channels, built once */
  private readonly moreSources: MoreFeatureSources;
  private readonly normalization: NormalizeOptions;
  /** tag ids of B-X and I-X by type */
  private readonly bio: Map<string, { b: number; i: number }>;
  /** the lattice of one sentence's entity scores (decodeOneWindow), reused from sentence to sentence */
  private latticeScratch = new Float64Array(0);

  constructor(file: ModelFile, network: Network, kernels: Kernels) {
    const h = file.header;
    this.header = h;
    this.network = network;
    this.kernels = kernels;
    this.segmenter = createSegmenter(h.segmenter);
    this.lookup = createLookup(h.vocab);
    this.labels = [...h.tags.labels];
    this.normalization = h.normalization;
    const table = h.consistency ?? null;
    this.check = table ? compileConsistency(table, { normalization: h.normalization }) : null;
    this.lexicon = lexiconSize(h.architecture) > 0 && table ? Lexicon.fromEntries(tagTypes(h.tags.labels), table.entries) : null;
    this.outsideLexicon = outsideLexiconOfHeader(h);
    this.moreSources = { outsideLexicon: this.outsideLexicon };
    const K = h.architecture.tags;
    const f64 = (name: string, n: number) => {
      const t = file.weights.get(name);
      return t ? Float64Array.from(t.data as Float32Array) : new Float64Array(n);
    };
    this.crf = {
      crf: h.architecture.crf,
      K,
      trans: h.architecture.crf ? f64('crf.trans', K * K) : new Float64Array(K * K),
      start: h.architecture.crf ? f64('crf.start', K) : new Float64Array(K),
      end: h.architecture.crf ? f64('crf.end', K) : new Float64Array(K),
    };
    this.bio = new Map();
    this.labels.forEach((l, id) => {
      if (l === 'O') return;
      const type = l.slice(2);
      const entry = this.bio.get(type) ?? { b: -1, i: -1 };
      if (l[0] === 'B') entry.b = id;
      else entry.i = id;
      this.bio.set(type, entry);
    });
    const metrics = h.training && typeof h.training === 'object' ? (h.training.metrics ?? null) : null;
    this.info = Object.freeze({
      name: h.name,
      version: h.version,
      created: h.created,
      get sha256(): string {
        return file.sha256; // computed on first use (a pass over the whole file)
      },
      labels: [...this.labels],
      types: tagTypes(this.labels),
      architecture: { ...h.architecture, lstm: [...h.architecture.lstm] },
      quantization: h.quantization?.scheme ?? 'none',
      segmenter: h.segmenter.kind,
      consistency: this.check !== null,
      metrics: metrics as Record<string, unknown> | null,
    });
  }

  tag(text: string, options?: TagOptions): TagResult {
    if (typeof text !== 'string') throw new TypeError(`tag: expected text to be a string, got ${describe(text)}`);
    return this.tagMany([text], options)[0];
  }

  tagMany(texts: readonly string[], options?: TagOptions): TagResult[] {
    if (!Array.isArray(texts)) throw new TypeError(`tagMany: expected an array of strings, got ${describe(texts)}`);
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`tagMany: texts[${i}] must be a string, got ${describe(t)}`);
    });
    const opts = resolveOptions(options);
    const perText: SentenceResult[][] = texts.map(() => []);
    let pending: SentenceJob[] = [];
    let pendingTokens = 0;
    const flush = () => {
      if (pending.length === 0) return;
      const results = this.runJobs(pending, texts, opts);
      pending.forEach((job, j) => perText[job.text].push(results[j]));
      pending = [];
      pendingTokens = 0;
    };
    texts.forEach((original, ti) => {
      for (const sentence of taggableSentences(original, this.normalization)) {
        const ids = featurizeSentence(sentence.tokens, this.segmenter, this.lookup, this.header.features, this.lexicon, this.moreSources);
        const n = sentence.tokens.length;
        const windows = splitWindows({ start: 0, end: n }, opts.maxSentence, opts.overlap);
        pending.push({ text: ti, cpStart: sentence.cpStart, offsets: sentence.offsets, windows, ids });
        pendingTokens += n;
        if (pendingTokens >= CHUNK_TOKENS) flush();
      }
    });
    flush();
    return perText.map((sentences) => this.finish(sentences, opts));
  }

  /** Emissions for every window of every job in one network call, then decoding per sentence. */
  private runJobs(jobs: SentenceJob[], texts: readonly string[], opts: ResolvedOptions): SentenceResult[] {
    // every window of every job, channel by channel: a sentence in one window gives its own ids, a longer one
    // views into them
    const batch: Partial<Record<ChannelField, Int32Array[]>> = {};
    for (const job of jobs) {
      const T = job.ids.charIds.length;
      for (const w of job.windows) {
        const part = w.start === 0 && w.end === T ? job.ids : sliceChannelIds(job.ids, T, w.start, w.end, true);
        for (const ch of ID_CHANNELS) {
          const ids = part[ch.field];
          if (ids !== undefined) (batch[ch.field] ??= []).push(ids);
        }
      }
    }
    const ems = this.network.emissions(batch as SentenceBatch);
    let at = 0;
    return jobs.map((job) => {
      const windows = job.windows.length;
      at += windows;
      if (windows === 1 && opts.kbest === 0) return { entities: this.decodeOneWindow(job, ems[at - 1], texts[job.text], opts), candidates: NO_CANDIDATES };
      return this.decodeSentence(job, ems.slice(at - windows, at), texts[job.text], opts);
    });
  }

  /**
   * A sentence in one window, without k-best: its best path's entities, scored from a lattice that holds only the rows
   * their scores read, built in the tagger's scratch (the scores are taken before the next sentence reuses it).
   */
  private decodeOneWindow(job: SentenceJob, em: Float32Array, original: string, opts: ResolvedOptions): Entity[] {
    const T = job.ids.charIds.length;
    const spans = tagIdsToSpans(this.network.viterbi(em, T).path, this.labels);
    if (spans.length === 0 || !opts.scores) return spans.map((s) => this.entity(job, s, original, opts, null));
    const n = latticeNumbers(T, this.crf);
    if (this.latticeScratch.length < n) this.latticeScratch = new Float64Array(Math.max(n, 2 * this.latticeScratch.length));
    const lattice = forwardBackwardKernels(this.kernels, em, T, this.crf, spans, this.latticeScratch);
    return spans.map((s) => {
      const ids = this.bio.get(s.type) as { b: number; i: number };
      return this.entity(job, s, original, opts, entityLogProb(lattice, s.start, s.end, ids.b, ids.i));
    });
  }

  /** A sentence in several windows, or with k-best (else decodeOneWindow). */
  private decodeSentence(job: SentenceJob, ems: Float32Array[], original: string, opts: ResolvedOptions): SentenceResult {
    const L = job.ids.charIds.length;
    const windows = job.windows;
    // a window's forward–backward lattice is built when first needed: for k-best, or to score an entity in it
    const lattices: (Lattice | null)[] = windows.map(() => null);
    const lattice = (wi: number): Lattice =>
      (lattices[wi] ??= forwardBackwardKernels(this.kernels, ems[wi], windows[wi].end - windows[wi].start, this.crf));
    const bests: Int32Array[] = [];
    const kbests: { logProb: number; path: Int32Array }[][] = [];
    windows.forEach((w, wi) => {
      const T = w.end - w.start;
      const em = ems[wi]; // [T × K]
      if (opts.kbest > 0) {
        const paths = this.network.kbest(em, T, opts.kbest);
        const logZ = lattice(wi).logZ;
        kbests.push(paths.map((p) => ({ logProb: Math.min(0, p.score - logZ), path: p.path })));
        bests.push(paths[0].path);
      } else {
        bests.push(this.network.viterbi(em, T).path);
      }
    });
    const owners = windows.length === 1 ? null : windowOwners({ start: 0, end: L }, windows);
    const merge = (paths: Int32Array[]): Int32Array => {
      if (owners === null) return paths[0];
      const tags = new Int32Array(L); // [L]
      for (let p = 0; p < L; p++) tags[p] = paths[owners[p]][p - windows[owners[p]].start];
      return tags;
    };
    const toEntities = (tags: Int32Array): Entity[] =>
      tagIdsToSpans(tags, this.labels).map((s) =>
        this.entity(job, s, original, opts, opts.scores ? this.scoreSpan(s, tags, lattice, windows, owners) : null),
      );

    const best = merge(bests);
    const entities = toEntities(best);
    const candidates: { logProb: number; entities: () => Entity[] }[] = [];
    if (opts.kbest > 0) {
      // combine the windows' k-best lists: best sums first (keeping 2k, as different window paths can merge
      // into the same tagging), then deduplicate by the merged tagging
      const keep = windows.length === 1 ? opts.kbest : 2 * opts.kbest;
      const combos = combineKBest(
        kbests.map((list) => list.map((p) => p.logProb)),
        keep,
      );
      const bestKey = best.join(',');
      const seen = new Set<string>();
      for (const { logProb, picks } of combos) {
        const tags = merge(picks.map((pi, wi) => kbests[wi][pi].path));
        const key = tags.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        let built: Entity[] | null = key === bestKey ? entities : null;
        candidates.push({ logProb, entities: () => (built ??= toEntities(tags)) });
        if (candidates.length === opts.kbest) break;
      }
    }
    return { entities, candidates };
  }

  /** One entity: offsets into the original text, and its score from `logProb` (none when null). */
  private entity(job: SentenceJob, s: TagSpan, original: string, opts: ResolvedOptions, logProb: number | null): Entity {
    const u16Start = job.offsets[s.start];
    const u16End = job.offsets[s.end];
    const start = opts.codepoints ? job.cpStart + s.start : u16Start;
    const end = opts.codepoints ? job.cpStart + s.end : u16End;
    const text = original.slice(u16Start, u16End);
    // one literal each way: the score is then an in-object field, not one added later
    return logProb === null ? { type: s.type, start, end, text } : { type: s.type, start, end, text, score: Math.exp(logProb) };
  }

  private scoreSpan(s: TagSpan, tags: Int32Array, lattice: (window: number) => Lattice, windows: Span[], owners: Int32Array | null): number {
    const ids = this.bio.get(s.type) as { b: number; i: number };
    if (owners === null) return entityLogProb(lattice(0), s.start, s.end, ids.b, ids.i);
    let bestW = -1;
    let bestD = -1;
    windows.forEach((w, wi) => {
      if (w.start <= s.start && s.end <= w.end) {
        const d = Math.min(s.start - w.start, w.end - s.end);
        if (d > bestD) {
          bestD = d;
          bestW = wi;
        }
      }
    });
    if (bestW >= 0) {
      const w = windows[bestW];
      return entityLogProb(lattice(bestW), s.start - w.start, s.end - w.start, ids.b, ids.i);
    }
    let min = 0;
    for (let p = s.start; p < s.end; p++) {
      const w = windows[owners[p]];
      min = Math.min(min, logMarginal(lattice(owners[p]), p - w.start, tags[p]));
    }
    return min;
  }

  /** Consistency check and k-best combination across the sentences of one text. */
  private finish(sentences: SentenceResult[], opts: ResolvedOptions): TagResult {
    const entities: Entity[] = [];
    for (const s of sentences) for (const e of s.entities) entities.push(e);
    const check = opts.consistency ? this.check : null;
    // the entities are this call's own: retyped in place (a path's entities below are checked into copies)
    const result: TagResult = { entities: check !== null ? check(entities, { inPlace: true }) : entities };
    if (opts.kbest > 0) {
      // top-k sums over independent sentences (exact: the top k of a sum only use top-k prefixes)
      const combos = combineKBest(
        sentences.map((s) => s.candidates.map((c) => c.logProb)),
        opts.kbest,
      );
      result.paths = combos.map(({ logProb, picks }) => {
        const mine = sentences.flatMap((s, si) => s.candidates[picks[si]].entities());
        const entities = check !== null ? check(mine) : mine;
        return { score: Math.exp(logProb), logProb, entities };
      });
    }
    return result;
  }
}

function resolveOptions(options: TagOptions | undefined): ResolvedOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`tag options: expected an object, got ${describe(options)}`);
  }
  const o = options ?? {};
  if (o.offsets !== undefined && o.offsets !== 'utf16' && o.offsets !== 'codepoint') {
    throw new RangeError(`tag options.offsets: expected 'utf16' or 'codepoint', got ${JSON.stringify(String(o.offsets))}`);
  }
  for (const key of ['consistency', 'scores'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw new TypeError(`tag options.${key}: expected a boolean, got ${describe(o[key])}`);
    }
  }
  if (o.kbest !== undefined && (!Number.isInteger(o.kbest) || o.kbest < 1 || o.kbest > MAX_KBEST)) {
    throw new RangeError(`tag options.kbest: expected an integer in [1, ${MAX_KBEST}], got ${String(o.kbest)}`);
  }
  if (o.maxSentence !== undefined && (!Number.isInteger(o.maxSentence) || o.maxSentence < 1 || o.maxSentence > 1_000_000)) {
    throw new RangeError(`tag options.maxSentence: expected an integer in [1, 1000000], got ${String(o.maxSentence)}`);
  }
  const maxSentence = o.maxSentence ?? DEFAULT_MAX_SENTENCE;
  return {
    codepoints: o.offsets === 'codepoint',
    kbest: o.kbest ?? 0,
    consistency: o.consistency ?? true,
    scores: o.scores ?? true,
    maxSentence,
    overlap: Math.min(32, Math.floor(maxSentence / 4)),
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
