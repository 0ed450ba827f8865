/**
 * The scheduled retraining job (`cner retrain --config FILE`). Node only: it reads corpora from disk or a
 * bucket, trains with src/train/run.ts and scores with src/train/evaluate.ts. Not re-exported by
 * ./index.js or ./node.js (the Worker and the server never need the training stack).
 *
 *   read every source (folders, files, s3:// / r2:// prefixes; any corpus format) → merge (a later source
 *   wins on a duplicate id) → fingerprint (SHA-256 of the sorted documents + the training settings)
 *   → take the store lock → nothing to do when the current model carries the same fingerprint
 *   → split by record (seed 2017, the split runTraining uses) → train into a fresh work folder
 *   → evaluate the candidate AND the current model (fetched, hash-verified) on the same test split
 *   → decidePublish (margin, per-type floors) → gatedPublish only when it passes → release the lock (always)
 *   → a JSON + markdown report in reportDir.
 *
 * The manifest is written only by gatedPublish at the very end, so a crash or error anywhere leaves the
 * published model as it was. Reports and log lines hold counts, ids, scores and hashes — never document text.
 *
 * Exit codes: 0 published or nothing to do, 1 error, 3 refused by the gate, 4 the lock is held by another run.
 */
import { startModuleWorker } from '../io/worker-thread.js';
import { createHash } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CORPUS_FORMATS,
  DEFAULT_RATIOS,
  DEFAULT_SEED,
  compareIds,
  formatIssue,
  isCorpusFormat,
  looksLikeCcksIds,
  recordIdOf,
  splitByRecord,
  type CorpusFormat,
  type CorpusIssue,
  type Doc,
  type Split,
} from '../corpus/index.js';
import type { EntityEvalReport, Prf } from '../eval/index.js';
import { readCorpus, writeCorpus } from '../io/corpus-io.js';
import { EMBEDDING_KINDS, type TrainConfig, identityOf, resolveConfig } from '../train/config.js';
import { evaluateModel } from '../train/evaluate.js';
import type { RunOptions, RunSummary } from '../train/run.js';
import type { SegdictVariant } from '../train/segdict.js';
import { processExists } from './file.js';
import { decidePublish, type GateDecision, type ModelMetrics } from './gate.js';
import { gatedPublish } from './gated.js';
import { sha256Hex } from './hash.js';
import { acquireLock, LockHeldError, type Lock } from './lock.js';
import { currentModel, readManifest, type ManifestEntry } from './manifest.js';
import type { ObjectStore } from './object-store.js';
import { openStore, parseStoreUrl, type Env } from './open.js';
import type { TrainWorkerMessage } from './retrain-worker.js';

// ------------------------------------------------------------------------------------------- exit codes

export const RETRAIN_EXIT = {
  /** a new model was published */
  published: 0,
  /** the current model was trained on the same data and settings */
  unchanged: 0,
  error: 1,
  /** the gate refused the candidate; the store is unchanged */
  refused: 3,
  /** another run holds the store's lock */
  lockHeld: 4,
} as const;

export type RetrainStatus = 'published' | 'unchanged' | 'refused' | 'lock-held' | 'error';

const EXIT_OF: Record<RetrainStatus, number> = {
  published: RETRAIN_EXIT.published,
  unchanged: RETRAIN_EXIT.unchanged,
  refused: RETRAIN_EXIT.refused,
  'lock-held': RETRAIN_EXIT.lockHeld,
  error: RETRAIN_EXIT.error,
};

// ------------------------------------------------------------------------------------------- config

/** One annotated-data source: a folder or file (absolute path), or an `s3://` / `r2://` bucket prefix. */
export interface RetrainSource {
  location: string;
  /** corpus format of this source (default: the config's `format`, else detected) */
  format?: CorpusFormat;
}

/** A validated retraining config; paths are absolute. */
export interface RetrainConfig {
  data: RetrainSource[];
  format?: CorpusFormat;
  /** where models are published: file://DIR, s3://BUCKET[/PREFIX], r2://BUCKET[/PREFIX] */
  store: string;
  /** the resolved training config (src/train/config.ts defaults overlaid with the `train` field) */
  train: TrainConfig;
  /** unlabeled text (one text a line) for the segmenter dictionary */
  unlabeled?: string;
  segmenter?: SegdictVariant;
  /** how far the candidate's strict micro-F1 may fall below the current model's and still publish */
  margin: number;
  /** minimum strict F1 per entity type, e.g. { BODY: 0.9 } */
  perTypeFloors: Record<string, number>;
  /** each run trains into a fresh folder under it */
  workDir: string;
  reportDir: string;
  /** the lock's time to live; it is renewed every TTL/4 while the run lives, so this bounds how long a killed run blocks the next */
  lockTtlMinutes: number;
  /** wall-clock budget of the training (minutes); training then stops with the best model so far. Default: none */
  maxMinutes?: number;
  /** which file runTraining writes is evaluated and published: int8 (model.q8.cner, default) or f32 */
  model: 'int8' | 'f32';
  /** score with the tagger's consistency check on (default true, as the tagger runs by default) */
  consistency: boolean;
  /** operator note kept in the manifest entry beside the fingerprint (never patient text) */
  note?: string;
  /** manifest entry name (default: the model header's name) */
  name?: string;
  /** the folder relative paths were resolved against (the config file's folder) */
  baseDir: string;
}

/** A config field is missing or invalid; `field` names it (e.g. `data[1]`, `train`, `perTypeFloors.BODY`). */
export class RetrainConfigError extends Error {
  readonly field: string;
  constructor(field: string, detail: string, file?: string) {
    super(`retrain config${file ? ` ${file}` : ''}: ${field}: ${detail}`);
    this.name = 'RetrainConfigError';
    this.field = field;
  }
}

