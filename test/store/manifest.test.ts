import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModel } from '../helpers/random-model.js';
import { readModel } from '../../src/model/format.js';
import { sha256Hex } from '../../src/store/hash.js';
import {
  currentModel,
  fetchVerifiedModel,
  MANIFEST_KEY,
  modelKey,
  parseManifest,
  publishModel,
  readManifest,
  rollback,
} from '../../src/store/manifest.js';
import { ManifestError, ObjectIntegrityError } from '../../src/store/object-store.js';
import { allBackends } from './backends.js';
import { damage, faulty } from './faulty.js';

// real model files (H2's writer), distinct by seed
const models = [1, 2, 3].map((seed) => randomModel({ seed }).bytes);
const metrics = (microF1: number) => ({ split: 'split-a', microF1, perType: { BODY: { f1: microF1, support: 10 } } });

for (const backend of allBackends()) {
  describe(`manifest on ${backend.name}`, () => {
    beforeAll(() => backend.start());
    afterAll(() => backend.stop());

    it('publish: uploads content-addressed, writes the manifest, reads back verified', async () => {
      const store = await backend.open();
      expect(await readManifest(store)).toBeNull();
      expect(await currentModel(store)).toBeNull();

      const r = await publishModel(store, models[0], { metrics: metrics(0.8), note: 'first' });
      const sha = await sha256Hex(models[0]);
      expect(sha).toBe(readModel(models[0]).sha256);
      expect(r.changed).toBe(true);
      expect(r.uploaded).toBe(true);
      expect(r.previous).toBeNull();
      expect(r.entry).toMatchObject({ sha256: sha, key: `models/${sha}.cner`, size: models[0].length, version: 1, name: 'random-test-model', note: 'first' });

      const m = await readManifest(store);
      expect(m?.schema).toBe(1);
      expect(m?.current.sha256).toBe(sha);
      expect(m?.current.metrics?.microF1).toBe(0.8);
      expect(m?.history).toEqual([]);

      const info = await store.head(modelKey(sha));
      expect(info?.size).toBe(models[0].length);
      expect(info?.metadata.sha256).toBe(sha);
      const cur = await currentModel(store);
      expect(cur?.entry.sha256).toBe(sha);
      expect(await sha256Hex(cur!.bytes)).toBe(sha);
      expect(Buffer.from(cur!.bytes).equals(Buffer.from(models[0]))).toBe(true);
      expect((await store.list('models/')).map((o) => o.key)).toEqual([modelKey(sha)]);
    });

    it('a second publish goes to the top, the first to history; re-publishing the current is a no-op', async () => {
      const store = await backend.open();
      const a = await publishModel(store, models[0], { metrics: metrics(0.8) });
      const b = await publishModel(store, models[1], { metrics: metrics(0.82), name: 'second' });
      expect(b.previous?.sha256).toBe(a.entry.sha256);
      const m = (await readManifest(store))!;
      expect(m.current).toMatchObject({ sha256: b.entry.sha256, version: 2, name: 'second' });
      expect(m.history.map((e) => e.sha256)).toEqual([a.entry.sha256]);
      expect((await currentModel(store))!.entry.version).toBe(2);

      const again = await publishModel(store, models[1]);
      expect(again.changed).toBe(false);
      expect(again.uploaded).toBe(false);
      expect((await readManifest(store))!.updatedAt).toBe(m.updatedAt);
    });

    it('rollback points the manifest back (default: previous; by version; by sha prefix)', async () => {
      const store = await backend.open();
      const a = await publishModel(store, models[0]);
      const b = await publishModel(store, models[1]);
      const c = await publishModel(store, models[2]);

      const r1 = await rollback(store);
      expect(r1.changed).toBe(true);
      expect(r1.previous.sha256).toBe(c.entry.sha256);
      expect(r1.entry.sha256).toBe(b.entry.sha256);
      expect(r1.entry.restoredAt).toBeDefined();
      let m = (await readManifest(store))!;
      expect(m.current.sha256).toBe(b.entry.sha256);
      expect(m.history.map((e) => e.version)).toEqual([3, 1]);

      await rollback(store, { version: 1 });
      m = (await readManifest(store))!;
      expect(m.current.sha256).toBe(a.entry.sha256);
      expect(m.current.version).toBe(1);
      expect(m.history.map((e) => e.version)).toEqual([2, 3]);
      expect((await currentModel(store))!.entry.sha256).toBe(a.entry.sha256);

      await rollback(store, { sha: c.entry.sha256.slice(0, 10) });
      expect((await readManifest(store))!.current.sha256).toBe(c.entry.sha256);

      const same = await rollback(store, { version: 3 });
      expect(same.changed).toBe(false);
      await expect(rollback(store, { version: 9 })).rejects.toThrow(/no entry with version 9.*available: v3/);

      // a new publish after rollbacks numbers on from the highest version
      const d = await publishModel(store, models[1]);
      expect(d.entry.version).toBe(4);
      expect((await readManifest(store))!.history.map((e) => e.version)).toEqual([3, 1]);
    });

    it('rollback with nothing published or no history is refused', async () => {
      const store = await backend.open();
      await expect(rollback(store)).rejects.toBeInstanceOf(ManifestError);
      await publishModel(store, models[0]);
      await expect(rollback(store)).rejects.toThrow(/history is empty/);
    });

    for (const fault of ['truncate', 'corrupt'] as const) {
      it(`an upload that is ${fault === 'truncate' ? 'truncated' : 'corrupted'} on the way leaves the manifest unchanged`, async () => {
        const store = await backend.open();
        const a = await publishModel(store, models[0]);
        const before = await store.get(MANIFEST_KEY);
        const bad = faulty(store, fault, (k) => k.startsWith('models/'));
        const err = await publishModel(bad, models[1]).catch((e: unknown) => e);
        expect(bad.hits).toBe(1);
        expect(err).toBeInstanceOf(ObjectIntegrityError);
        expect(String(err)).toMatch(fault === 'truncate' ? /bytes after upload/ : /read-back after upload failed.*sha256/);
        expect(String(err)).toMatch(/manifest left unchanged/);
        expect(Buffer.from((await store.get(MANIFEST_KEY))!).equals(Buffer.from(before!))).toBe(true);
        const cur = await currentModel(store);
        expect(cur!.entry.sha256).toBe(a.entry.sha256);
        expect(Buffer.from(cur!.bytes).equals(Buffer.from(models[0]))).toBe(true);

        // a later honest publish of the same bytes repairs the damaged object
        const fixed = await publishModel(store, models[1]);
        expect(fixed.uploaded).toBe(true);
        expect((await currentModel(store))!.entry.sha256).toBe(fixed.entry.sha256);
      });
    }

    it('a failing manifest write leaves the old manifest and the old verified model', async () => {
      const store = await backend.open();
      const a = await publishModel(store, models[0]);
      const bad = faulty(store, 'throw', (k) => k === MANIFEST_KEY);
      await expect(publishModel(bad, models[1])).rejects.toThrow(/injected failure writing manifest.json/);
      const m = (await readManifest(store))!;
      expect(m.current.sha256).toBe(a.entry.sha256);
      expect(m.history).toEqual([]);
      expect((await currentModel(store))!.entry.sha256).toBe(a.entry.sha256);
    });

    it('a model object damaged in the store is refused by currentModel and by rollback', async () => {
      const store = await backend.open();
      const a = await publishModel(store, models[0]);
      await publishModel(store, models[1]);
      await damage(store, a.entry.key);
      await expect(rollback(store)).rejects.toThrow(/expected sha256 .* got .*refusing a corrupted model/);
      expect((await readManifest(store))!.current.version).toBe(2); // rollback did not move the manifest

      const cur = (await readManifest(store))!.current;
      await damage(store, cur.key);
      const err = await currentModel(store).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectIntegrityError);
      expect((err as Error).message).toContain(`expected sha256 ${cur.sha256}`);

      await store.delete(cur.key);
      await expect(currentModel(store)).rejects.toThrow(/missing from/);
      await expect(fetchVerifiedModel(store, cur)).rejects.toBeInstanceOf(ObjectIntegrityError);
    });

    it('a corrupt manifest stops a publish before anything is overwritten', async () => {
      const store = await backend.open();
      await store.put(MANIFEST_KEY, new TextEncoder().encode('{"schema": 1, "current": '));
      await expect(publishModel(store, models[0])).rejects.toThrow(/manifest.json: not valid JSON/);
      expect(await store.list('models/')).toEqual([]);
      expect(new TextDecoder().decode((await store.get(MANIFEST_KEY))!)).toBe('{"schema": 1, "current": ');
    });

    it(`a concurrent manifest change during publish is ${backend.conditional ? 'merged (compare-and-swap retry)' : 'lost (no conditional writes: documented race, the lock guards it)'}`, async () => {
      const store = await backend.open();
      await publishModel(store, models[0]);
      let other = '';
      // just before our manifest write, another publisher moves the manifest
      const racing = faulty(store, 'corrupt', () => false);
      let once = true;
      racing.put = async (key, bytes, options) => {
        if (key === MANIFEST_KEY && once) {
          once = false;
          other = (await publishModel(store, models[2])).entry.sha256;
        }
        return store.put(key, bytes, options);
      };
      const ours = await publishModel(racing, models[1]);
      const m = (await readManifest(store))!;
      expect(m.current.sha256).toBe(ours.entry.sha256);
      if (backend.conditional) {
        expect(ours.entry.version).toBe(3);
        expect(m.history.map((e) => e.sha256)).toEqual([other, (await sha256Hex(models[0]))]);
      } else {
        expect(ours.entry.version).toBe(2);
        expect(m.history.map((e) => e.sha256)).not.toContain(other);
      }
    });
  });
}

