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
    const split = retrainSplit(data.docs, config.train.split); // the split runTraining makes
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
