/**
 * Racing publishers on a file:// store after a crash (issue 12 point 3): a publisher killed while it held the
 * store's write lock leaves the lock behind; then two or three publishers start together. Every publish that
 * reports success must be in the manifest (current or history) under a version no other publish got, and a
 * publisher that loses must fail loudly (non-zero exit, a message), never print `published vN`.
 *
 * The stale lock is real: a child process takes the lock and is SIGKILLed; its leftovers (every dot entry of the
 * store folder but `.meta`) are copied into each round's fresh store and aged by a minute.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file.js';
import { publishModel, readManifest, type Manifest, type PublishResult } from '../../src/store/manifest.js';
import { StoreError } from '../../src/store/object-store.js';
import { spawnTs } from '../helpers/child.js';
import { randomModel } from '../helpers/random-model.js';

const ROUNDS = 200;
const CLI_ROUNDS = 4;
const tmp = mkdtempSync(join(tmpdir(), 'cner-race-'));
const leftovers = join(tmp, 'leftovers');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Starts a child that takes the store lock in `dir` (lease `leaseMs`) and resolves once it holds it. */
async function startHolder(dir: string, leaseMs = 1) {
  const { child, io, exit } = spawnTs('test/store/fixtures/hold-store-lock.ts', [dir, String(leaseMs)]);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => io.out.includes('held') && resolve());
    void exit.then((code) => reject(new Error(`lock holder exited ${code} before holding the lock: ${io.err}`)));
  });
  return {
    child,
    /** asks the holder to run its fence; resolves to its answer line */
    async fence(): Promise<string> {
      const before = io.out.length;
      child.stdin.write('check\n');
      await new Promise<void>((resolve) => {
        const look = () => io.out.slice(before).includes('\n') && (child.stdout.off('data', look), resolve());
        child.stdout.on('data', look);
      });
      return io.out.slice(before).split('\n')[0];
    },
    async kill() {
      child.kill('SIGKILL');
      await exit;
    },
  };
}

/** A child takes the store lock in `dir` and is SIGKILLed while it holds it. */
async function killHolder(dir: string, leaseMs = 1): Promise<void> {
  await (await startHolder(dir, leaseMs)).kill();
}

/** Copies the dead holder's lock leftovers into `dir` and makes them a minute old. */
function leaveStaleLock(dir: string): void {
  mkdirSync(dir, { recursive: true });
  cpSync(leftovers, dir, { recursive: true });
  const old = new Date(Date.now() - 60_000);
  const age = (p: string) => {
    utimesSync(p, old, old);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) age(join(p, e));
  };
  for (const e of readdirSync(leftovers)) age(join(dir, e));
}

beforeAll(async () => {
  const dir = join(tmp, 'killed');
  mkdirSync(dir, { recursive: true });
  await killHolder(dir);
  mkdirSync(leftovers);
  const left = readdirSync(dir).filter((e) => e.startsWith('.') && e !== '.meta');
  expect(left.length).toBeGreaterThan(0); // the killed holder did leave a lock behind
  for (const e of left) cpSync(join(dir, e), join(leftovers, e), { recursive: true });
});

/** Every published sha must be in the manifest with the version its publisher reported; versions unique. */
function lostPublishes(m: Manifest | null, published: { sha256: string; version: number }[]): string[] {
  const lost: string[] = [];
  const entries = m ? [m.current, ...m.history] : [];
  const seen = new Set<number>();
  for (const p of published) {
    if (seen.has(p.version)) lost.push(`v${p.version} reported twice`);
    seen.add(p.version);
    const e = entries.find((x) => x.sha256 === p.sha256);
    if (!e) lost.push(`${p.sha256.slice(0, 12)} (reported v${p.version}) missing from the manifest`);
    else if (e.version !== p.version) lost.push(`${p.sha256.slice(0, 12)} reported v${p.version}, manifest says v${e.version}`);
  }
  return lost;
}

