/**
 * The scheduled retraining job (`cner retrain --config FILE`): runRetrain, one run from the sources to the report.
 * Node only: it reads corpora from disk or a bucket, trains with src/train/run.ts (in a worker thread) and scores
 * with src/train/evaluate.ts. This floor sits above src/store/ (which never imports the training stack, so the
 * Worker and the server never load it).
 *
 *   read every source (folders, files, s3:// / r2:// prefixes; any corpus format) → merge (a later source
 *   wins on a duplicate id) → fingerprint (SHA-256 of the sorted documents + the training settings)
 *   → take the store lock → nothing to do when the current model carries the same fingerprint
 *   → split by record (seed 2017, the split runTraining uses) → train into a fresh work folder
 *   → evaluate the candidate AND the current model (fetched, hash-verified) on the same test split
 *   → decidePublish (margin, per-type floors) → gatedPublish only when it passes → release the lock (always)
 *   → a JSON + markdown report in reportDir.
 *
 * runRetrain runs these as named stages of a RetrainJob (open → data → lock → current → train → evaluate → gate →
 * publish), each of which may end the run with a status; the report stage (finish) always runs.
 *
 * The manifest is written only by gatedPublish at the very end, so a crash or error anywhere leaves the
 * published model as it was. Reports and log lines hold counts, ids, scores and hashes — never document text.
 *
 * Exit codes: 0 published or nothing to do, 1 error, 3 refused by the gate, 4 the lock is held by another run.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { formatIssue } from '../corpus/index.js';
import { writeCorpus } from '../io/corpus-io.js';
import { decidePublish, type GateDecision, type ModelMetrics } from '../store/gate.js';
import { gatedPublish } from '../store/gated.js';
import { sha256Hex } from '../store/hash.js';
import { acquireLock, LockHeldError, type Lock } from '../store/lock.js';
import { currentModel, readManifest } from '../store/manifest.js';
import type { ObjectStore } from '../store/object-store.js';
import { openStore, type Env } from '../store/open.js';
import { evaluateModel } from '../train/evaluate.js';
import type { RunOptions, RunSummary } from '../train/run.js';
import type { RetrainConfig } from './config.js';
import { dataFingerprint, fingerprintNote, fingerprintOfEntry } from './fingerprint.js';
import { writeRetrainReport, type RetrainReport, type RetrainStatus } from './report.js';
import { retrainSplit, summarizeEvaluation, testSplitId, toModelMetrics } from './scores.js';
import { openScratch, scratchRoot, type Scratch } from './scratch.js';
import { loadSources } from './sources.js';
import { RetrainInterruptedError, trainInWorker } from './train-thread.js';
import { sortKeys } from './util.js';

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

const EXIT_OF: Record<RetrainStatus, number> = {
  published: RETRAIN_EXIT.published,
  unchanged: RETRAIN_EXIT.unchanged,
  refused: RETRAIN_EXIT.refused,
  'lock-held': RETRAIN_EXIT.lockHeld,
  error: RETRAIN_EXIT.error,
};

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

/** What a stage returns to end the run early (nothing: go on to the next stage). */
type Stop = { status: RetrainStatus; message: string } | void;

/** Runs the whole job once. Never throws for a failure of the run itself: it returns status 'error'. */
export async function runRetrain(config: RetrainConfig, options: RetrainRunOptions = {}): Promise<RetrainOutcome> {
  if (!config || typeof config !== 'object' || !Array.isArray(config.data)) {
    throw new TypeError('runRetrain: expected a config from parseRetrainConfig / loadRetrainConfig');
  }
  const job = new RetrainJob(config, options);
  const stages: [name: string, run: () => Promise<Stop>][] = [
    ['open', () => job.open()],
    ['data', () => job.readData()],
    ['lock', () => job.takeLock()],
    ['current', () => job.checkCurrent()],
    ['train', () => job.train()],
    ['evaluate', () => job.evaluate()],
    ['gate', () => job.gate()],
    ['publish', () => job.publish()],
  ];
  try {
    for (const [, run] of stages) {
      const stop = await run();
      if (stop) {
        job.setStatus(stop.status, stop.message);
        break;
      }
    }
  } catch (e) {
    job.fail(e);
  }
  return job.finish();
}