describe('publish reads the manifest back', () => {
  it('on a store without conditional writes, a publish whose manifest write was overwritten fails loudly', async () => {
    const { MemoryStore } = await import('../../src/store/memory.js');
    const inner = new MemoryStore();
    await publishModel(inner, models[0]);
    // a store that ignores conditions; another publisher's manifest write lands right after ours
    let once = true;
    const racing = {
      ...faulty(inner, 'corrupt', () => false),
      conditionalWrites: false,
      async put(key: string, bytes: Uint8Array, options?: Parameters<typeof inner.put>[2]) {
        if (key !== MANIFEST_KEY || !once) return inner.put(key, bytes, {});
        once = false;
        // the other publisher read the manifest before our write and writes its own right after it
        const before = (await inner.get(MANIFEST_KEY))!;
        const r = await inner.put(key, bytes, {});
        await inner.put(MANIFEST_KEY, before);
        await publishModel(inner, models[2]);
        void options;
        return r;
      },
    };
    const err = await publishModel(racing, models[1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toMatch(/^publish lost a race: another publisher rewrote manifest\.json in memory:\/\/ at the same time and v2 \(sha256 [0-9a-f]{16}…\) is not in it \(this store does not enforce conditional writes\)/);
  });
});

describe('manifest validation', () => {
  it('refuses bytes that are not a model file unless validate: false', async () => {
    const { MemoryStore } = await import('../../src/store/memory.js');
    const store = new MemoryStore();
    const junk = crypto.getRandomValues(new Uint8Array(1000));
    await expect(publishModel(store, junk)).rejects.toThrow(/model file: .*BAD_MAGIC/);
    expect(await store.list()).toEqual([]);
    const r = await publishModel(store, junk, { validate: false });
    expect(r.entry.name).toBe(`model-${r.entry.sha256.slice(0, 8)}`);
    await expect(publishModel(store, new Uint8Array(0))).rejects.toThrow(/non-empty Uint8Array, got 0 bytes/);
    await expect(publishModel(store, models[0], { metrics: { microF1: 1.5 } })).rejects.toThrow(/metrics.microF1: expected a number in \[0, 1\], got 1.5/);
  });

  it('parseManifest names the bad field', () => {
    const sha = 'a'.repeat(64);
    const entry = { sha256: sha, key: `models/${sha}.cner`, size: 10, name: 'm', version: 1, publishedAt: '2026-01-01T00:00:00Z', metrics: null };
    const ok = { schema: 1, updatedAt: '2026-01-01T00:00:00Z', current: entry, history: [] };
    expect(parseManifest(JSON.stringify(ok)).current.sha256).toBe(sha);
    expect(() => parseManifest(JSON.stringify({ ...ok, schema: 2 }))).toThrow(/expected schema 1, got 2/);
    expect(() => parseManifest(JSON.stringify({ ...ok, current: { ...entry, key: 'models/x.cner' } }))).toThrow(/current.key: expected "models\/a{64}.cner"/);
    expect(() => parseManifest(JSON.stringify({ ...ok, history: [{ ...entry, size: -1 }] }))).toThrow(/history\[0\].size: expected a positive integer, got -1/);
    expect(() => parseManifest(new Uint8Array([0xff, 0xfe]))).toThrow(/not valid UTF-8/);
  });
});