describe('the file:// store write lock', () => {
  const put = (dir: string, lockTimeoutMs: number) =>
    new FileStore(dir, { lockTimeoutMs }).put('manifest.json', new TextEncoder().encode('{}'), { ifNoneMatch: '*' });

  it('a lock left by a killed holder on this host is taken over at once, not after its lease (10 min here)', async () => {
    const dir = join(tmp, 'killed-long-lease');
    mkdirSync(dir);
    await killHolder(dir, 600_000);
    await expect(put(dir, 2000)).resolves.toMatchObject({ etag: expect.any(String) });
  });

  it('a hung holder keeps the lock until its lease ends; then it is taken over and the old holder\'s fence refuses its write', async () => {
    const dir = join(tmp, 'hung');
    mkdirSync(dir);
    const holder = await startHolder(dir, 3000);
    try {
      const busy = await put(dir, 200).catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(StoreError);
      expect((busy as Error).message).toMatch(new RegExp(`write lock of .* is held by .*:${holder.child.pid} \\(generation \\d+, lease until `));
      expect(await holder.fence()).toBe('fence ok');
      holder.child.kill('SIGSTOP'); // hung: it no longer renews its lease
      await put(dir, 20_000); // waits for the lease to run out, then takes the lock over
      holder.child.kill('SIGCONT');
      expect(await holder.fence()).toMatch(/^fence: FileStore: lost the write lock of .* \(generation \d+, generation \d+ took over\); the write was not made$/);
    } finally {
      await holder.kill();
    }
  });
});

describe('publishers racing after a crash (file://)', () => {
  it(`${ROUNDS} rounds in one process (2-3 publishers each, one FileStore each): 0 lost publishes`, async () => {
    const t0 = performance.now();
    const lost: string[] = [];
    let publishes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(tmp, `round-${round}`);
      leaveStaleLock(dir);
      const n = 2 + (round % 2);
      const models = Array.from({ length: n }, (_, i) => new TextEncoder().encode(`model ${round}.${i} ${'x'.repeat(64 + i)}`));
      const results = await Promise.allSettled(models.map((b) => publishModel(new FileStore(dir), b, { validate: false })));
      const ok: PublishResult[] = [];
      for (const r of results) {
        if (r.status === 'fulfilled') ok.push(r.value);
        else expect(r.reason, `round ${round}: a failed publish must be a store error with a message`).toBeInstanceOf(StoreError);
      }
      // nothing stops a publish here but another publish: all of them must land
      expect(ok, `round ${round}`).toHaveLength(n);
      publishes += ok.length;
      lost.push(...lostPublishes(await readManifest(new FileStore(dir)), ok.map((r) => r.entry)).map((l) => `round ${round}: ${l}`));
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`race: ${ROUNDS} rounds, ${publishes} publishes, ${lost.length} lost, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(lost).toEqual([]);
  });

  it(`${CLI_ROUNDS} rounds of 3 separate \`cner publish\` processes: 0 lost, every exit either "published vN" or non-zero`, async () => {
    const files = [1, 2, 3].map((seed) => {
      const p = join(tmp, `cli-m${seed}.cner`);
      writeFileSync(p, randomModel({ seed: 100 + seed }).bytes);
      return p;
    });
    const t0 = performance.now();
    const lost: string[] = [];
    let published = 0;
    for (let round = 0; round < CLI_ROUNDS; round++) {
      const dir = join(tmp, `cli-round-${round}`);
      leaveStaleLock(dir);
      const runs = await Promise.all(
        files.map(async (f) => {
          const c = spawnTs('test/store/fixtures/cli.ts', ['publish', f, '--to', `file://${dir}`]);
          c.child.stdin.end();
          return { code: await c.exit, ...c.io };
        }),
      );
      const m = await readManifest(new FileStore(dir));
      const reported: { sha256: string; version: number }[] = [];
      for (const r of runs) {
        const hit = /published v(\d+) \S+ sha256 ([0-9a-f]{16})…/.exec(r.out);
        if (r.code === 0) {
          expect(hit, `exit 0 must say what it published: ${r.out}${r.err}`).not.toBeNull();
          const full = m ? [m.current, ...m.history].find((e) => e.sha256.startsWith(hit![2])) : undefined;
          reported.push({ sha256: full?.sha256 ?? hit![2], version: Number(hit![1]) });
        } else {
          expect(r.out, 'a publisher that failed must not say it published').not.toMatch(/published v\d/);
          expect(r.err).toMatch(/cner publish: /);
        }
      }
      published += reported.length;
      lost.push(...lostPublishes(m, reported).map((l) => `round ${round}: ${l}`));
    }
    console.log(`race (CLI): ${CLI_ROUNDS} rounds × 3 processes, ${published} published, ${lost.length} lost, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(lost).toEqual([]);
    expect(published).toBeGreaterThan(0);
  });
});

