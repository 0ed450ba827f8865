/**
 * The retraining job end to end on REAL stores (a file:// directory and s3rver through the S3 API), with real
 * (tiny) training runs on a synthetic corpus: first publish, rerun on the same data, a worse candidate refused,
 * crashes during training and during the publish, and a held lock.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Doc } from '../../src/corpus/document.js';
import { writeCorpus } from '../../src/io/corpus-io.js';
import { acquireLock, readLock } from '../../src/store/lock.js';
import { currentModel, MANIFEST_KEY, publishModel, readManifest } from '../../src/store/manifest.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { openStore } from '../../src/store/open.js';
import { parseRetrainConfig, RETRAIN_EXIT, runRetrain, trainInWorker, type RetrainOutcome, type RetrainRunOptions } from '../../src/retrain/index.js';
import { runTraining } from '../../src/train/run.js';
import { damage, faulty } from '../store/faulty.js';
import { randomModel } from '../helpers/random-model.js';
import { startS3rver, type S3Server } from '../store/backends.js';
import { synthDocs } from './synth.js';

const tmp = mkdtempSync(join(tmpdir(), 'cner-retrain-'));
let s3: S3Server;
let env: Record<string, string>;

beforeAll(async () => {
  s3 = await startS3rver();
  env = {
    S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    S3_CONDITIONAL_WRITES: '0', // s3rver ignores If-Match / If-None-Match
  };
});
afterAll(async () => {
  await s3?.server.close();
  if (s3) rmSync(s3.directory, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

/** Tiny settings that learn the synthetic corpus in 3 epochs (about a second). */
const GOOD = { charDim: 8, wordDim: 8, lstm: [8], epochs: 3, workers: 1, batchSize: 8, patience: 0, optimizer: { lr: 0.02 } };
/** A learning rate of 1e-9 leaves the network at its (seeded) random init: deterministically poor. */
const POOR = { ...GOOD, epochs: 1, optimizer: { lr: 1e-9 } };

/** Every 6-character piece of every document text: none may appear in a report or a log line. */
function textPieces(docs: readonly Doc[]): Set<string> {
  const s = new Set<string>();
  for (const d of docs) for (let i = 0; i + 6 <= d.text.length; i++) s.add(d.text.slice(i, i + 6));
  return s;
}
function leaks(output: string, pieces: Set<string>): string[] {
  const found: string[] = [];
  for (let i = 0; i + 6 <= output.length; i++) if (pieces.has(output.slice(i, i + 6))) found.push(output.slice(i, i + 6));
  return found;
}

async function manifestBytes(store: ObjectStore): Promise<string | null> {
  const b = await store.get(MANIFEST_KEY);
  return b ? new TextDecoder().decode(b) : null;
}

interface Setup {
  name: string;
  store: () => ObjectStore;
  storeUrl: string;
  /** puts `docs` where a source can read them; returns the source location */
  source(docs: Doc[], name: string): Promise<string>;
}

function fileSetup(): Setup {
  const dir = join(tmp, 'file-store');
  return {
    name: 'file://',
    storeUrl: `file://${dir}`,
    store: () => openStore(`file://${dir}`),
    async source(docs, name) {
      const p = join(tmp, `file-${name}`);
      await writeCorpus(p, docs, { format: 'brat' }); // one file pair per document
      return p;
    },
  };
}

function s3Setup(): Setup {
  const url = 's3://models/retrain-test';
  return {
    name: 's3:// (s3rver)',
    storeUrl: url,
    store: () => openStore(url, env),
    async source(docs, name) {
      // annotated records in a bucket prefix, one brat pair per document, read back by the job
      const staging = join(tmp, `s3-${name}`);
      await writeCorpus(staging, docs, { format: 'brat' });
      const bucket = openStore(`s3://models/annotated/${name}`, env);
      for (const d of docs) {
        for (const ext of ['txt', 'ann']) await bucket.put(`${d.id}.${ext}`, new Uint8Array(readFileSync(join(staging, `${d.id}.${ext}`))));
      }
      rmSync(staging, { recursive: true, force: true });
      return `s3://models/annotated/${name}`;
    },
  };
}

