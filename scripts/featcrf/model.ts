/**
 * The feature CRF baseline: training (L-BFGS or AdaGrad on the L2-regularised NLL), prediction, and a
 * JSON model file (gzip). Node only (src/train/).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Doc, EntitySpan } from '../../src/corpus/document.js';
import { spansToTags, tagIdsToSpans, tagSet } from '../../src/tags/bio.js';
import { CrfScratch, paramCount, paramOffsets, sequenceNll, viterbi, type CrfSequence, type CrfShape } from './crf.js';
import { FeatureDictionary, Gazetteer, positionFeatures, type Segmenter as SegmentFn } from './features.js';
import { lbfgs } from './lbfgs.js';
import { evaluateEntities, type EntityEvalReport } from '../../src/eval/index.js';
import { createSegmenter } from '../../src/segment/segmenter.js';
import type { Segmenter as SegmenterObject } from '../../src/segment/segmenter.js';
import type { SegmenterSpec } from '../../src/segment/spec.js';

export interface FeatureCrfOptions {
  /** seeds the jackknife folds and AdaGrad's shuffling; default 1 */
  seed?: number;
  /** default 'lbfgs' */
  optimizer?: 'lbfgs' | 'adagrad';
  /** λ of the penalty λ/2·‖θ‖² added to the summed NLL; default 1 (CRF++'s C = 1) */
  l2?: number;
  /** L-BFGS iterations or AdaGrad epochs at most; default 150 (L-BFGS) / 15 (AdaGrad) */
  maxIterations?: number;
  /** AdaGrad step size; default 0.1 */
  learningRate?: number;
  /** drop feature strings seen fewer times in training; default 1 */
  minFeatureCount?: number;
  /** gazetteer features from training entity strings; default true */
  gazetteer?: boolean;
  /**
   * Gazetteer features of a training document come from the entity strings of the OTHER folds (jackknife),
   * so the model does not learn to trust a dictionary that always contains the answer; default 5.
   * 1 = every training document sees the full gazetteer.
   */
  gazetteerFolds?: number;
  /**
   * optional word segmenter → word-boundary features: a src/segment Segmenter (its spec is saved with the
   * model) or a function text → words (then the same function must be passed to loadFeatureCrf)
   */
  segment?: SegmentFn | SegmenterObject | null;
  /** score dev (strict F1) every this many iterations / epochs (and after the last); default 10 (L-BFGS) / 1 (AdaGrad) */
  evalEvery?: number;
  /** stop after this many dev evaluations without improvement; default 3 */
  patience?: number;
  /** progress lines (no text, only numbers) */
  log?: (line: string) => void;
}

export interface TrainInfo {
  optimizer: 'lbfgs' | 'adagrad';
  iterations: number;
  bestIteration: number;
  bestDevF1: number | null;
  trainSeconds: number;
  numFeatures: number;
  numParams: number;
  trainChars: number;
  gazetteerEntries: number;
}

interface FeatureCrfState {
  labels: string[];
  dict: FeatureDictionary;
  theta: Float64Array;
  gazetteer: Gazetteer | null;
  segment: SegmentFn | null;
  /** the src/segment spec behind `segment`, when there is one (saved with the model) */
  segmenterSpec: SegmenterSpec | null;
  info: TrainInfo;
}

const FORMAT = 'cner-featcrf/1';

export interface FeatureCrfJson {
  format: typeof FORMAT;
  labels: string[];
  features: string[];
  /** base64 of the little-endian f64 θ */
  theta: string;
  gazetteer: Array<[string, string]> | null;
  gazetteerTypes: string[];
  usesSegmenter: boolean;
  /** present when the segmenter came from src/segment: rebuilt on load */
  segmenterSpec?: SegmenterSpec;
  info: TrainInfo;
}

export class FeatureCrf {
  readonly labels: string[];
  readonly info: TrainInfo;
  private readonly dict: FeatureDictionary;
  private readonly theta: Float64Array;
  private readonly gazetteer: Gazetteer | null;
  private readonly segment: SegmentFn | null;
  private readonly segmenterSpec: SegmenterSpec | null;
  private readonly shape: CrfShape;
  private readonly scratch = new CrfScratch();

  constructor(state: FeatureCrfState) {
    this.labels = state.labels;
    this.dict = state.dict;
    this.theta = state.theta;
    this.gazetteer = state.gazetteer;
    this.segment = state.segment;
    this.segmenterSpec = state.segmenterSpec;
    this.info = state.info;
    this.shape = { numFeatures: this.dict.size, numLabels: this.labels.length };
    if (this.theta.length !== paramCount(this.shape)) {
      throw new Error(`FeatureCrf: θ must have ${paramCount(this.shape)} values, got ${this.theta.length}`);
    }
  }