/** One run of the job: what the stages learn, the report they fill, and what finish() must undo. */
class RetrainJob {
  readonly report: RetrainReport;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;
  private readonly env: Env;
  private readonly signal: AbortSignal;
  private readonly started: Date;
  private readonly runId: string;
  private store!: ObjectStore;
  private scratch: Scratch | undefined;
  private lock: Lock | null = null;
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  // renewals run one after another (two at once would race on the lock's etag) and finish before the release
  private renewals: Promise<void> = Promise.resolve();
  private data!: Awaited<ReturnType<typeof loadSources>>;
  private fingerprint = '';
  private cur: Awaited<ReturnType<typeof currentModel>> = null;
  private split!: ReturnType<typeof retrainSplit>;
  private splitId = '';
  private candidateBytes!: Uint8Array;
  private candidate!: ModelMetrics;
  private current: ModelMetrics | null = null;

  constructor(
    private readonly config: RetrainConfig,
    private readonly options: RetrainRunOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? ((s: string) => void process.stderr.write(`retrain: ${s}\n`));
    this.env = options.env ?? process.env;
    this.signal = options.signal ?? new AbortController().signal;
    this.started = this.now();
    this.runId = `${this.started.toISOString().replace(/[:.]/g, '-')}`;
    const owner = options.owner ?? `${hostname()}:${process.pid}`;
    this.report = {
      schema: 1, job: 'cner retrain', runId: this.runId, status: 'error', exitCode: RETRAIN_EXIT.error, message: '',
      startedAt: this.started.toISOString(), finishedAt: '', seconds: 0, store: '',
      data: null, split: null, training: null, evaluation: null, gate: null, published: null, current: null,
      lock: { owner, acquired: false, released: false }, error: null,
    };
  }

  setStatus(status: RetrainStatus, message: string): void {
    this.report.status = status;
    this.report.exitCode = EXIT_OF[status];
    this.report.message = message;
  }

  fail(e: unknown): void {
    const err = e as Error;
    this.report.error = { name: err?.name ?? 'Error', message: String(err?.message ?? e).slice(0, 2000) };
    this.setStatus('error', `failed: ${this.report.error.message}; the published model is unchanged`);
  }

  private checkAbort(): void {
    if (this.signal.aborted) throw new RetrainInterruptedError();
  }

  private renewLock(held: Lock): Promise<void> {
    return (this.renewals = this.renewals.catch(() => {}).then(() => held.renew()));
  }

  /** The store and a private scratch folder (removing those of killed runs). */
  async open(): Promise<Stop> {
    this.store = this.options.store ?? openStore(this.config.store, this.env, this.config.baseDir);
    this.report.store = this.store.description;
    const scratch = (this.scratch = await openScratch(this.options.scratchRoot ?? scratchRoot(this.env)));
    if (scratch.removed > 0) this.log(`removed ${scratch.removed} scratch folder(s) left by killed runs in ${scratch.root}`);
  }

  /** 1. data and fingerprint */
  async readData(): Promise<Stop> {
    const { config, env, log } = this;
    const data = (this.data = await loadSources(config.data, { format: config.format, env, scratchDir: this.scratch!.dir, log }));
    if (data.docs.length === 0) throw new Error('no annotated documents in the sources');
    const fingerprint = (this.fingerprint = await dataFingerprint(data.docs, { train: config.train, model: config.model, segmenter: config.segmenter, unlabeled: config.unlabeled }));
    const types: Record<string, number> = {};
    for (const d of data.docs) for (const e of d.entities) types[e.type] = (types[e.type] ?? 0) + 1;
    this.report.data = {
      fingerprint,
      docs: data.docs.length,
      entities: data.docs.reduce((s, d) => s + d.entities.length, 0),
      types: sortKeys(types),
      sources: data.sources,
      duplicates: { count: data.duplicates.length, ids: data.duplicates.slice(0, 50).map((d) => d.id) },
      issues: { count: data.issues.length, first: data.issues.slice(0, 20).map(formatIssue) },
    };
    log(`data: ${data.docs.length} docs from ${data.sources.length} source(s), ${data.duplicates.length} duplicate id(s) replaced, fingerprint ${fingerprint.slice(0, 16)}`);
    this.checkAbort();
  }