const CONFIG_FIELDS = [
  'data', 'format', 'store', 'train', 'unlabeled', 'segmenter', 'margin', 'perTypeFloors', 'workDir', 'reportDir',
  'lockTtlMinutes', 'maxMinutes', 'model', 'consistency', 'note', 'name',
] as const;
const SEGMENTERS: readonly SegdictVariant[] = ['none', 'jieba', 'jieba+entities'];

/**
 * Validates a parsed config object. Relative paths (data, unlabeled, workDir, reportDir, train.embeddings,
 * file:// stores) resolve against `baseDir` (default: the working directory).
 */
export function parseRetrainConfig(raw: unknown, options: { baseDir?: string; file?: string } = {}): RetrainConfig {
  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  const bad = (field: string, detail: string): never => {
    throw new RetrainConfigError(field, detail, options.file);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) bad('(top level)', `expected a JSON object, got ${kind(raw)}`);
  const c = raw as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(k)) bad(k, `unknown field (known: ${CONFIG_FIELDS.join(', ')})`);
  }
  const str = (field: string, v: unknown): string => {
    if (typeof v !== 'string' || v === '') bad(field, `expected a non-empty string, got ${kind(v)}`);
    return v as string;
  };
  const fmt = (field: string, v: unknown): CorpusFormat | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !isCorpusFormat(v)) bad(field, `expected one of ${CORPUS_FORMATS.join(', ')}, got ${JSON.stringify(v)}`);
    return v as CorpusFormat;
  };
  const num = (field: string, v: unknown, min: number, max: number, fallback: number, exclusiveMin = false): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v > max || (exclusiveMin ? v <= min : v < min)) {
      bad(field, `expected a number in ${exclusiveMin ? '(' : '['}${min}, ${max}], got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const abs = (p: string) => path.resolve(baseDir, p);

  // data
  if (!Array.isArray(c.data) || c.data.length === 0) bad('data', `expected a non-empty array of folders, files or s3:// / r2:// prefixes, got ${kind(c.data)}`);
  const data: RetrainSource[] = (c.data as unknown[]).map((d, i) => {
    const field = `data[${i}]`;
    let location: string;
    let format: CorpusFormat | undefined;
    if (typeof d === 'string') location = str(field, d);
    else if (d !== null && typeof d === 'object' && !Array.isArray(d)) {
      const o = d as Record<string, unknown>;
      for (const k of Object.keys(o)) if (k !== 'path' && k !== 'format') bad(`${field}.${k}`, 'unknown field (known: path, format)');
      location = str(`${field}.path`, o.path);
      format = fmt(`${field}.format`, o.format);
    } else return bad(field, `expected a path, a URL or { path, format }, got ${kind(d)}`);
    if (/^(s3|r2):\/\//i.test(location)) {
      try {
        parseStoreUrl(location, baseDir);
      } catch (e) {
        bad(field, (e as Error).message);
      }
    } else if (/^file:\/\//i.test(location)) {
      location = parseStoreUrl(location, baseDir).location;
    } else if (/^[a-z0-9]+:\/\//i.test(location)) {
      bad(field, `expected a path, file://, s3:// or r2:// location, got scheme ${JSON.stringify(location.split(':')[0])}`);
    } else {
      location = abs(location);
    }
    return format ? { location, format } : { location };
  });

  const format = fmt('format', c.format);
  const store = str('store', c.store);
  try {
    parseStoreUrl(store, baseDir);
  } catch (e) {
    bad('store', (e as Error).message);
  }

  // train
  if (c.train !== undefined && (c.train === null || typeof c.train !== 'object' || Array.isArray(c.train))) {
    bad('train', `expected an object of training settings, got ${kind(c.train)}`);
  }
  let train: TrainConfig;
  try {
    train = resolveConfig((c.train ?? {}) as Parameters<typeof resolveConfig>[0]);
  } catch (e) {
    return bad('train', (e as Error).message.replace(/^config: /, ''));
  }
  for (const k of EMBEDDING_KINDS) {
    const p = train.embeddings[k];
    if (p) train.embeddings[k] = abs(p);
  }
  train.extraTrain = train.extraTrain.map(abs);

  const unlabeled = c.unlabeled === undefined ? undefined : abs(str('unlabeled', c.unlabeled));
  let segmenter: SegdictVariant | undefined;
  if (c.segmenter !== undefined) {
    if (!SEGMENTERS.includes(c.segmenter as SegdictVariant)) bad('segmenter', `expected one of ${SEGMENTERS.join(', ')}, got ${JSON.stringify(c.segmenter)}`);
    segmenter = c.segmenter as SegdictVariant;
  }
  const margin = num('margin', c.margin, 0, 1, 0);
  const perTypeFloors: Record<string, number> = {};
  if (c.perTypeFloors !== undefined) {
    if (c.perTypeFloors === null || typeof c.perTypeFloors !== 'object' || Array.isArray(c.perTypeFloors)) {
      bad('perTypeFloors', `expected an object of TYPE → F1 floor, got ${kind(c.perTypeFloors)}`);
    }
    for (const [t, f] of Object.entries(c.perTypeFloors as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9_\-\u4e00-\u9fff]{1,40}$/.test(t)) bad(`perTypeFloors.${t}`, 'expected an entity type name');
      perTypeFloors[t] = num(`perTypeFloors.${t}`, f, 0, 1, 0);
    }
  }
  const workDir = abs(c.workDir === undefined ? 'runs/retrain' : str('workDir', c.workDir));
  const reportDir = c.reportDir === undefined ? path.join(workDir, 'reports') : abs(str('reportDir', c.reportDir));
  const lockTtlMinutes = num('lockTtlMinutes', c.lockTtlMinutes, 0, 7 * 24 * 60, 360, true);
  const maxMinutes = c.maxMinutes === undefined ? undefined : num('maxMinutes', c.maxMinutes, 0, 7 * 24 * 60, 0, true);
  let model: 'int8' | 'f32' = 'int8';
  if (c.model !== undefined) {
    if (c.model !== 'int8' && c.model !== 'f32') bad('model', `expected "int8" or "f32", got ${JSON.stringify(c.model)}`);
    model = c.model as 'int8' | 'f32';
  }
  let consistency = true;
  if (c.consistency !== undefined) {
    if (typeof c.consistency !== 'boolean') bad('consistency', `expected true or false, got ${kind(c.consistency)}`);
    consistency = c.consistency as boolean;
  }
  let note: string | undefined;
  if (c.note !== undefined) {
    note = str('note', c.note);
    if (note.length > 600) bad('note', `expected at most 600 characters, got ${note.length}`);
  }
  let name: string | undefined;
  if (c.name !== undefined) {
    name = str('name', c.name);
    if (name.length > 200) bad('name', `expected at most 200 characters, got ${name.length}`);
  }
  return {
    data, format, store, train, unlabeled, segmenter, margin, perTypeFloors, workDir, reportDir,
    lockTtlMinutes, maxMinutes, model, consistency, note, name, baseDir,
  };
}

