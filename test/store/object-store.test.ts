import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModel } from '../helpers/random-model.js';
import { FileStore } from '../../src/store/file.js';
import { currentModel, MANIFEST_KEY, publishModel, readManifest } from '../../src/store/manifest.js';
import { MemoryStore } from '../../src/store/memory.js';
import { assertValidKey, PreconditionFailedError, probeConditionalWrites, withPrefix, type ObjectStore } from '../../src/store/object-store.js';
import { S3Store } from '../../src/store/s3.js';
import { allBackends, s3Client, startS3rver } from './backends.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

for (const backend of allBackends()) {
  describe(`ObjectStore contract on ${backend.name}`, () => {
    beforeAll(() => backend.start());
    afterAll(() => backend.stop());

    it(`probeConditionalWrites says ${backend.conditional} and leaves nothing behind`, async () => {
      // (s3rver with the conditions sent, as openStore does by default: test/store/cli.test.ts)
      const store = await backend.open();
      expect(await probeConditionalWrites(store)).toBe(backend.conditional);
      expect(await store.list()).toEqual([]);
    });

    it('put / get / head / list / delete', async () => {
      const store = await backend.open();
      expect(await store.get('a/b.txt')).toBeNull();
      expect(await store.head('a/b.txt')).toBeNull();
      const bytes = new Uint8Array(70_000).map((_, i) => (i * 2654435761) >>> 24); // [70000]
      const r = await store.put('a/b.bin', bytes, { contentType: 'application/octet-stream', metadata: { sha256: 'abc', 'x-y': '1' } });
      await store.put('a/c.txt', enc('hello'));
      await store.put('z.txt', enc('z'));
      expect(Buffer.from((await store.get('a/b.bin'))!).equals(Buffer.from(bytes))).toBe(true);
      const info = (await store.head('a/b.bin'))!;
      expect(info.key).toBe('a/b.bin');
      expect(info.size).toBe(70_000);
      expect(info.metadata).toEqual({ sha256: 'abc', 'x-y': '1' });
      expect(info.contentType).toBe('application/octet-stream');
      expect(info.etag).toBe(r.etag);
      expect((await store.list('a/')).map((o) => [o.key, o.size])).toEqual([['a/b.bin', 70_000], ['a/c.txt', 5]]);
      expect((await store.list()).map((o) => o.key)).toEqual(['a/b.bin', 'a/c.txt', 'z.txt']);
      // overwrite changes the etag
      const r2 = await store.put('a/c.txt', enc('world'));
      expect(r2.etag).not.toBe(null);
      expect((await store.head('a/c.txt'))!.etag).toBe(r2.etag);
      expect(dec(await store.get('a/c.txt'))).toBe('world');
      await store.delete('a/c.txt');
      await store.delete('a/never-there');
      expect(await store.get('a/c.txt')).toBeNull();
      expect((await store.list('a/')).map((o) => o.key)).toEqual(['a/b.bin']);
    });

    it(`conditional writes ${backend.conditional ? 'are enforced' : 'are not enforced (store says conditionalWrites: false)'}`, async () => {
      const store = await backend.open();
      expect(store.conditionalWrites).toBe(backend.conditional);
      const first = await store.put('k.json', enc('1'), { ifNoneMatch: '*' });
      if (backend.conditional) {
        await expect(store.put('k.json', enc('2'), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
        await expect(store.put('k.json', enc('3'), { ifMatch: 'not-the-etag' })).rejects.toBeInstanceOf(PreconditionFailedError);
        await expect(store.put('absent.json', enc('3'), { ifMatch: first.etag! })).rejects.toBeInstanceOf(PreconditionFailedError);
        expect(dec(await store.get('k.json'))).toBe('1');
        const second = await store.put('k.json', enc('4'), { ifMatch: first.etag! });
        expect(dec(await store.get('k.json'))).toBe('4');
        await expect(store.put('k.json', enc('5'), { ifMatch: first.etag! })).rejects.toThrow(/conditional write of (t[\d-]+\/)?k.json refused/);
        expect(second.etag).not.toBe(first.etag);
      } else {
        await store.put('k.json', enc('2'), { ifNoneMatch: '*' });
        expect(dec(await store.get('k.json'))).toBe('2');
      }
    });

    it('validates keys and options with messages that name the problem', async () => {
      const store = await backend.open();
      await expect(store.get('../etc/passwd')).rejects.toThrow(/segments .* got "..\/etc\/passwd"/);
      await expect(store.put('a//b', enc('x'))).rejects.toThrow(/none empty/);
      await expect(store.put('ok', 'text' as unknown as Uint8Array)).rejects.toThrow(/expected bytes as a Uint8Array, got string/);
      await expect(store.put('ok', enc('x'), { metadata: { Name: 'x' } })).rejects.toThrow(/metadata keys must match/);
      await expect(store.put('ok', enc('x'), { metadata: { name: '病历' } })).rejects.toThrow(/printable ASCII \(length 2\)/);
    });
  });
}

describe('FileStore specifics', () => {
  it('writes atomically (no temp files left), hides its sidecars, refuses reserved keys', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'cner-fs-'));
    const store = new FileStore(dir);
    await store.put('models/x.cner', enc('model'), { metadata: { sha256: 'x' } });
    await store.put('manifest.json', enc('{}'), { ifNoneMatch: '*' });
    expect(readdirSync(join(dir, 'models'))).toEqual(['x.cner']);
    expect(readdirSync(dir).sort()).toEqual(['.locks', '.meta', 'manifest.json', 'models']);
    expect((await store.list()).map((o) => o.key)).toEqual(['manifest.json', 'models/x.cner']);
    await expect(store.put('.locks', enc('x'))).rejects.toThrow(/reserved/);
    // many concurrent conditional creates: exactly one wins (the store's write lock serialises them)
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.put('once.json', enc(String(i)), { ifNoneMatch: '*' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    // the lock folder keeps only whole generation files (no temp files), the newest one released
    const gens = readdirSync(join(dir, '.locks')).sort();
    expect(gens.every((g) => /^[0-9]{12}$/.test(g))).toBe(true);
    expect(gens.length).toBeLessThanOrEqual(2);
    expect(JSON.parse(readFileSync(join(dir, '.locks', gens.at(-1)!), 'utf8'))).toMatchObject({ released: true });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('S3Store against s3rver specifics', () => {
  const models = [1, 2].map((seed) => randomModel({ seed }).bytes);

  it('the server going away mid-publish leaves the old manifest and model intact', async () => {
    for (const when of ['after the model upload', 'before the manifest write'] as const) {
      const s1 = await startS3rver();
      const c1 = s3Client(s1.endpoint, 1);
      const store1 = new S3Store({ bucket: 'models', client: c1, conditionalWrites: false });
      const a = await publishModel(store1, models[0]);
      let stopped = false;
      const stopping: ObjectStore = {
        ...store1,
        description: store1.description,
        conditionalWrites: false,
        get: (k) => store1.get(k),
        head: (k) => store1.head(k),
        list: (p) => store1.list(p),
        delete: (k) => store1.delete(k),
        put: async (key, bytes, options) => {
          if (when === 'after the model upload' && key.startsWith('models/')) {
            const r = await store1.put(key, bytes, options);
            await s1.server.close();
            stopped = true;
            return r;
          }
          if (when === 'before the manifest write' && key === MANIFEST_KEY) {
            await s1.server.close();
            stopped = true;
          }
          return store1.put(key, bytes, options);
        },
      };
      await expect(publishModel(stopping, models[1]), when).rejects.toThrow();
      expect(stopped).toBe(true);
      c1.destroy();

      // the same data directory served again
      const s2 = await startS3rver(s1.directory);
      const c2 = s3Client(s2.endpoint);
      const store2 = new S3Store({ bucket: 'models', client: c2, conditionalWrites: false });
      const m = (await readManifest(store2))!;
      expect(m.current.sha256, when).toBe(a.entry.sha256);
      expect(m.history).toEqual([]);
      const cur = (await currentModel(store2))!;
      expect(Buffer.from(cur.bytes).equals(Buffer.from(models[0]))).toBe(true);
      c2.destroy();
      await s2.server.close();
      rmSync(s1.directory, { recursive: true, force: true });
    }
  });

  it('If-Match / If-None-Match headers are accepted by the server (conditionalWrites: true)', async () => {
    const s = await startS3rver();
    const c = s3Client(s.endpoint);
    const store = withPrefix(new S3Store({ bucket: 'models', client: c }), 'p');
    expect(store.conditionalWrites).toBe(true);
    const a = await publishModel(store, models[0]);
    const b = await publishModel(store, models[1]);
    expect((await readManifest(store))!.history[0].sha256).toBe(a.entry.sha256);
    expect((await currentModel(store))!.entry.sha256).toBe(b.entry.sha256);
    c.destroy();
    await s.server.close();
    rmSync(s.directory, { recursive: true, force: true });
  });
});

describe('key rules and prefixes', () => {
  it('assertValidKey', () => {
    expect(() => assertValidKey('models/abc.cner')).not.toThrow();
    for (const bad of ['', '/a', 'a/', 'a/../b', 'a b', 'a\\b', 'x'.repeat(1025)]) expect(() => assertValidKey(bad), bad).toThrow(TypeError);
  });

  it('withPrefix maps keys both ways', async () => {
    const inner = new MemoryStore();
    const s = withPrefix(inner, 'prod');
    await s.put('manifest.json', enc('{}'));
    expect((await inner.list()).map((o) => o.key)).toEqual(['prod/manifest.json']);
    expect((await s.list()).map((o) => o.key)).toEqual(['manifest.json']);
    expect((await s.head('manifest.json'))!.key).toBe('manifest.json');
    expect(s.description).toBe('memory://prod/');
  });
});