  /** 2. the lock, kept alive by a timer while the run holds it */
  async takeLock(): Promise<Stop> {
    const { config, store, report } = this;
    let lock: Lock;
    try {
      lock = this.lock = await acquireLock(store, { owner: report.lock.owner, ttlMs: config.lockTtlMinutes * 60_000, settleMs: this.options.settleMs, now: this.now });
    } catch (e) {
      if (e instanceof LockHeldError) {
        report.lock.holder = e.holder && { owner: e.holder.owner, startedAt: e.holder.startedAt, expiresAt: e.holder.expiresAt };
        return { status: 'lock-held', message: `another run holds the lock of ${store.description}: ${e.message}; nothing done` };
      }
      throw e;
    }
    report.lock.acquired = true;
    this.options.onLock?.(lock);
    this.checkAbort();
    // the training runs in another thread, so this timer keeps the lock alive however long it takes; the
    // renewal right before publishing is the check that the lock is still ours
    this.renewTimer = setInterval(() => {
      this.renewLock(lock).catch((e: Error) => this.log(`lock renewal failed: ${e.message}`));
    }, Math.max(1000, (config.lockTtlMinutes * 60_000) / 4));
    this.renewTimer.unref();
  }

  /**
   * 3. the current model, fetched and hash-verified now (a corrupted one stops the run before any training);
   *    nothing to do when it was trained on exactly this data
   */
  async checkCurrent(): Promise<Stop> {
    const { fingerprint } = this;
    const cur = (this.cur = await currentModel(this.store));
    const manifest = cur?.manifest ?? null;
    const currentFp = fingerprintOfEntry(manifest?.current);
    this.report.current = manifest ? { sha256: manifest.current.sha256, version: manifest.current.version, fingerprint: currentFp } : null;
    if (manifest && currentFp === fingerprint) {
      return {
        status: 'unchanged',
        message: `the current model v${manifest.current.version} was trained on the same data and settings (fingerprint ${fingerprint.slice(0, 16)}): rerunning on the same data changes nothing`,
      };
    }
  }

  /** 4. split (the one runTraining makes) and training in a fresh folder */
  async train(): Promise<Stop> {
    const { config, data, fingerprint, log, report } = this;
    const split = (this.split = retrainSplit(data.docs, config.train.split)); // the split runTraining makes
    const m = split.manifest;
    const side = (s: typeof m.train) => ({ records: s.records.length, docs: s.docs, entities: s.entities });
    const splitId = (this.splitId = await testSplitId(split.test));
    report.split = { seed: m.seed, ratios: m.ratios, recordKey: m.recordKey, id: splitId, train: side(m.train), dev: side(m.dev), test: side(m.test) };
    if (split.train.length === 0 || split.test.length === 0) {
      throw new Error(`the split has ${split.train.length} training and ${split.test.length} test documents (${m.records} records): need more records`);
    }
    const corpusFile = path.join(this.scratch!.dir, 'corpus.jsonl');
    await writeCorpus(corpusFile, data.docs, { format: 'jsonl' });
    const runDir = path.join(config.workDir, this.runId);
    await mkdir(config.workDir, { recursive: true });
    await mkdir(runDir); // fails if it exists: every run trains into a fresh folder
    log(`training: ${split.train.length} train / ${split.dev.length} dev / ${split.test.length} test docs into ${runDir}`);
    const trainer = this.options.trainer ?? trainInWorker;
    const summary = await trainer(
      {
        data: corpusFile,
        format: 'jsonl',
        out: runDir,
        config: config.train,
        maxMinutes: config.maxMinutes,
        unlabeled: config.unlabeled,
        segmenter: config.segmenter,
        corpus: `cner retrain ${fingerprint.slice(0, 16)} (${data.docs.length} docs)`,
        log: (line) => log(`train: ${line}`),
      },
      this.signal,
    );
    this.checkAbort();
    const trainedTestDocs = (summary.data.test as { docs?: number }).docs;
    if (trainedTestDocs !== undefined && trainedTestDocs !== split.test.length) {
      throw new Error(`the training split has ${trainedTestDocs} test documents, this job computed ${split.test.length}: refusing to compare on different splits`);
    }
    const modelFile = config.model === 'int8' ? summary.models.int8 : summary.models.f32;
    const bytes = (this.candidateBytes = new Uint8Array(await readFile(modelFile)));
    const candidateSha = await sha256Hex(bytes);
    report.training = {
      workDir: runDir, config: config.train, seconds: summary.seconds, params: summary.params,
      bestEpoch: summary.best.epoch, devF1: summary.best.devF1, stoppedBy: summary.stoppedBy,
      model: config.model, file: modelFile, sha256: candidateSha, bytes: bytes.length,
    };
  }