/** Reads and validates a config file; relative paths resolve against the file's folder. */
export async function loadRetrainConfig(file: string): Promise<RetrainConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new RetrainConfigError('(file)', `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RetrainConfigError('(file)', `not valid JSON (${(e as Error).message})`, file);
  }
  return parseRetrainConfig(raw, { baseDir: path.dirname(path.resolve(file)), file });
}

// ------------------------------------------------------------------------------------------- sources

export interface SourceReport {
  /** the path or URL as configured (resolved) */
  source: string;
  format: CorpusFormat;
  /** files read (objects downloaded, for a bucket prefix) */
  files: number;
  docs: number;
  entities: number;
  /** corpus issues (bad spans or records skipped) */
  issues: number;
  /** documents of this source that replaced one of an earlier source (same id) */
  replacing: number;
}

export interface LoadedData {
  /** merged documents, sorted by id (compareIds) */
  docs: Doc[];
  sources: SourceReport[];
  /** ids found in more than one source: `from` = the source index replaced, `to` = the one kept */
  duplicates: Array<{ id: string; from: number; to: number }>;
  /** issues of every source (file, line, doc id, message — no text) */
  issues: CorpusIssue[];
}

export interface LoadSourcesOptions {
  /** default format for sources without their own */
  format?: CorpusFormat;
  /** environment for s3:// / r2:// sources (default process.env) */
  env?: Env;
  /** scratch folder for downloaded prefixes (required when a source is a bucket prefix) */
  scratchDir?: string;
  log?: (line: string) => void;
}

/** Reads every source and merges them: on a duplicate document id the later source wins (reported). */
export async function loadSources(sources: readonly RetrainSource[], options: LoadSourcesOptions = {}): Promise<LoadedData> {
  if (!Array.isArray(sources) || sources.length === 0) throw new TypeError(`loadSources: expected a non-empty array of sources, got ${kind(sources)}`);
  const log = options.log ?? (() => {});
  const byId = new Map<string, { doc: Doc; source: number }>();
  const reports: SourceReport[] = [];
  const duplicates: LoadedData['duplicates'] = [];
  const issues: CorpusIssue[] = [];
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i];
    let local = src.location;
    let downloaded: number | undefined;
    if (/^(s3|r2):\/\//i.test(src.location)) {
      if (!options.scratchDir) throw new Error(`source ${i} is a bucket prefix: loadSources needs options.scratchDir`);
      local = path.join(options.scratchDir, `source-${i}`);
      downloaded = await downloadPrefix(src.location, local, options.env ?? process.env);
      log(`source ${i}: ${downloaded} object(s) downloaded from ${src.location}`);
    }
    let read;
    try {
      read = await readCorpus(local, { format: src.format ?? options.format, strict: false });
    } catch (e) {
      throw new Error(`source ${i} (${src.location}): ${(e as Error).message}`);
    }
    const report: SourceReport = {
      source: src.location,
      format: read.format,
      files: downloaded ?? read.files,
      docs: read.docs.length,
      entities: read.docs.reduce((s, d) => s + d.entities.length, 0),
      issues: read.issues.length,
      replacing: 0,
    };
    issues.push(...read.issues.map((x) => ({ ...x, file: `source ${i}: ${x.file}` })));
    for (const doc of read.docs) {
      const prev = byId.get(doc.id);
      if (prev) {
        duplicates.push({ id: doc.id, from: prev.source, to: i });
        report.replacing++;
      }
      byId.set(doc.id, { doc, source: i });
    }
    reports.push(report);
    log(`source ${i}: ${report.format}, ${report.docs} docs, ${report.entities} entities, ${report.issues} issue(s), ${report.replacing} replacing earlier ids`);
  }
  const docs = [...byId.values()].map((x) => x.doc).sort((a, b) => compareIds(a.id, b.id));
  return { docs, sources: reports, duplicates, issues };
}

/** Downloads every object under an s3:// / r2:// prefix into `dir` (keys become relative paths). */
export async function downloadPrefix(url: string, dir: string, env: Env = process.env): Promise<number> {
  const store = openStore(url, env);
  const listed = await store.list('');
  let n = 0;
  for (const obj of listed) {
    // folder markers and hidden objects are not data
    if (obj.key.endsWith('/') || obj.key.split('/').some((s) => s.startsWith('.'))) continue;
    const bytes = await store.get(obj.key);
    if (!bytes) throw new Error(`${url}: object ${obj.key} vanished during the download`);
    const target = path.join(dir, ...obj.key.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
    n++;
  }
  if (n === 0) throw new Error(`${url}: no objects under this prefix`);
  return n;
}

// ------------------------------------------------------------------------------------------- fingerprint

/** What besides the documents determines the trained model. */
export interface FingerprintSettings {
  train: TrainConfig;
  model: 'int8' | 'f32';
  segmenter?: SegdictVariant;
  unlabeled?: string;
}

const FINGERPRINT_VERSION = 'cner-retrain-fingerprint-1';

/**
 * SHA-256 (hex) of the documents (sorted by id; entities sorted by start, end, type) and the training
 * settings. Files the settings name (unlabeled text, pre-trained vectors, extra training corpora) count by their
 * content, not path.
 * `checkpointMinutes` does not change the model and is left out.
 */
export async function dataFingerprint(docs: readonly Doc[], settings: FingerprintSettings): Promise<string> {
  if (!Array.isArray(docs)) throw new TypeError(`dataFingerprint: expected an array of documents, got ${kind(docs)}`);
  const h = createHash('sha256');
  h.update(`${FINGERPRINT_VERSION}\n`);
  hashDocs(h, docs);
  // config fields added later count only when set (identityOf), so an upgrade alone does not retrain
  const { checkpointMinutes: _ignored, embeddings, extraTrain, ...rest } = identityOf(settings.train) as unknown as TrainConfig;
  const files: Record<string, string | null> = {
    char: embeddings.char ? await fileSha256(embeddings.char) : null,
    word: embeddings.word ? await fileSha256(embeddings.word) : null,
    unlabeled: settings.unlabeled ? await fileSha256(settings.unlabeled) : null,
  };
  if (embeddings.bigram) files.bigram = await fileSha256(embeddings.bigram);
  // extra training corpora count by their documents (a corpus may be a folder)
  if (extraTrain?.length) {
    files.extraTrain = (await Promise.all(extraTrain.map(async (p) => {
      const e = createHash('sha256');
      hashDocs(e, (await readCorpus(p, { strict: false })).docs);
      return e.digest('hex');
    }))).join(',');
  }
  const split = { seed: DEFAULT_SEED, ratios: DEFAULT_RATIOS };
  h.update(JSON.stringify({ train: sortKeys(rest), files, model: settings.model, segmenter: settings.segmenter ?? null, split }));
  return h.digest('hex');
}

/** Documents into a hash: sorted by id, entities sorted by start, end, type. */
function hashDocs(h: ReturnType<typeof createHash>, docs: readonly Doc[]): void {
  const sorted = [...docs].sort((a, b) => compareIds(a.id, b.id));
  h.update(`docs ${sorted.length}\n`);
  for (const d of sorted) {
    const ents = [...d.entities]
      .sort((a, b) => a.start - b.start || a.end - b.end || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
      .map((e) => [e.start, e.end, e.type]);
    h.update(JSON.stringify([d.id, d.text, ents]) + '\n');
  }
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const NOTE_TAG = 'cner-retrain fingerprint=';

/** The manifest note of a retrained model: the operator note (if any) and the fingerprint. */
export function fingerprintNote(fingerprint: string, docs: number, note?: string): string {
  return `${note ? `${note}; ` : ''}${NOTE_TAG}${fingerprint} docs=${docs}`;
}

/** The data fingerprint a manifest entry was published with by this job, or null. */
export function fingerprintOfEntry(entry: ManifestEntry | null | undefined): string | null {
  const m = entry?.note ? new RegExp(`${NOTE_TAG}([0-9a-f]{64})`).exec(entry.note) : null;
  return m ? m[1] : null;
}

// ------------------------------------------------------------------------------------------- split + metrics

/** The train/dev/test split runTraining makes of the same documents (seed 2017, records for CCKS ids). */
export function retrainSplit(docs: readonly Doc[]): Split {
  return splitByRecord(docs, looksLikeCcksIds(docs) ? { recordKey: recordIdOf } : {});
}

/** SHA-256 (hex) of the test documents: the `split` the gate compares. */
export async function testSplitId(test: readonly Doc[]): Promise<string> {
  const h = createHash('sha256');
  for (const d of [...test].sort((a, b) => compareIds(a.id, b.id))) h.update(JSON.stringify([d.id, d.text, d.entities]) + '\n');
  return h.digest('hex');
}

export interface ScoreSummary {
  precision: number;
  recall: number;
  f1: number;
  /** gold entities */
  gold: number;
  /** predicted entities */
  pred: number;
}

export interface ModelScores {
  strict: { micro: ScoreSummary; perType: Record<string, ScoreSummary> };
  relaxed: { micro: ScoreSummary; perType: Record<string, ScoreSummary> };
}

export function summarizeEvaluation(report: EntityEvalReport): ModelScores {
  const one = (p: Prf): ScoreSummary => ({ precision: p.precision, recall: p.recall, f1: p.f1, gold: p.gold, pred: p.pred });
  const set = (s: EntityEvalReport['strict']) => ({
    micro: one(s.micro),
    perType: Object.fromEntries(Object.entries(s.perType).map(([t, p]) => [t, one(p)])),
  });
  return { strict: set(report.strict), relaxed: set(report.relaxed) };
}

/** The gate's view of a model's scores: strict micro P/R/F1 and per-type strict F1, tied to the test split. */
export function toModelMetrics(scores: ModelScores, split: string): ModelMetrics {
  const s = scores.strict;
  return {
    split,
    microF1: s.micro.f1,
    microPrecision: s.micro.precision,
    microRecall: s.micro.recall,
    perType: Object.fromEntries(
      Object.entries(s.perType).map(([t, p]) => [t, { f1: p.f1, precision: p.precision, recall: p.recall, support: p.gold }]),
    ),
  };
}

// ------------------------------------------------------------------------------------------- the run

export interface RetrainReport {
  schema: 1;
  job: 'cner retrain';
  runId: string;
  status: RetrainStatus;
  exitCode: number;
  /** one line saying what happened */
  message: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  store: string;
  data: null | {
    fingerprint: string;
    docs: number;
    entities: number;
    types: Record<string, number>;
    sources: SourceReport[];
    duplicates: { count: number; ids: string[] };
    issues: { count: number; first: string[] };
  };
  split: null | {
    seed: number;
    ratios: [number, number, number];
    recordKey: string;
    id: string;
    train: { records: number; docs: number; entities: number };
    dev: { records: number; docs: number; entities: number };
    test: { records: number; docs: number; entities: number };
  };
  training: null | {
    workDir: string;
    config: TrainConfig;
    seconds: number;
    params: number;
    bestEpoch: number;
    devF1: number;
    stoppedBy: string;
    model: 'int8' | 'f32';
    file: string;
    sha256: string;
    bytes: number;
  };
  evaluation: null | {
    docs: number;
    consistency: boolean;
    candidate: ModelScores;
    current: null | (ModelScores & { sha256: string; version: number; name: string });
  };
  gate: null | { publish: boolean; reasons: string[]; margin: number; perTypeFloors: Record<string, number>; metric: string };
  published: null | { sha256: string; version: number; key: string; previous: { sha256: string; version: number } | null };
  current: null | { sha256: string; version: number; fingerprint: string | null };
  lock: { owner: string; acquired: boolean; released: boolean; holder?: { owner: string; startedAt: string; expiresAt: string } | null };
  error: null | { name: string; message: string };
}

export interface RetrainRunOptions {
  /** use this store instead of opening `config.store` (tests, fault injection) */
  store?: ObjectStore;
  /** environment for s3:// / r2:// (default process.env) */
  env?: Env;
  /** lock owner (default `<hostname>:<pid>`) */
  owner?: string;
  /** wait before reading the lock back (default: the lock's own default) */
  settleMs?: number;
  /**
   * the training function (default `trainInWorker`: runTraining in a worker thread); it should stop and reject
   * when `signal` aborts
   */
  trainer?: (options: RunOptions, signal: AbortSignal) => Promise<RunSummary>;
  /** stops the run (the CLI aborts it on SIGINT / SIGTERM): training is stopped, nothing is published, the lock is released */
  signal?: AbortSignal;
  /** progress lines (counts and scores only); default stderr */
  log?: (line: string) => void;
  /** called with the lock once taken and with null once released (the CLI releases it on SIGINT/SIGTERM) */
  onLock?: (lock: Lock | null) => void;
  /** the private folder for the run's temporary copies of the data (default: scratchRoot(env)) */
  scratchRoot?: string;
  now?: () => Date;
}

export interface RetrainOutcome {
  status: RetrainStatus;
  exitCode: number;
  message: string;
  report: RetrainReport;
  /** where the report was written (null when writing it failed; see `reportError`) */
  reportFiles: { json: string; md: string } | null;
  reportError?: string;
}

/** Runs the whole job once. Never throws for a failure of the run itself: it returns status 'error'. */
export async function runRetrain(config: RetrainConfig, options: RetrainRunOptions = {}): Promise<RetrainOutcome> {
  if (!config || typeof config !== 'object' || !Array.isArray(config.data)) {
    throw new TypeError('runRetrain: expected a config from parseRetrainConfig / loadRetrainConfig');
  }
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((s: string) => void process.stderr.write(`retrain: ${s}\n`));
  const env = options.env ?? process.env;
  const trainer = options.trainer ?? trainInWorker;
  const signal = options.signal ?? new AbortController().signal;
  const checkAbort = () => {
    if (signal.aborted) throw new RetrainInterruptedError();
  };
  const owner = options.owner ?? `${hostname()}:${process.pid}`;
  const started = now();
  const runId = `${started.toISOString().replace(/[:.]/g, '-')}`;

  const report: RetrainReport = {
    schema: 1, job: 'cner retrain', runId, status: 'error', exitCode: RETRAIN_EXIT.error, message: '',
    startedAt: started.toISOString(), finishedAt: '', seconds: 0, store: '',
    data: null, split: null, training: null, evaluation: null, gate: null, published: null, current: null,
    lock: { owner, acquired: false, released: false }, error: null,
  };
  const finish = (status: RetrainStatus, message: string) => {
    report.status = status;
    report.exitCode = EXIT_OF[status];
    report.message = message;
  };

  let scratch: Scratch | undefined;
  let lock: Lock | null = null;
  let renewTimer: ReturnType<typeof setInterval> | undefined;
  // renewals run one after another (two at once would race on the lock's etag) and finish before the release
  let renewals: Promise<void> = Promise.resolve();
  const renewLock = (held: Lock): Promise<void> => (renewals = renewals.catch(() => {}).then(() => held.renew()));
  try {
    const store = options.store ?? openStore(config.store, env, config.baseDir);
    report.store = store.description;
    scratch = await openScratch(options.scratchRoot ?? scratchRoot(env));
    if (scratch.removed > 0) log(`removed ${scratch.removed} scratch folder(s) left by killed runs in ${scratch.root}`);

    // 1. data and fingerprint
    const data = await loadSources(config.data, { format: config.format, env, scratchDir: scratch.dir, log });
    if (data.docs.length === 0) throw new Error('no annotated documents in the sources');
    const fingerprint = await dataFingerprint(data.docs, { train: config.train, model: config.model, segmenter: config.segmenter, unlabeled: config.unlabeled });
    const types: Record<string, number> = {};
    for (const d of data.docs) for (const e of d.entities) types[e.type] = (types[e.type] ?? 0) + 1;
    report.data = {
      fingerprint,
      docs: data.docs.length,
      entities: data.docs.reduce((s, d) => s + d.entities.length, 0),
      types: sortKeys(types),
      sources: data.sources,
      duplicates: { count: data.duplicates.length, ids: data.duplicates.slice(0, 50).map((d) => d.id) },
      issues: { count: data.issues.length, first: data.issues.slice(0, 20).map(formatIssue) },
    };
    log(`data: ${data.docs.length} docs from ${data.sources.length} source(s), ${data.duplicates.length} duplicate id(s) replaced, fingerprint ${fingerprint.slice(0, 16)}`);
    checkAbort();

    // 2. the lock
    try {
      lock = await acquireLock(store, { owner, ttlMs: config.lockTtlMinutes * 60_000, settleMs: options.settleMs, now });
    } catch (e) {
      if (e instanceof LockHeldError) {
        report.lock.holder = e.holder && { owner: e.holder.owner, startedAt: e.holder.startedAt, expiresAt: e.holder.expiresAt };
        finish('lock-held', `another run holds the lock of ${store.description}: ${e.message}; nothing done`);
        return await done();
      }
      throw e;
    }
    report.lock.acquired = true;
    options.onLock?.(lock);
    checkAbort();
    const heldLock = lock;
    // the training runs in another thread, so this timer keeps the lock alive however long it takes; the
    // renewal right before publishing is the check that the lock is still ours
    renewTimer = setInterval(() => {
      renewLock(heldLock).catch((e: Error) => log(`lock renewal failed: ${e.message}`));
    }, Math.max(1000, (config.lockTtlMinutes * 60_000) / 4));
    renewTimer.unref();

    // 3. the current model, fetched and hash-verified now (a corrupted one stops the run before any training);
    //    nothing to do when it was trained on exactly this data
    const cur = await currentModel(store);
    const manifest = cur?.manifest ?? null;
    const currentFp = fingerprintOfEntry(manifest?.current);
    report.current = manifest ? { sha256: manifest.current.sha256, version: manifest.current.version, fingerprint: currentFp } : null;
    if (manifest && currentFp === fingerprint) {
      finish('unchanged', `the current model v${manifest.current.version} was trained on the same data and settings (fingerprint ${fingerprint.slice(0, 16)}): rerunning on the same data changes nothing`);
      return await done();
    }

    // 4. split (the one runTraining makes) and training in a fresh folder
    const split = retrainSplit(data.docs);
    const m = split.manifest;
    const side = (s: typeof m.train) => ({ records: s.records.length, docs: s.docs, entities: s.entities });
    const splitId = await testSplitId(split.test);
    report.split = { seed: m.seed, ratios: m.ratios, recordKey: m.recordKey, id: splitId, train: side(m.train), dev: side(m.dev), test: side(m.test) };
    if (split.train.length === 0 || split.test.length === 0) {
      throw new Error(`the split has ${split.train.length} training and ${split.test.length} test documents (${m.records} records): need more records`);
    }
    const corpusFile = path.join(scratch.dir, 'corpus.jsonl');
    await writeCorpus(corpusFile, data.docs, { format: 'jsonl' });
    const runDir = path.join(config.workDir, runId);
    await mkdir(config.workDir, { recursive: true });
    await mkdir(runDir); // fails if it exists: every run trains into a fresh folder
    log(`training: ${split.train.length} train / ${split.dev.length} dev / ${split.test.length} test docs into ${runDir}`);
    const summary = await trainer({
      data: corpusFile,
      format: 'jsonl',
      out: runDir,
      config: config.train,
      maxMinutes: config.maxMinutes,
      unlabeled: config.unlabeled,
      segmenter: config.segmenter,
      corpus: `cner retrain ${fingerprint.slice(0, 16)} (${data.docs.length} docs)`,
      log: (line) => log(`train: ${line}`),
    }, signal);
    checkAbort();
    const trainedTestDocs = (summary.data.test as { docs?: number }).docs;
    if (trainedTestDocs !== undefined && trainedTestDocs !== split.test.length) {
      throw new Error(`the training split has ${trainedTestDocs} test documents, this job computed ${split.test.length}: refusing to compare on different splits`);
    }
    const modelFile = config.model === 'int8' ? summary.models.int8 : summary.models.f32;
    const bytes = new Uint8Array(await readFile(modelFile));
    const candidateSha = await sha256Hex(bytes);
    report.training = {
      workDir: runDir, config: config.train, seconds: summary.seconds, params: summary.params,
      bestEpoch: summary.best.epoch, devF1: summary.best.devF1, stoppedBy: summary.stoppedBy,
      model: config.model, file: modelFile, sha256: candidateSha, bytes: bytes.length,
    };

    // 5. evaluate candidate and current on the same test split
    const pick = (ev: Awaited<ReturnType<typeof evaluateModel>>) => summarizeEvaluation(config.consistency ? ev.withConsistency : ev.withoutConsistency);
    const candidateScores = pick(await evaluateModel(bytes, split.test));
    const candidate = toModelMetrics(candidateScores, splitId);
    report.evaluation = { docs: split.test.length, consistency: config.consistency, candidate: candidateScores, current: null };
    log(`candidate: strict micro-F1 ${candidate.microF1.toFixed(4)} on ${split.test.length} test docs`);
    const latest = await readManifest(store);
    if ((latest?.current.sha256 ?? null) !== (cur?.entry.sha256 ?? null)) {
      throw new Error('the current model changed while this run held the lock (a manual publish or rollback?): not publishing');
    }
    let current: ModelMetrics | null = null;
    if (cur) {
      const scores = pick(await evaluateModel(cur.bytes, split.test));
      current = toModelMetrics(scores, splitId);
      report.evaluation.current = { ...scores, sha256: cur.entry.sha256, version: cur.entry.version, name: cur.entry.name };
      log(`current v${cur.entry.version}: strict micro-F1 ${current.microF1.toFixed(4)} on the same split`);
    }

    // 6. the gate, then the publish
    checkAbort();
    const decision: GateDecision = decidePublish({ candidate, current, margin: config.margin, perTypeFloors: config.perTypeFloors });
    report.gate = { ...decision, margin: config.margin, perTypeFloors: config.perTypeFloors, metric: 'strict micro-F1 (entity level, whole documents)' };
    for (const r of decision.reasons) log(`gate: ${r}`);
    if (!decision.publish) {
      finish('refused', `the gate refused the candidate (${decision.reasons.filter((r) => r.startsWith('REFUSE')).length} failed check(s)); ${store.description} unchanged`);
      return await done();
    }
    await renewLock(lock); // throws LockHeldError when another run took an expired lock meanwhile
    const g = await gatedPublish(store, bytes, {
      metrics: candidate,
      currentMetrics: current ?? undefined,
      margin: config.margin,
      perTypeFloors: config.perTypeFloors,
      note: fingerprintNote(fingerprint, data.docs.length, config.note),
      name: config.name,
      fence: () => renewLock(heldLock), // the lock must still be ours at the manifest write itself
    });
    if (!g.result) {
      report.gate.reasons = g.decision.reasons;
      report.gate.publish = false;
      finish('refused', `the gate refused the candidate at publish time; ${store.description} unchanged`);
      return await done();
    }
    const e = g.result.entry;
    report.published = {
      sha256: e.sha256, version: e.version, key: e.key,
      previous: g.result.previous ? { sha256: g.result.previous.sha256, version: g.result.previous.version } : null,
    };
    finish('published', `published v${e.version} sha256 ${e.sha256.slice(0, 16)} to ${store.description}`);
    return await done();
  } catch (e) {
    const err = e as Error;
    report.error = { name: err?.name ?? 'Error', message: String(err?.message ?? e).slice(0, 2000) };
    finish('error', `failed: ${report.error.message}; the published model is unchanged`);
    return await done();
  }

  async function done(): Promise<RetrainOutcome> {
    if (renewTimer) clearInterval(renewTimer);
    await renewals.catch(() => {});
    if (lock) {
      try {
        report.lock.released = await lock.release();
      } catch (e) {
        log(`could not release the lock: ${(e as Error).message} (it expires by itself)`);
      }
      options.onLock?.(null);
      lock = null;
    }
    await scratch?.dispose();
    const end = now();
    report.finishedAt = end.toISOString();
    report.seconds = (end.getTime() - started.getTime()) / 1000;
    log(report.message);
    const outcome: RetrainOutcome = { status: report.status, exitCode: report.exitCode, message: report.message, report, reportFiles: null };
    try {
      outcome.reportFiles = await writeRetrainReport(config.reportDir, report);
    } catch (e) {
      outcome.reportError = (e as Error).message;
      log(`could not write the report: ${outcome.reportError}`);
    }
    return outcome;
  }
}

// ------------------------------------------------------------------------------------------- scratch (PHI)

/**
 * The private folder a run keeps its temporary copies of the training data in (clinical text): CNER_SCRATCH_DIR,
 * else $XDG_CACHE_HOME/cner/retrain, else ~/.cache/cner/retrain. Per user, never the shared system temp folder.
 */
export function scratchRoot(env: Env = process.env): string {
  if (env.CNER_SCRATCH_DIR) return path.resolve(env.CNER_SCRATCH_DIR);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(homedir(), '.cache'), 'cner', 'retrain');
}

export interface Scratch {
  root: string;
  /** this run's folder: `<root>/run-<pid>-<random>`, mode 0700 */
  dir: string;
  /** how many folders of runs whose process is gone were removed on opening */
  removed: number;
  /** removes `dir` (also done on process exit, so process.exit after a second Ctrl-C leaves nothing) */
  dispose(): Promise<void>;
}

const SCRATCH_RUN = /^run-([0-9]+)-[A-Za-z0-9]+$/;

/**
 * Opens a run folder under `root`: creates the root with mode 0700 (refusing one that is a link or belongs
 * to another user, and tightening a looser mode), removes the folders of runs whose process no longer exists
 * (a SIGKILLed run), and creates this run's folder.
 */
export async function openScratch(root: string): Promise<Scratch> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const st = await lstat(root);
  if (!st.isDirectory()) throw new Error(`scratch folder ${root} is not a folder (a link?): refusing to copy training data there`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`scratch folder ${root} belongs to another user (uid ${st.uid}): refusing to copy training data there`);
  if ((st.mode & 0o077) !== 0) await chmod(root, 0o700);
  let removed = 0;
  for (const name of await readdir(root)) {
    const m = SCRATCH_RUN.exec(name);
    if (!m || Number(m[1]) === process.pid || processExists(Number(m[1]))) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    removed++;
  }
  const dir = await mkdtemp(path.join(root, `run-${process.pid}-`)); // mode 0700
  const onExit = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', onExit);
  return {
    root,
    dir,
    removed,
    async dispose() {
      process.removeListener('exit', onExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The run was stopped through its AbortSignal (SIGINT / SIGTERM in the CLI). */
export class RetrainInterruptedError extends Error {
  constructor() {
    super('interrupted (signal): stopped before publishing');
    this.name = 'RetrainInterruptedError';
  }
}

/**
 * runTraining in a worker thread (./retrain-worker.ts): the calling thread stays free to renew the lock and to
 * handle signals while a long training runs. Aborting `signal` terminates the thread and rejects with
 * RetrainInterruptedError; a crash of the thread rejects with its error.
 */
export function trainInWorker(options: RunOptions, signal?: AbortSignal): Promise<RunSummary> {
  const { log, ...data } = options;
  if (signal?.aborted) return Promise.reject(new RetrainInterruptedError());
  const worker = startTrainWorker(data);
  return new Promise<RunSummary>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      settle(() => reject(new RetrainInterruptedError()));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: TrainWorkerMessage) => {
      if (m.type === 'log') log?.(m.line);
      else if (m.type === 'done') settle(() => resolve(m.summary as RunSummary));
      else {
        const e = new Error(m.message);
        e.name = m.name;
        settle(() => reject(e));
      }
    });
    worker.on('error', (e) => settle(() => reject(e instanceof Error ? e : new Error(String(e)))));
    worker.on('exit', (code) => settle(() => reject(new Error(`the training thread exited (code ${code}) without a result`))));
  }).finally(() => void worker.terminate());
}

function startTrainWorker(data: Omit<RunOptions, 'log'>): Worker {
  return startModuleWorker(import.meta.url, './retrain-worker', data);
}

// ------------------------------------------------------------------------------------------- report files

/** Writes `<reportDir>/<runId>.json` and `.md` (a suffix `-2`, `-3`… when a run of the same millisecond exists). */
export async function writeRetrainReport(reportDir: string, report: RetrainReport): Promise<{ json: string; md: string }> {
  await mkdir(reportDir, { recursive: true });
  for (let n = 1; ; n++) {
    const base = path.join(reportDir, n === 1 ? report.runId : `${report.runId}-${n}`);
    try {
      await writeFile(`${base}.json`, JSON.stringify(report, null, 2) + '\n', { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
      throw e;
    }
    await writeFile(`${base}.md`, formatRetrainMarkdown(report));
    return { json: `${base}.json`, md: `${base}.md` };
  }
}

/** A short markdown summary of a report (scores, counts, hashes; no document text). */
export function formatRetrainMarkdown(r: RetrainReport): string {
  const f = (x: number) => x.toFixed(4);
  const lines: string[] = [`# cner retrain ${r.runId}: ${r.status}`, '', r.message, ''];
  lines.push(`- exit code ${r.exitCode}; ${r.seconds.toFixed(1)} s; store ${r.store || '(not opened)'}`);
  if (r.data) {
    lines.push(
      `- data: ${r.data.docs} docs, ${r.data.entities} entities from ${r.data.sources.length} source(s); ` +
        `${r.data.duplicates.count} duplicate id(s) replaced by a later source; ${r.data.issues.count} corpus issue(s) skipped`,
      `- fingerprint \`${r.data.fingerprint}\``,
    );
  }
  if (r.current) lines.push(`- current model before the run: v${r.current.version} \`${r.current.sha256.slice(0, 16)}\``);
  if (r.split) {
    lines.push(
      `- split (seed ${r.split.seed}, ${r.split.ratios.join('/')}, by ${r.split.recordKey}): train ${r.split.train.docs} / dev ${r.split.dev.docs} / ` +
        `test ${r.split.test.docs} docs; test split \`${r.split.id.slice(0, 16)}\``,
    );
  }
  if (r.training) {
    lines.push(`- training: ${r.training.seconds.toFixed(1)} s, best epoch ${r.training.bestEpoch} (dev F1 ${f(r.training.devF1)}), stopped by ${r.training.stoppedBy}; ${r.training.model} model ${r.training.bytes} bytes \`${r.training.sha256.slice(0, 16)}\``);
  }
  if (r.published) lines.push(`- **published v${r.published.version}** \`${r.published.sha256}\``);
  else lines.push('- published: nothing');
  if (r.lock.acquired === false && r.status === 'lock-held') lines.push(`- lock held by ${r.lock.holder?.owner ?? 'another run'} until ${r.lock.holder?.expiresAt ?? '?'}`);
  if (r.error) lines.push(`- error (${r.error.name}): ${r.error.message}`);
  const ev = r.evaluation;
  if (ev) {
    lines.push('', `## Scores on the test split (${ev.docs} docs, consistency ${ev.consistency ? 'on' : 'off'})`, '');
    lines.push('| model | strict P | strict R | strict F1 | relaxed F1 |', '|---|---:|---:|---:|---:|');
    const row = (label: string, s: ModelScores) =>
      lines.push(`| ${label} | ${f(s.strict.micro.precision)} | ${f(s.strict.micro.recall)} | ${f(s.strict.micro.f1)} | ${f(s.relaxed.micro.f1)} |`);
    row('candidate', ev.candidate);
    if (ev.current) row(`current v${ev.current.version}`, ev.current);
    const types = [...new Set([...Object.keys(ev.candidate.strict.perType), ...Object.keys(ev.current?.strict.perType ?? {})])].sort();
    if (types.length) {
      lines.push('', '| type | gold | candidate strict F1 | current strict F1 | candidate relaxed F1 | current relaxed F1 |', '|---|---:|---:|---:|---:|---:|');
      const g = (s: ModelScores | null | undefined, k: 'strict' | 'relaxed', t: string) => (s?.[k].perType[t] ? f(s[k].perType[t].f1) : '–');
      for (const t of types) {
        const gold = ev.candidate.strict.perType[t]?.gold ?? ev.current?.strict.perType[t]?.gold ?? 0;
        lines.push(`| ${t} | ${gold} | ${g(ev.candidate, 'strict', t)} | ${g(ev.current, 'strict', t)} | ${g(ev.candidate, 'relaxed', t)} | ${g(ev.current, 'relaxed', t)} |`);
      }
    }
  }
  if (r.gate) {
    lines.push('', `## Gate: ${r.gate.publish ? 'publish' : 'refuse'} (margin ${r.gate.margin})`, '');
    for (const reason of r.gate.reasons) lines.push(`- ${reason}`);
  }
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------------------------------- helpers

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  if (typeof v === 'string') return v === '' ? 'an empty string' : 'a string';
  return typeof v;
}

function sortKeys<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    const v = (o as Record<string, unknown>)[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? sortKeys(v as object) : v;
  }
  return out as T;
}