  /** Entity spans (UTF-16 offsets, end exclusive) of text. */
  predict(text: string): EntitySpan[] {
    if (typeof text !== 'string') throw new TypeError(`FeatureCrf.predict: expected a string, got ${typeof text}`);
    return tagIdsToSpans(this.predictTagIds(text), this.labels);
  }

  /** Decoded label ids per UTF-16 code unit ([text.length], indices into labels). */
  predictTagIds(text: string): Int32Array {
    const seq = this.dict.encode(positionFeatures(text, this.gazetteer, this.segment));
    return viterbi(this.theta, this.shape, seq, this.scratch);
  }

  toJSON(): FeatureCrfJson {
    return {
      format: FORMAT,
      labels: this.labels,
      features: this.dict.names,
      theta: Buffer.from(this.theta.buffer, this.theta.byteOffset, this.theta.byteLength).toString('base64'),
      gazetteer: this.gazetteer ? this.gazetteer.entries() : null,
      gazetteerTypes: this.gazetteer ? this.gazetteer.types : [],
      usesSegmenter: this.segment !== null,
      ...(this.segmenterSpec ? { segmenterSpec: this.segmenterSpec } : {}),
      info: this.info,
    };
  }

  static fromJSON(json: FeatureCrfJson, opts: { segment?: SegmentFn | null } = {}): FeatureCrf {
    if (!json || json.format !== FORMAT) {
      throw new Error(`FeatureCrf.fromJSON: expected format '${FORMAT}', got ${JSON.stringify(json?.format)}`);
    }
    let segment: SegmentFn | null = null;
    if (json.usesSegmenter) {
      if (opts.segment) segment = opts.segment;
      else if (json.segmenterSpec) segment = asSegmentFn(createSegmenter(json.segmenterSpec));
      else throw new Error('FeatureCrf.fromJSON: the model was trained with word features; pass the same segmenter');
    }
    const bytes = Buffer.from(json.theta, 'base64');
    const theta = new Float64Array(bytes.length / 8);
    new Uint8Array(theta.buffer).set(bytes);
    let gazetteer: Gazetteer | null = null;
    if (json.gazetteer) {
      gazetteer = new Gazetteer(json.gazetteerTypes);
      for (const [s, t] of json.gazetteer) gazetteer.add(s, t);
    }
    return new FeatureCrf({
      labels: json.labels,
      dict: FeatureDictionary.fromNames(json.features),
      theta,
      gazetteer,
      segment,
      segmenterSpec: json.usesSegmenter && json.segmenterSpec ? json.segmenterSpec : null,
      info: json.info,
    });
  }

  /** Writes the model as gzipped JSON. */
  save(path: string): void {
    writeFileSync(path, gzipSync(Buffer.from(JSON.stringify(this.toJSON()), 'utf8')));
  }
}

export function loadFeatureCrf(path: string, opts: { segment?: SegmentFn | null } = {}): FeatureCrf {
  const json = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as FeatureCrfJson;
  return FeatureCrf.fromJSON(json, opts);
}

/** Deterministic PRNG (mulberry32) → floats in [0, 1): the corpus split's. */
import { mulberry32 } from '../../src/corpus/split.js';
export { mulberry32 };

