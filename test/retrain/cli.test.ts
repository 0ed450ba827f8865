/** `cner retrain --config FILE` through the CLI dispatcher: exit codes, messages, relative paths in the config. */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/hosts/cli/main.js';
import { writeCorpus } from '../../src/io/corpus-io.js';
import { acquireLock } from '../../src/store/lock.js';
import { readManifest } from '../../src/store/manifest.js';
import { openStore } from '../../src/store/open.js';
import { synthDocs } from './synth.js';

const tmp = mkdtempSync(join(tmpdir(), 'cner-retrain-cli-'));
const savedScratch = process.env.CNER_SCRATCH_DIR;
process.env.CNER_SCRATCH_DIR = join(tmp, 'scratch'); // the runs' private copies of the data (not the user's cache)
afterAll(() => {
  if (savedScratch === undefined) delete process.env.CNER_SCRATCH_DIR;
  else process.env.CNER_SCRATCH_DIR = savedScratch;
  rmSync(tmp, { recursive: true, force: true });
});

async function cner(argv: string[]) {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('cner retrain', () => {
  const job = join(tmp, 'job');
  const configFile = join(job, 'retrain.json');

  it('is listed and documents its exit codes', async () => {
    const help = await cner(['--help']);
    expect(help.out).toMatch(/retrain\s+retrain on annotated records/);
    const usage = await cner(['retrain', '--help']);
    expect(usage.code).toBe(0);
    expect(usage.out).toMatch(/3 {2}refused by the gate/);
    expect(usage.out).toMatch(/4 {2}another run holds the lock/);
  });

  it('usage errors exit 2; an invalid config exits 1 naming the field', async () => {
    expect((await cner(['retrain'])).code).toBe(2);
    expect((await cner(['retrain', '--config', join(tmp, 'nope.json')])).code).toBe(1);
    mkdirSync(job, { recursive: true });
    const bad = join(job, 'bad.json');
    writeFileSync(bad, JSON.stringify({ data: ['data'], store: 'file://store', perTypeFloors: { BODY: 2 } }));
    const r = await cner(['retrain', '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/perTypeFloors\.BODY: must be ≤ 1, got 2/);
  });

  it('publishes (0), then has nothing to do (0), then meets a held lock (4)', async () => {
    await writeCorpus(join(job, 'data', 'records.jsonl'), synthDocs(24, { seed: 21 }), { format: 'jsonl' });
    // relative paths: resolved against the config file's folder, not the working directory
    writeFileSync(
      configFile,
      JSON.stringify({
        data: ['data'],
        format: 'jsonl',
        store: 'file://store',
        train: { charDim: 8, wordDim: 8, lstm: [8], epochs: 2, workers: 1, batchSize: 8, optimizer: { lr: 0.02 } },
        workDir: 'work',
        note: 'cli test',
      }),
    );
    const first = await cner(['retrain', '--config', configFile, '--quiet']);
    expect(first.err).not.toMatch(/^retrain: /m); // --quiet: no job lines (the trainer's epoch lines remain)
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^published: published v1 sha256 [0-9a-f]{16} to /);
    expect(first.out).toMatch(/report: .*work\/reports\/.*\.json/);
    const store = openStore(`file://${join(job, 'store')}`);
    const m = await readManifest(store);
    expect(m!.current.note).toMatch(/^cli test; cner-retrain fingerprint=[0-9a-f]{64} docs=24$/);

    const again = await cner(['retrain', '--config', configFile, '--quiet']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^unchanged: .*changes nothing/);

    const lock = await acquireLock(store, { owner: 'someone-else', settleMs: 0 });
    try {
      const held = await cner(['retrain', '--config', configFile, '--quiet']);
      expect(held.code).toBe(4);
      expect(held.out).toMatch(/^lock-held: another run holds the lock .*someone-else/);
    } finally {
      await lock.release();
    }
    expect(readdirSync(join(job, 'work', 'reports')).filter((f) => f.endsWith('.json'))).toHaveLength(3);
    expect(readdirSync(join(tmp, 'scratch'))).toEqual([]); // every run removed its copy of the data
    expect((await readManifest(store))!.current.version).toBe(1);
  });
});
