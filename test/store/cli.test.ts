import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomModel } from '../helpers/random-model.js';
import * as publishCmd from '../../src/hosts/cli/commands/publish.js';
import * as rollbackCmd from '../../src/hosts/cli/commands/rollback.js';
import { readManifest } from '../../src/store/manifest.js';
import { openStore } from '../../src/store/open.js';
import { startS3rver, type S3Server } from './backends.js';
import { main } from '../../src/hosts/cli/main.js';

/** Runs a command through the CLI dispatcher (which turns UsageError into exit 2, other errors into 1). */
async function cli(cmd: { name: string }, argv: string[]) {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main([cmd.name, ...argv]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'cner-cli-store-'));
const files = [1, 2].map((seed) => {
  const p = join(tmp, `m${seed}.cner`);
  writeFileSync(p, randomModel({ seed }).bytes);
  return p;
});
const metricsFile = (name: string, microF1: number) => {
  const p = join(tmp, name);
  writeFileSync(p, JSON.stringify({ split: 's1', microF1, perType: { BODY: { f1: microF1 } } }));
  return p;
};

let s3: S3Server;
const savedEnv = { ...process.env };
beforeAll(async () => {
  s3 = await startS3rver();
  Object.assign(process.env, {
    S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    S3_CONDITIONAL_WRITES: '0',
  });
});
afterAll(async () => {
  process.env = savedEnv;
  await s3.server.close();
  rmSync(s3.directory, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

for (const url of [`file://${join(tmp, 'store')}`, 's3://models/cli-test']) {
  describe(`cner publish / rollback --to ${url.split(':')[0]}://`, () => {
    it('publishes, reports, rolls back, lists', async () => {
      const p1 = await cli(publishCmd, [files[0], '--to', url, '--note', 'first', '--metrics', metricsFile('a.json', 0.8)]);
      expect(p1.err).not.toMatch(/cner publish: (?!warning: s3:)/); // (the AWS SDK may warn about Node 20 on stderr)
      expect(p1.code).toBe(0);
      expect(p1.out).toMatch(/published v1 random-test-model sha256 [0-9a-f]{16}… \(\d+ bytes, micro-F1 0.8000\)/);
      expect(p1.out).toMatch(/uploaded and verified/);
      expect(p1.out).toMatch(/previous: none/);

      const again = await cli(publishCmd, [files[0], '--to', url]);
      expect(again.out).toMatch(/already current: v1/);

      // worse on the --metrics figures → exit 3, manifest unchanged
      const refused = await cli(publishCmd, [files[1], '--to', url, '--metrics', metricsFile('b.json', 0.7)]);
      expect(refused.code).toBe(3);
      expect(refused.out).toMatch(/gate: REFUSE: candidate micro-F1 0.7000 vs current 0.8000/);
      expect((await readManifest(openStore(url)))!.current.version).toBe(1);

      const p2 = await cli(publishCmd, [files[1], '--to', url, '--metrics', metricsFile('c.json', 0.79), '--margin', '0.02', '--floor', 'BODY=0.5']);
      expect(p2.code).toBe(0);
      expect(p2.out).toMatch(/gate: ok: type BODY F1 0.7900 ≥ floor 0.5000/);
      expect(p2.out).toMatch(/published v2 .*\n.*\n  previous: v1 /);

      const list = await cli(rollbackCmd, ['--to', url, '--list']);
      expect(list.out).toMatch(/^current: v2 .*\nhistory: v1 /);

      const rb = await cli(rollbackCmd, ['--to', url]);
      expect(rb.code).toBe(0);
      expect(rb.out).toMatch(/rolled back .*manifest.json\n  was: v2 .*\n  now: v1 .*\(object verified\)/);
      const m = (await readManifest(openStore(url)))!;
      expect(m.current.version).toBe(1);
      expect(m.current.note).toBe('first');

      const sha2 = m.history[0].sha256;
      const rb2 = await cli(rollbackCmd, ['--to', url, '--version', sha2.slice(0, 12)]);
      expect(rb2.out).toMatch(/now: v2 /);
      const rb3 = await cli(rollbackCmd, ['--to', url, '--version', '2']);
      expect(rb3.out).toMatch(/already current: v2/);
      const missing = await cli(rollbackCmd, ['--to', url, '--version', '7']);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/no entry with version 7/);
    });
  });
}

describe('cner publish / rollback usage errors', () => {
  it('exit 2 with a message', async () => {
    expect((await cli(publishCmd, [files[0]])).err).toMatch(/--to URL is required/);
    expect((await cli(publishCmd, ['--to', 'file:///tmp/x'])).code).toBe(2);
    expect((await cli(publishCmd, [files[0], '--to', 'file:///tmp/x', '--current-metrics', 'm.json'])).err).toMatch(/--current-metrics needs --metrics/);
    expect((await cli(publishCmd, [files[0], '--to', 'file:///tmp/x', '--gate'])).code).toBe(2); // --gate needs DATA
    expect((await cli(publishCmd, [files[0], '--to', 'file:///tmp/x', '--margin', 'x'])).err).toMatch(/--margin: expected a number in \[0, 1\]/);
    const missing = await cli(publishCmd, [join(tmp, 'no-such.cner'), '--to', `file://${join(tmp, 'never')}`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read MODEL .*no-such\.cner: no such file/);
    expect(missing.err).not.toMatch(/ENOENT/);
    expect((await cli(publishCmd, [files[0], '--to', 'ftp://x'])).code).toBe(1);
    expect((await cli(rollbackCmd, ['--to', 'file:///tmp/x', '--version', 'zz'])).code).toBe(2);
    expect((await cli(rollbackCmd, ['--bogus'])).code).toBe(2);
    const help = await cli(rollbackCmd, ['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toBe(rollbackCmd.usage);
    const bad = await cli(rollbackCmd, ['--to', `file://${join(tmp, 'empty')}`]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/nothing has been published/);
  });
});

describe('cner publish refuses a worse model (issue 13 point 5)', () => {
  /** a model whose card records document-level (and sentence-level) strict test figures, or none */
  const card = (seed: number, documents: number | null, sentences: number | null = documents) => {
    const metrics: Record<string, unknown> = {};
    if (documents !== null) metrics.testDocuments = { level: 'document', docs: 10, consistency: { strict: { micro: { f1: documents }, perType: { BODY: { f1: documents } } } } };
    if (sentences !== null) metrics.test = { f1: sentences, level: 'sentence' };
    const p = join(tmp, `card-${seed}.cner`);
    writeFileSync(p, randomModel({ seed, extra: { training: Object.keys(metrics).length ? { metrics } : null } }).bytes);
    return p;
  };

  it('on the figures the model files record: worse and figure-less candidates exit 3 with both figures; --force publishes', async () => {
    const url = `file://${join(tmp, 'safe-store')}`;
    const good = card(11, 0.9);
    const worse = card(12, 0.8);
    const none = card(13, null);
    const better = card(14, 0.95);
    const sentencesOnly = card(15, null, 0.99);
    expect((await cli(publishCmd, [good, '--to', url])).code).toBe(0);

    const w = await cli(publishCmd, [worse, '--to', url]);
    expect(w.code).toBe(3);
    expect(w.out).toMatch(/gate: compared on the test figures both model files record \(document-level strict micro-F1/);
    expect(w.out).toMatch(/gate: REFUSE: candidate micro-F1 0\.8000 vs current 0\.9000 \(margin 0\.0000\): below 0\.9000/);
    expect(w.out).toMatch(/not published: card-12\.cner was refused; .* unchanged \(--force publishes it anyway\)/);
    expect(w.out).not.toMatch(/published v/);
    expect((await readManifest(openStore(url)))!.current.version).toBe(1);

    const n = await cli(publishCmd, [none, '--to', url]);
    expect(n.code).toBe(3);
    expect(n.out).toMatch(/REFUSE: the candidate records no test figures comparable with the current v1's \(micro-F1 0\.9000, document-level\): give --gate DATA/);
    // sentence-level figures only: compared on the sentence-level figures of both
    const s = await cli(publishCmd, [sentencesOnly, '--to', url]);
    expect(s.code).toBe(0); // the current one records sentence-level figures as well (0.9): compared on those
    expect(s.out).toMatch(/sentence-level strict micro-F1.*\n(.*\n)*gate: ok: candidate micro-F1 0\.9900 vs current 0\.9000/);
    expect(s.out).toMatch(/published v2 /);

    const forced = await cli(publishCmd, [worse, '--to', url, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/gate: REFUSE: .*\n(.*\n)*gate: refused, publishing anyway \(--force\)\npublished v3 /);

    const margin = await cli(publishCmd, [good, '--to', url, '--margin', '0.05']);
    expect(margin.out).toMatch(/ok: candidate micro-F1 0\.9000 vs current 0\.8000/);
    const b = await cli(publishCmd, [better, '--to', url]);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/published v5 /);
    const m = (await readManifest(openStore(url)))!;
    expect([m.current, ...m.history].map((e) => e.version)).toEqual([5, 4, 3, 2]); // v4 republished v1's model
  });

  it('--gate DATA scores both models on a labelled corpus: a random model is refused against the trained one', async () => {
    const url = `file://${join(tmp, 'gate-store')}`;
    const data = join(process.cwd(), 'test/fixtures/corpus/ccks');
    expect((await cli(publishCmd, [join(process.cwd(), 'models/default.cner'), '--to', url])).code).toBe(0);
    const r = await cli(publishCmd, [files[0], '--to', url, '--gate', data]);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/gate: compared on .*ccks \(\d+ documents, strict micro-F1\) \(current: v1 /);
    const f = /REFUSE: candidate micro-F1 (0\.\d{4}) vs current (0\.\d{4})/.exec(r.out);
    expect(f).not.toBeNull();
    expect(Number(f![1])).toBeLessThan(Number(f![2]));
    expect((await readManifest(openStore(url)))!.current.version).toBe(1);
    const bad = await cli(publishCmd, [files[0], '--to', url, '--gate', join(tmp, 'no-such-corpus')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--gate: cannot read a corpus from .*no-such-corpus: no such file or folder/);
  });
});

describe('a store that ignores conditional writes is named at publish time (issue 12 point 3)', () => {
  const warning = /cner publish: warning: s3:\/\/models\/\S* (ignores conditional writes \(If-None-Match \/ If-Match\)|is used without conditional writes \(S3_CONDITIONAL_WRITES=0\)): concurrent publishes and rollbacks to it are unsafe/g;

  it('s3rver: the probe finds conditions ignored and warns once per run on stderr; file:// does not warn', async () => {
    const saved = process.env.S3_CONDITIONAL_WRITES;
    delete process.env.S3_CONDITIONAL_WRITES; // the default: send If-None-Match / If-Match
    try {
      const r = await cli(publishCmd, [files[0], '--to', 's3://models/probe-test']);
      expect(r.code).toBe(0);
      expect(r.err.match(warning)).toHaveLength(1);
      expect(r.err).toMatch(/ignores conditional writes/);
      expect(r.out).toMatch(/published v1 /);
      // the probe object is gone again
      expect((await openStore('s3://models/probe-test').list('locks/')).length).toBe(0);
    } finally {
      process.env.S3_CONDITIONAL_WRITES = saved;
    }
    const off = await cli(publishCmd, [files[1], '--to', 's3://models/probe-test']); // S3_CONDITIONAL_WRITES=0
    expect(off.err.match(warning)).toHaveLength(1);
    expect(off.err).toMatch(/S3_CONDITIONAL_WRITES=0/);
    const rb = await cli(rollbackCmd, ['--to', 's3://models/probe-test']);
    expect(rb.code).toBe(0);
    expect(rb.err).toMatch(/cner rollback: warning: .*unsafe/);
    const file = await cli(publishCmd, [files[0], '--to', `file://${join(tmp, 'probe-file')}`]);
    expect(file.code).toBe(0);
    expect(file.err).not.toMatch(/warning/);
  });
});