for (const setup of [fileSetup(), s3Setup()]) {
  describe(`cner retrain on ${setup.name}`, () => {
    const first = synthDocs(30, { seed: 11 }); // rec1..rec30
    const update = synthDocs(8, { seed: 12, first: 27 }); // rec27..rec34: 4 replace, 4 new
    const more = synthDocs(6, { seed: 13, first: 35 }); // rec35..rec40
    const pieces = textPieces([...first, ...update, ...more]);
    const work = join(tmp, `work-${setup.name.slice(0, 2)}`);
    let srcFirst: string;
    let srcUpdate: string;
    let srcMore: string;
    let logs = '';
    let trainings = 0;

    beforeAll(async () => {
      srcFirst = await setup.source(first, 'first');
      srcUpdate = await setup.source(update, 'update');
      srcMore = await setup.source(more, 'more');
    });

    const config = (data: string[], train: object, extra: object = {}) =>
      parseRetrainConfig({ data, store: setup.storeUrl, train, workDir: work, lockTtlMinutes: 30, ...extra }, { baseDir: tmp });

    async function run(data: string[], train: object, extra: object = {}, options: RetrainRunOptions = {}): Promise<RetrainOutcome> {
      // the trainer's progress bar writes to stderr: keep the test output readable
      const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        return await runRetrain(config(data, train, extra), {
          env,
          log: (l) => void (logs += l + '\n'),
          // the default trainer: runTraining in a worker thread
          trainer: (o, signal) => {
            trainings++;
            return trainInWorker(o, signal);
          },
          // the run's private copies of the data go here (not the user's cache); checked empty after every run
          scratchRoot: join(tmp, 'scratch'),
          ...options,
        });
      } finally {
        quiet.mockRestore();
        expect(existsSync(join(tmp, 'scratch')) ? readdirSync(join(tmp, 'scratch')) : []).toEqual([]);
      }
    }

    function expectCleanReport(o: RetrainOutcome) {
      expect(o.reportFiles).not.toBeNull();
      const json = readFileSync(o.reportFiles!.json, 'utf8');
      const md = readFileSync(o.reportFiles!.md, 'utf8');
      expect(JSON.parse(json).status).toBe(o.status);
      expect(md).toContain(`: ${o.status}`);
      expect(leaks(json + md + logs, pieces)).toEqual([]);
    }

    it('first run: no current model → trains, evaluates, publishes v1 with the fingerprint', async () => {
      const o = await run([srcFirst, srcUpdate], GOOD);
      expect(o.report.error).toBeNull();
      expect(o.status).toBe('published');
      expect(o.exitCode).toBe(RETRAIN_EXIT.published);
      const r = o.report;
      expect(r.data!.docs).toBe(34);
      expect(r.data!.duplicates).toEqual({ count: 4, ids: ['rec27', 'rec28', 'rec29', 'rec30'] });
      expect(r.split!.test.docs).toBeGreaterThan(0);
      expect(r.evaluation!.current).toBeNull();
      expect(r.evaluation!.candidate.strict.micro.f1).toBeGreaterThan(0.5); // it learned the corpus
      expect(r.gate!.reasons).toContain('ok: no current model: the first candidate is published');
      const m = await readManifest(setup.store());
      expect(m!.current.version).toBe(1);
      expect(m!.current.sha256).toBe(r.training!.sha256);
      expect(m!.current.note).toContain(`fingerprint=${r.data!.fingerprint}`);
      expect(m!.current.metrics!.split).toBe(r.split!.id);
      expect(m!.current.metrics!.microF1).toBeCloseTo(r.evaluation!.candidate.strict.micro.f1, 12);
      expect(await readLock(setup.store())).toBeNull();
      expect(r.lock).toMatchObject({ acquired: true, released: true });
      expect(existsSync(join(r.training!.workDir, 'model.q8.cner'))).toBe(true);
      expectCleanReport(o);
    });

    it('rerun on the same data: nothing to do, no training, manifest unchanged', async () => {
      const before = await manifestBytes(setup.store());
      const trained = trainings;
      const o = await run([srcFirst, srcUpdate], GOOD);
      expect(o.status).toBe('unchanged');
      expect(o.exitCode).toBe(0);
      expect(o.message).toMatch(/rerunning on the same data changes nothing/);
      expect(trainings).toBe(trained);
      expect(await manifestBytes(setup.store())).toBe(before);
      expect(await readLock(setup.store())).toBeNull();
      expectCleanReport(o);

      // the same merged documents from one JSON-lines file, in reverse order: the same fingerprint
      const merged = [...first.filter((d) => !update.some((u) => u.id === d.id)), ...update].reverse();
      const single = join(tmp, `merged-${setup.name.slice(0, 2)}.jsonl`);
      await writeCorpus(single, merged, { format: 'jsonl' });
      const o2 = await run([single], GOOD);
      expect(o2.status).toBe('unchanged');
      expect(o2.report.data!.fingerprint).toBe(o.report.data!.fingerprint);
      expect(trainings).toBe(trained);
      expect(await manifestBytes(setup.store())).toBe(before);
    });

    it('a worse candidate is refused; the manifest is unchanged and the report says why', async () => {
      const before = await manifestBytes(setup.store());
      const o = await run([srcFirst, srcUpdate, srcMore], POOR, { perTypeFloors: { BODY: 0.9 } });
      expect(o.status).toBe('refused');
      expect(o.exitCode).toBe(RETRAIN_EXIT.refused);
      const ev = o.report.evaluation!;
      expect(ev.current!.version).toBe(1);
      // both scored on the new data's test split
      expect(ev.candidate.strict.micro.gold).toBe(ev.current!.strict.micro.gold);
      expect(ev.candidate.strict.micro.f1).toBeLessThan(ev.current!.strict.micro.f1);
      const reasons = o.report.gate!.reasons;
      expect(reasons.some((x) => /^REFUSE: candidate micro-F1 .* vs current .*: below/.test(x))).toBe(true);
      expect(reasons.some((x) => /^REFUSE: type BODY F1 .* below floor 0\.9000/.test(x))).toBe(true);
      expect(reasons.some((x) => x.startsWith('ok: same test split'))).toBe(true);
      expect(o.report.published).toBeNull();
      expect(await manifestBytes(setup.store())).toBe(before);
      expect(await readLock(setup.store())).toBeNull();
      expect(readFileSync(o.reportFiles!.md, 'utf8')).toMatch(/## Gate: refuse[\s\S]*REFUSE: candidate micro-F1/);
      expectCleanReport(o);
    });

    it('a crash inside the training leaves the manifest untouched and releases the lock', async () => {
      const before = await manifestBytes(setup.store());
      // a pre-trained vector file that exists (so the fingerprint hashes it) but is not word2vec text:
      // runTraining throws while loading it, after the lock was taken
      const vectors = join(tmp, 'broken.w2v');
      writeFileSync(vectors, 'not a vector file\n');
      const o = await run([srcFirst, srcUpdate, srcMore], { ...GOOD, embeddings: { char: vectors } });
      expect(o.status).toBe('error');
      expect(o.exitCode).toBe(RETRAIN_EXIT.error);
      expect(o.report.error!.message).toMatch(/readWord2VecText/);
      expect(o.report.lock).toMatchObject({ acquired: true, released: true });
      expect(await manifestBytes(setup.store())).toBe(before);
      expect(await readLock(setup.store())).toBeNull();

      // a trainer that dies midway (its log callback throws on the first line it writes)
      const o2 = await run([srcFirst, srcUpdate, srcMore], GOOD, {}, {
        trainer: (opts) => runTraining({ ...opts, log: () => { throw new Error('injected crash during training'); } }),
      });
      expect(o2.status).toBe('error');
      expect(o2.report.error!.message).toBe('injected crash during training');
      expect(await manifestBytes(setup.store())).toBe(before);
      expect(await readLock(setup.store())).toBeNull();
      expectCleanReport(o2);
    });

    it('stopped by a signal during the training: nothing published, the lock released, a report written', async () => {
      const before = await manifestBytes(setup.store());
      const stop = new AbortController();
      const o = await run([srcFirst, srcUpdate, srcMore], { ...GOOD, epochs: 200 }, {}, {
        signal: stop.signal,
        // abort once the training thread is running (its first line arrives from the thread)
        log: (l) => {
          logs += l + '\n';
          if (l.startsWith('train: data:')) stop.abort();
        },
      });
      expect(o.status).toBe('error');
      expect(o.report.error).toMatchObject({ name: 'RetrainInterruptedError' });
      expect(o.report.training).toBeNull();
      expect(o.report.lock).toMatchObject({ acquired: true, released: true });
      expect(await manifestBytes(setup.store())).toBe(before);
      expect(await readLock(setup.store())).toBeNull();
      expectCleanReport(o);
    });

    it('a failing upload during the publish leaves the manifest untouched; the next run publishes', async () => {
      const before = await manifestBytes(setup.store());
      const broken = faulty(setup.store(), 'throw', (key) => key.startsWith('models/'));
      const o = await run([srcFirst, srcUpdate, srcMore], GOOD, {}, { store: broken });
      expect(broken.hits).toBe(1);
      expect(o.status).toBe('error');
      expect(o.report.gate!.publish).toBe(true); // it got as far as publishing
      expect(o.report.error!.message).toMatch(/injected failure writing models\//);
      expect(await manifestBytes(setup.store())).toBe(before);
      expect(await readLock(setup.store())).toBeNull();

      const again = await run([srcFirst, srcUpdate, srcMore], GOOD);
      expect(again.status).toBe('published');
      const m = await readManifest(setup.store());
      expect(m!.current.version).toBe(2);
      expect(m!.history.map((e) => e.version)).toEqual([1]);
      expect(again.report.evaluation!.current!.version).toBe(1);
      expect(again.report.published).toMatchObject({ version: 2, previous: { version: 1 } });
    });

    it('a held lock: the second run exits with the lock code, does nothing and leaves the lock alone', async () => {
      const store = setup.store();
      const other = await acquireLock(store, { owner: 'nightly-on-another-host', ttlMs: 60_000, settleMs: 0 });
      try {
        const before = await manifestBytes(store);
        const trained = trainings;
        const o = await run([srcFirst, srcMore], GOOD);
        expect(o.status).toBe('lock-held');
        expect(o.exitCode).toBe(RETRAIN_EXIT.lockHeld);
        expect(o.message).toMatch(/nightly-on-another-host/);
        expect(o.report.lock).toMatchObject({ acquired: false, released: false, holder: { owner: 'nightly-on-another-host' } });
        expect(trainings).toBe(trained);
        expect(await manifestBytes(store)).toBe(before);
        expect((await readLock(store))?.token).toBe(other.record.token); // still the other run's
        expectCleanReport(o);
      } finally {
        expect(await other.release()).toBe(true);
      }
    });

    it('a corrupted current model stops the run before any training', async () => {
      const store = setup.store();
      const m = await readManifest(store);
      await damage(store, m!.current.key);
      try {
        const trained = trainings;
        const o = await run([srcFirst, srcMore], GOOD);
        expect(o.status).toBe('error');
        expect(o.report.error!.name).toBe('ObjectIntegrityError');
        expect(trainings).toBe(trained);
        expect(await readManifest(store)).toEqual(m);
        expect(await readLock(store)).toBeNull();
      } finally {
        await damage(store, m!.current.key); // flips the same byte back
      }
      expect((await currentModel(store))!.entry.sha256).toBe(m!.current.sha256);
    });

    it('a manual publish while the job trains is noticed: the job does not publish over it', async () => {
      const store = setup.store();
      const manual = randomModel({ seed: 5, text: first[0].text, types: ['BODY', 'SIGNS', 'CHECK', 'DISEASE'] }).bytes;
      const o = await run([srcFirst, srcMore], GOOD, {}, {
        trainer: async (opts, signal) => {
          const summary = await trainInWorker(opts, signal);
          await publishModel(store, manual, { note: 'manual hotfix' });
          return summary;
        },
      });
      expect(o.status).toBe('error');
      expect(o.report.error!.message).toMatch(/the current model changed while this run held the lock/);
      const m = await readManifest(store);
      expect(m!.current.note).toBe('manual hotfix'); // the manual publish stays current
      expect(await readLock(store)).toBeNull();
    });
  });
}

describe('cner retrain: the lock stays alive during a long training', () => {
  it('renews the lock while the training thread runs, then releases it', async () => {
    const dir = join(tmp, 'renew-store');
    const data = join(tmp, 'renew.jsonl');
    await writeCorpus(data, synthDocs(20, { seed: 31 }), { format: 'jsonl' });
    const store = openStore(`file://${dir}`);
    // a 3 s lock and a 4 s training budget: without renewals the lock would expire before the publish
    const config = parseRetrainConfig(
      { data: [data], store: `file://${dir}`, train: { ...GOOD, epochs: 10_000 }, workDir: join(tmp, 'renew-work'), lockTtlMinutes: 0.05, maxMinutes: 0.07 },
      { baseDir: tmp },
    );
    const seen: Array<{ expiresAt: string; renewedAt?: string }> = [];
    let running = true;
    const poll = (async () => {
      while (running) {
        const l = await readLock(store);
        if (l) seen.push(l);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let o: RetrainOutcome;
    try {
      o = await runRetrain(config, { log: () => {}, scratchRoot: join(tmp, 'scratch') });
    } finally {
      quiet.mockRestore();
      running = false;
      await poll;
    }
    expect(o.report.error).toBeNull();
    expect(o.status).toBe('published');
    expect(o.report.training!.stoppedBy).toBe('time');
    const renewed = seen.filter((l) => l.renewedAt !== undefined);
    expect(renewed.length).toBeGreaterThan(0);
    expect(Date.parse(seen[seen.length - 1].expiresAt)).toBeGreaterThan(Date.parse(seen[0].expiresAt));
    expect(await readLock(store)).toBeNull();
  });
});