function shuffled(n: number, rand: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

function checkDocs(docs: Doc[], what: string): void {
  if (!Array.isArray(docs)) throw new TypeError(`trainFeatureCrf: ${what} must be an array of Doc, got ${typeof docs}`);
  docs.forEach((d, i) => {
    if (!d || typeof d.text !== 'string' || !Array.isArray(d.entities)) {
      throw new TypeError(`trainFeatureCrf: ${what}[${i}] must be a Doc { id, text, entities }`);
    }
  });
}

function goldLabels(doc: Doc, labelIndex: Map<string, number>): Int32Array {
  let tags: string[];
  try {
    tags = spansToTags(doc.text.length, doc.entities);
  } catch (e) {
    throw new Error(`trainFeatureCrf: document ${doc.id}: ${(e as Error).message}`);
  }
  const out = new Int32Array(tags.length); // [T]
  tags.forEach((t, i) => {
    const id = labelIndex.get(t);
    if (id === undefined) throw new Error(`trainFeatureCrf: document ${doc.id}: tag at ${i} is not in the tag set`);
    out[i] = id;
  });
  return out;
}

function asSegmentFn(s: SegmentFn | SegmenterObject): SegmentFn {
  if (typeof s === 'function') return s;
  if (s && typeof s.cut === 'function') return (text: string) => s.cut(text);
  throw new TypeError('trainFeatureCrf: segment must be a function text → words or a src/segment Segmenter');
}

/** Scores a model on documents with src/eval (strict / relaxed, micro / macro, per type). */
export function evaluateFeatureCrf(model: FeatureCrf, docs: Doc[]): EntityEvalReport {
  return evaluateEntities(
    docs,
    docs.map((d) => ({ id: d.id, text: d.text, entities: model.predict(d.text) })),
    { pairBy: 'order' },
  );
}

/**
 * Trains the CRF on trainDocs. devDocs (may be empty) choose the stopping point: the θ with the best dev
 * strict F1 among the evaluations is kept.
 */
export function trainFeatureCrf(trainDocs: Doc[], devDocs: Doc[], opts: FeatureCrfOptions = {}): FeatureCrf {
  checkDocs(trainDocs, 'trainDocs');
  checkDocs(devDocs, 'devDocs');
  if (trainDocs.length === 0) throw new Error('trainFeatureCrf: trainDocs must not be empty');
  const t0 = performance.now();
  const seed = opts.seed ?? 1;
  const optimizer = opts.optimizer ?? 'lbfgs';
  const l2 = opts.l2 ?? 1;
  const maxIterations = opts.maxIterations ?? (optimizer === 'lbfgs' ? 150 : 15);
  const minCount = opts.minFeatureCount ?? 1;
  const useGaz = opts.gazetteer ?? true;
  const folds = opts.gazetteerFolds ?? 5;
  const segment = opts.segment ? asSegmentFn(opts.segment) : null;
  const segmenterSpec = opts.segment && typeof opts.segment !== 'function' ? opts.segment.spec : null;
  const evalEvery = opts.evalEvery ?? (optimizer === 'lbfgs' ? 10 : 1);
  const patience = opts.patience ?? 3;
  const log = opts.log ?? (() => {});
  if (optimizer !== 'lbfgs' && optimizer !== 'adagrad') {
    throw new Error(`trainFeatureCrf: optimizer must be 'lbfgs' or 'adagrad', got ${JSON.stringify(String(optimizer))}`);
  }
  if (!(l2 >= 0)) throw new Error(`trainFeatureCrf: l2 must be >= 0, got ${l2}`);
  if (!(Number.isInteger(folds) && folds >= 1)) throw new Error(`trainFeatureCrf: gazetteerFolds must be an integer >= 1, got ${folds}`);
  if (!(Number.isInteger(evalEvery) && evalEvery >= 1)) throw new Error(`trainFeatureCrf: evalEvery must be an integer >= 1, got ${evalEvery}`);

  // tag set from the types in the training data
  const types = [...new Set(trainDocs.flatMap((d) => d.entities.map((e) => e.type)))].sort();
  const labels = tagSet(types);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));

  // gazetteers: the full one (dev, test, prediction) and, per fold, one without that fold's documents
  const buildGaz = (docs: Doc[]): Gazetteer => {
    const g = new Gazetteer(types);
    for (const d of docs) for (const e of d.entities) g.add(d.text.slice(e.start, e.end), e.type);
    return g;
  };
  const fullGaz = useGaz ? buildGaz(trainDocs) : null;
  const foldOf = new Int32Array(trainDocs.length); // [N]
  shuffled(trainDocs.length, mulberry32(seed)).forEach((docIdx, rank) => (foldOf[docIdx] = rank % folds));
  const foldGaz: (Gazetteer | null)[] = [];
  for (let k = 0; k < folds; k++) {
    foldGaz.push(!useGaz ? null : folds === 1 ? fullGaz : buildGaz(trainDocs.filter((_, i) => foldOf[i] !== k)));
  }

  const trainFeats = trainDocs.map((d, i) => positionFeatures(d.text, foldGaz[foldOf[i]], segment));
  const dict = FeatureDictionary.build(trainFeats, minCount);
  const trainSeqs: CrfSequence[] = trainDocs.map((d, i) => ({
    ...dict.encode(trainFeats[i]),
    labels: goldLabels(d, labelIndex),
  }));
  trainFeats.length = 0; // free the strings
  const shape: CrfShape = { numFeatures: dict.size, numLabels: labels.length };
  const nParams = paramCount(shape);
  const trainChars = trainDocs.reduce((s, d) => s + d.text.length, 0);
  log(`featcrf: ${trainDocs.length} docs, ${trainChars} chars, ${labels.length} tags, ${dict.size} features, ${nParams} params`);

  const devSeqs = devDocs.map((d) => dict.encode(positionFeatures(d.text, fullGaz, segment)));
  const scratch = new CrfScratch();
  const devF1 = (theta: Float64Array): number => {
    const pred = devDocs.map((d, i) => ({ id: d.id, text: d.text, entities: tagIdsToSpans(viterbi(theta, shape, devSeqs[i], scratch), labels) }));
    return evaluateEntities(devDocs, pred, { pairBy: 'order' }).strict.micro.f1;
  };

  let best: Float64Array | null = null;
  let bestF1 = -1;
  let bestIter = 0;
  let sinceBest = 0;
  /** returns true when training should stop (no dev improvement for `patience` evaluations) */
  const checkpoint = (iter: number, theta: Float64Array, objective: number): boolean => {
    if (devDocs.length === 0) {
      log(`featcrf: iter ${iter} objective ${objective.toFixed(1)}`);
      return false;
    }
    const f1 = devF1(theta);
    log(`featcrf: iter ${iter} objective ${objective.toFixed(1)} dev strict F1 ${f1.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    if (f1 > bestF1) {
      bestF1 = f1;
      bestIter = iter;
      best = Float64Array.from(theta);
      sinceBest = 0;
      return false;
    }
    sinceBest++;
    return sinceBest >= patience;
  };

  let theta: Float64Array;
  let iterations = 0;
  if (optimizer === 'lbfgs') {
    const objective = (x: Float64Array, g: Float64Array): number => {
      g.fill(0);
      let f = 0;
      for (const s of trainSeqs) f += sequenceNll(x, shape, s, g, scratch);
      if (l2 > 0) {
        let sq = 0;
        for (let i = 0; i < x.length; i++) {
          sq += x[i] * x[i];
          g[i] += l2 * x[i];
        }
        f += 0.5 * l2 * sq;
      }
      return f;
    };
    let lastIter = 0;
    let lastF = NaN;
    let stoppedByDev = false;
    const res = lbfgs(objective, new Float64Array(nParams), {
      maxIterations,
      relTolerance: 1e-5,
      onIteration: (iter, x, fx) => {
        lastIter = iter;
        lastF = fx;
        if (iter % evalEvery === 0) return (stoppedByDev = checkpoint(iter, x, fx));
        return false;
      },
    });
    theta = res.x;
    iterations = res.iterations;
    if (!stoppedByDev && lastIter % evalEvery !== 0 && lastIter > 0) checkpoint(lastIter, theta, lastF);
    log(`featcrf: L-BFGS stopped (${res.reason}) after ${res.iterations} iterations, ${res.evaluations} evaluations`);
  } else {
    theta = trainAdagrad(trainSeqs, shape, {
      epochs: maxIterations,
      l2,
      lr: opts.learningRate ?? 0.1,
      seed,
      onEpoch: (epoch, th, obj) => {
        iterations = epoch;
        const last = epoch === maxIterations;
        return epoch % evalEvery === 0 || last ? checkpoint(epoch, th, obj) : false;
      },
    });
  }
  if (best === null || devDocs.length === 0) {
    best = theta;
    bestIter = iterations;
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  log(`featcrf: done in ${trainSeconds.toFixed(1)} s; kept iteration ${bestIter}`);
  return new FeatureCrf({
    labels,
    dict,
    theta: best,
    gazetteer: fullGaz,
    segment,
    segmenterSpec,
    info: {
      optimizer,
      iterations,
      bestIteration: bestIter,
      bestDevF1: devDocs.length ? bestF1 : null,
      trainSeconds,
      numFeatures: dict.size,
      numParams: nParams,
      trainChars,
      gazetteerEntries: fullGaz ? fullGaz.size : 0,
    },
  });
}

/**
 * AdaGrad over documents in a seeded random order. The L2 term is split evenly over the N documents and
 * applied to the parameters each document touches (lazy regularisation).
 */
function trainAdagrad(
  seqs: CrfSequence[],
  shape: CrfShape,
  o: { epochs: number; l2: number; lr: number; seed: number; onEpoch: (epoch: number, theta: Float64Array, objective: number) => boolean },
): Float64Array {
  const K = shape.numLabels;
  const n = paramCount(shape);
  const off = paramOffsets(shape);
  const theta = new Float64Array(n); // [P]
  const grad = new Float64Array(n); // [P]
  const hist = new Float64Array(n); // [P] running sum of squared gradients
  const seen = new Uint8Array(shape.numFeatures); // [F]
  const scratch = new CrfScratch();
  const rand = mulberry32(o.seed);
  const lam = o.l2 / Math.max(1, seqs.length);
  const update = (i: number) => {
    const g = grad[i] + lam * theta[i];
    hist[i] += g * g;
    theta[i] -= (o.lr * g) / (Math.sqrt(hist[i]) + 1e-8);
    grad[i] = 0;
  };
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    let objective = 0;
    for (const d of shuffled(seqs.length, rand)) {
      const s = seqs[d];
      objective += sequenceNll(theta, shape, s, grad, scratch);
      const touched: number[] = [];
      for (let i = 0; i < s.featIds.length; i++) {
        const f = s.featIds[i];
        if (!seen[f]) {
          seen[f] = 1;
          touched.push(f);
        }
      }
      for (const f of touched) {
        seen[f] = 0;
        for (let y = 0; y < K; y++) update(f * K + y);
      }
      for (let i = off.trans; i < n; i++) update(i);
    }
    if (o.onEpoch(epoch, theta, objective)) break;
  }
  return theta;
}
