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
      expect(p1.err).not.toMatch(/cner publish/); // (the AWS SDK may warn about Node 20 on stderr)
      expect(p1.code).toBe(0);
      expect(p1.out).toMatch(/published v1 random-test-model sha256 [0-9a-f]{16}… \(\d+ bytes, micro-F1 0.8000\)/);
      expect(p1.out).toMatch(/uploaded and verified/);
      expect(p1.out).toMatch(/previous: none/);

      const again = await cli(publishCmd, [files[0], '--to', url]);
      expect(again.out).toMatch(/already current: v1/);

      // gated: worse → exit 3, manifest unchanged
      const refused = await cli(publishCmd, [files[1], '--to', url, '--metrics', metricsFile('b.json', 0.7), '--gate']);
      expect(refused.code).toBe(3);
      expect(refused.out).toMatch(/gate: REFUSE: candidate micro-F1 0.7000 vs current 0.8000/);
      expect((await readManifest(openStore(url)))!.current.version).toBe(1);

      const p2 = await cli(publishCmd, [files[1], '--to', url, '--metrics', metricsFile('c.json', 0.79), '--gate', '--margin', '0.02', '--floor', 'BODY=0.5']);
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
    expect((await cli(publishCmd, [files[0], '--to', 'file:///tmp/x', '--margin', '0.1'])).err).toMatch(/need --gate/);
    expect((await cli(publishCmd, [files[0], '--to', 'file:///tmp/x', '--gate'])).err).toMatch(/--gate needs --metrics/);
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