  /** 5. evaluate candidate and current on the same test split */
  async evaluate(): Promise<Stop> {
    const { config, cur, split, splitId, log } = this;
    const pick = (ev: Awaited<ReturnType<typeof evaluateModel>>) => summarizeEvaluation(config.consistency ? ev.withConsistency : ev.withoutConsistency);
    const candidateScores = pick(await evaluateModel(this.candidateBytes, split.test));
    const candidate = (this.candidate = toModelMetrics(candidateScores, splitId));
    const evaluation: NonNullable<RetrainReport['evaluation']> = { docs: split.test.length, consistency: config.consistency, candidate: candidateScores, current: null };
    this.report.evaluation = evaluation;
    log(`candidate: strict micro-F1 ${candidate.microF1.toFixed(4)} on ${split.test.length} test docs`);
    const latest = await readManifest(this.store);
    if ((latest?.current.sha256 ?? null) !== (cur?.entry.sha256 ?? null)) {
      throw new Error('the current model changed while this run held the lock (a manual publish or rollback?): not publishing');
    }
    if (cur) {
      const scores = pick(await evaluateModel(cur.bytes, split.test));
      const current = (this.current = toModelMetrics(scores, splitId));
      evaluation.current = { ...scores, sha256: cur.entry.sha256, version: cur.entry.version, name: cur.entry.name };
      log(`current v${cur.entry.version}: strict micro-F1 ${current.microF1.toFixed(4)} on the same split`);
    }
  }

  /** 6. the gate (margin, per-type floors) */
  async gate(): Promise<Stop> {
    const { config } = this;
    this.checkAbort();
    const decision: GateDecision = decidePublish({ candidate: this.candidate, current: this.current, margin: config.margin, perTypeFloors: config.perTypeFloors });
    this.report.gate = { ...decision, margin: config.margin, perTypeFloors: config.perTypeFloors, metric: 'strict micro-F1 (entity level, whole documents)' };
    for (const r of decision.reasons) this.log(`gate: ${r}`);
    if (!decision.publish) {
      return { status: 'refused', message: `the gate refused the candidate (${decision.reasons.filter((r) => r.startsWith('REFUSE')).length} failed check(s)); ${this.store.description} unchanged` };
    }
  }

  /** 7. the publish: the lock renewed (still ours), gatedPublish fenced by the lock at the manifest write */
  async publish(): Promise<Stop> {
    const { config, store, report } = this;
    const lock = this.lock!;
    await this.renewLock(lock); // throws LockHeldError when another run took an expired lock meanwhile
    const g = await gatedPublish(store, this.candidateBytes, {
      metrics: this.candidate,
      currentMetrics: this.current ?? undefined,
      margin: config.margin,
      perTypeFloors: config.perTypeFloors,
      note: fingerprintNote(this.fingerprint, this.data.docs.length, config.note),
      name: config.name,
      fence: () => this.renewLock(lock), // the lock must still be ours at the manifest write itself
    });
    if (!g.result) {
      report.gate!.reasons = g.decision.reasons;
      report.gate!.publish = false;
      return { status: 'refused', message: `the gate refused the candidate at publish time; ${store.description} unchanged` };
    }
    const e = g.result.entry;
    report.published = {
      sha256: e.sha256, version: e.version, key: e.key,
      previous: g.result.previous ? { sha256: g.result.previous.sha256, version: g.result.previous.version } : null,
    };
    return { status: 'published', message: `published v${e.version} sha256 ${e.sha256.slice(0, 16)} to ${store.description}` };
  }

  /** The report stage, always: the lock released, the scratch folder removed, the report written. */
  async finish(): Promise<RetrainOutcome> {
    const { report, log } = this;
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.renewals.catch(() => {});
    if (this.lock) {
      try {
        report.lock.released = await this.lock.release();
      } catch (e) {
        log(`could not release the lock: ${(e as Error).message} (it expires by itself)`);
      }
      this.options.onLock?.(null);
      this.lock = null;
    }
    await this.scratch?.dispose();
    const end = this.now();
    report.finishedAt = end.toISOString();
    report.seconds = (end.getTime() - this.started.getTime()) / 1000;
    log(report.message);
    const outcome: RetrainOutcome = { status: report.status, exitCode: report.exitCode, message: report.message, report, reportFiles: null };
    try {
      outcome.reportFiles = await writeRetrainReport(this.config.reportDir, report);
    } catch (e) {
      outcome.reportError = (e as Error).message;
      log(`could not write the report: ${outcome.reportError}`);
    }
    return outcome;
  }
}
