import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, LockHeldError, readLock, RETRAIN_LOCK_KEY, withLock } from '../../src/store/lock.js';
import { publishModel, readManifest } from '../../src/store/manifest.js';
import { allBackends } from './backends.js';

const enc = (s: string) => new TextEncoder().encode(s);

const at = (ms: number) => () => new Date(Date.UTC(2026, 0, 1) + ms);
const HOUR = 3_600_000;

for (const backend of allBackends()) {
  describe(`retrain lock on ${backend.name}`, () => {
    beforeAll(() => backend.start());
    afterAll(() => backend.stop());

    it('refuses a second holder, naming the first; free again after release', async () => {
      const store = await backend.open();
      const a = await acquireLock(store, { owner: 'host-a:1', ttlMs: HOUR, now: at(0) });
      expect(a.key).toBe(RETRAIN_LOCK_KEY);
      const rec = (await readLock(store))!;
      expect(rec).toMatchObject({ owner: 'host-a:1', startedAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z' });
      const err = await acquireLock(store, { owner: 'host-b:2', now: at(HOUR / 2) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockHeldError);
      expect((err as LockHeldError).holder?.owner).toBe('host-a:1');
      expect((err as Error).message).toMatch(/held by host-a:1 since 2026-01-01T00:00:00.000Z until 2026-01-01T01:00:00.000Z/);
      expect(await a.release()).toBe(true);
      expect(await readLock(store)).toBeNull();
      const b = await acquireLock(store, { owner: 'host-b:2', now: at(HOUR / 2) });
      expect((await readLock(store))!.owner).toBe('host-b:2');
      await b.release();
    });

    it('expires a stale lock; the old holder can then neither renew nor release it', async () => {
      const store = await backend.open();
      const a = await acquireLock(store, { owner: 'a', ttlMs: HOUR, now: at(0) });
      await expect(acquireLock(store, { owner: 'b', now: at(HOUR - 1) })).rejects.toBeInstanceOf(LockHeldError);
      const b = await acquireLock(store, { owner: 'b', ttlMs: HOUR, now: at(HOUR + 1) });
      expect((await readLock(store))!.owner).toBe('b');
      await expect(a.renew()).rejects.toThrow(/lost: no longer ours/);
      expect(await a.release()).toBe(false);
      expect((await readLock(store))!.owner).toBe('b'); // a's release did not remove b's lock
      expect(await b.release()).toBe(true);
    });

    it('a publish fenced by a lock that was taken over does not write the manifest', async () => {
      const store = await backend.open();
      const a = await acquireLock(store, { owner: 'a', ttlMs: HOUR, now: at(0) });
      const ok = await publishModel(store, enc('model one'), { validate: false, fence: () => a.renew() });
      expect(ok.entry.version).toBe(1);
      const b = await acquireLock(store, { owner: 'b', ttlMs: HOUR, now: at(2 * HOUR) }); // a's lease ran out
      await expect(publishModel(store, enc('model two'), { validate: false, fence: () => a.renew() })).rejects.toThrow(/lost: no longer ours/);
      expect((await readManifest(store))!.current.sha256).toBe(ok.entry.sha256);
      await b.release();
    });

    it('renew extends expiresAt so a long run keeps the lock', async () => {
      const store = await backend.open();
      let t = 0;
      const a = await acquireLock(store, { owner: 'a', ttlMs: HOUR, now: () => at(t)() });
      t = 0.9 * HOUR;
      await a.renew();
      expect(a.record.expiresAt).toBe(new Date(Date.UTC(2026, 0, 1) + 1.9 * HOUR).toISOString());
      expect((await readLock(store))!.renewedAt).toBe(at(0.9 * HOUR)().toISOString());
      await expect(acquireLock(store, { owner: 'b', now: at(1.5 * HOUR) })).rejects.toBeInstanceOf(LockHeldError);
      await a.release();
    });

    it('an unreadable lock object counts as stale', async () => {
      const store = await backend.open();
      await store.put(RETRAIN_LOCK_KEY, new TextEncoder().encode('not json'));
      const a = await acquireLock(store, { owner: 'a' });
      expect((await readLock(store))!.owner).toBe('a');
      await a.release();
    });

    it('of several runs starting at once exactly one gets the lock', async () => {
      const store = await backend.open();
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => acquireLock(store, { owner: `run-${i}`, ttlMs: HOUR })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockHeldError);
      const holder = (await readLock(store))!;
      expect((won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.record.token).toBe(holder.token);
    });

    it('withLock releases after the job, also when it throws', async () => {
      const store = await backend.open();
      await expect(withLock(store, { owner: 'job' }, async () => { throw new Error('training failed'); })).rejects.toThrow('training failed');
      expect(await readLock(store)).toBeNull();
      expect(await withLock(store, { owner: 'job' }, async (l) => l.record.owner)).toBe('job');
      expect(await readLock(store)).toBeNull();
    });
  });
}

describe('lock options', () => {
  it('validates owner and ttl', async () => {
    const { MemoryStore } = await import('../../src/store/memory.js');
    const s = new MemoryStore();
    await expect(acquireLock(s, { owner: '' })).rejects.toThrow(/owner must be 1..200 printable ASCII/);
    await expect(acquireLock(s, { owner: 'a', ttlMs: 0 })).rejects.toThrow(/ttlMs must be a positive number/);
  });
});
