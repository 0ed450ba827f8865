/**
 * ModelSource (src/hosts/http/model-source.ts) on a MemoryStore with a fake clock: the check interval, the swap
 * only after verification, refusals, an unreachable store, the fallback, and concurrent callers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelSource } from '../../src/hosts/http/model-source.js';
import { MANIFEST_KEY, MemoryStore, modelKey, publishModel, serializeManifest, sha256Hex, type ObjectStore } from '../../src/store/index.js';
import { lookupModel, randomModel } from '../helpers/random-model.js';

const kernels = readFileSync(new URL('../../build/kernels.wasm', import.meta.url));
const model = (strength: number) => lookupModel({ tagOf: { 腹: 'B-BODY', 痛: 'B-SIGNS' }, chars: '患者', strength }).bytes;
const fallbackBytes = randomModel({ seed: 5, extra: { name: 'fallback' } }).bytes;

/** A store that counts calls and can be switched off. */
class CountingStore implements ObjectStore {
  readonly description = 'counting://';
  readonly conditionalWrites = true;
  heads = 0;
  gets = 0;
  down = false;
  constructor(readonly inner = new MemoryStore()) {}
  private check() {
    if (this.down) throw new Error('connection refused');
  }
  async head(key: string) {
    this.check();
    this.heads++;
    return this.inner.head(key);
  }
  async get(key: string) {
    this.check();
    this.gets++;
    return this.inner.get(key);
  }
  put(...a: Parameters<ObjectStore['put']>) {
    return this.inner.put(...a);
  }
  list(prefix?: string) {
    return this.inner.list(prefix);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
}

function setup(options: { interval?: number; retry?: number; fallback?: boolean } = {}) {
  const store = new CountingStore();
  let clock = 1_000_000;
  const lines: string[] = [];
  const source = new ModelSource({
    kernels,
    store,
    fallback: options.fallback === false ? null : { bytes: fallbackBytes, source: 'bundled' },
    checkIntervalMs: options.interval ?? 30_000,
    refusedRetryMs: options.retry ?? 300_000,
    now: () => clock,
    log: (_level, line) => void lines.push(line),
  });
  return { store, source, lines, advance: (ms: number) => void (clock += ms) };
}

async function writeBadManifest(store: ObjectStore, named: Uint8Array, stored: Uint8Array | null): Promise<string> {
  const sha256 = await sha256Hex(named);
  const key = modelKey(sha256);
  const at = new Date(0).toISOString();
  if (stored) await store.put(key, stored);
  await store.put(
    MANIFEST_KEY,
    serializeManifest({ schema: 1, updatedAt: at, current: { sha256, key, size: named.length, name: 'x', version: 50, publishedAt: at, metrics: null }, history: [] }),
  );
  return sha256;
}

describe('ModelSource', () => {
  it('validates its options', () => {
    expect(() => new ModelSource({ kernels: undefined as never, fallback: { bytes: fallbackBytes, source: 'b' } })).toThrow(/kernels/);
    expect(() => new ModelSource({ kernels })).toThrow(/store, a fallback/);
    expect(() => new ModelSource({ kernels, store: new MemoryStore(), checkIntervalMs: -1 })).toThrow(/checkIntervalMs/);
  });

  it('serves the fallback from an empty store and the store\'s model once published — at the next due check only', async () => {
    const { store, source, advance } = setup();
    const first = await source.get();
    expect(first.source).toBe('bundled');
    expect(first.name).toBe('fallback');

    const { entry } = await publishModel(store.inner, model(8));
    advance(29_999);
    const heads = store.heads;
    expect((await source.get()).source).toBe('bundled'); // not due yet: no store call at all
    expect(store.heads).toBe(heads);
    advance(1);
    const m = await source.get();
    expect(m).toMatchObject({ source: 'r2', sha256: entry.sha256, release: { version: 1 } });
    expect(store.heads).toBe(heads + 1);
  });

  it('an unchanged manifest costs one HEAD per check and no GET', async () => {
    const { store, source, advance } = setup();
    await publishModel(store.inner, model(8));
    await source.get();
    const gets = store.gets;
    for (let i = 0; i < 5; i++) {
      advance(30_000);
      await source.get();
    }
    expect(store.gets).toBe(gets);
  });

  it('swaps to a new model, and keeps the old one when the new one is refused (not retried before refusedRetryMs)', async () => {
    const { store, source, advance, lines } = setup({ interval: 0, retry: 60_000 });
    const { entry: a } = await publishModel(store.inner, model(8));
    expect((await source.get()).sha256).toBe(a.sha256);
    const { entry: b } = await publishModel(store.inner, model(9));
    expect((await source.get()).sha256).toBe(b.sha256);

    const c = model(10);
    const bad = c.slice();
    bad[200] ^= 1;
    const shaC = await writeBadManifest(store.inner, c, bad);
    expect((await source.get()).sha256).toBe(b.sha256);
    expect(source.status()).toMatchObject({ refused: 1, lastRefused: shaC, sha256: b.sha256 });
    expect(lines.some((l) => l.includes(`refused model ${shaC}`) && l.includes(`still serving ${b.sha256}`))).toBe(true);

    const gets = store.gets;
    await source.get();
    await source.get();
    expect(store.gets).toBe(gets); // same manifest etag: not fetched again
    // the object is repaired (re-uploaded) without a manifest change: picked up after refusedRetryMs
    await store.inner.put(modelKey(shaC), c);
    advance(59_999);
    expect((await source.get()).sha256).toBe(b.sha256);
    advance(1);
    expect((await source.get()).sha256).toBe(shaC);
  });

  it('refuses a manifest model that is not a model file (ModelFormatError) and a missing object', async () => {
    const { store, source } = setup({ interval: 0 });
    const { entry: a } = await publishModel(store.inner, model(8));
    await source.get();
    const junk = new Uint8Array(300).fill(7);
    await writeBadManifest(store.inner, junk, junk);
    expect((await source.get()).sha256).toBe(a.sha256);
    await writeBadManifest(store.inner, model(11), null);
    expect((await source.get()).sha256).toBe(a.sha256);
    expect(source.status().refused).toBe(2);
  });

  it('keeps serving while the store is unreachable, and retries at the next check', async () => {
    const { store, source, lines } = setup({ interval: 0 });
    const { entry: a } = await publishModel(store.inner, model(8));
    await source.get();
    store.down = true;
    const { entry: b } = await publishModel(store.inner, model(9));
    expect((await source.get()).sha256).toBe(a.sha256);
    expect(lines.some((l) => l.includes('store unreachable (Error)'))).toBe(true);
    store.down = false;
    expect((await source.get()).sha256).toBe(b.sha256);
  });

  it('starts on the fallback when the store is unreachable at first use', async () => {
    const { store, source } = setup({ interval: 0 });
    await publishModel(store.inner, model(8));
    store.down = true;
    expect((await source.get()).source).toBe('bundled');
    store.down = false;
    expect((await source.get()).source).toBe('r2');
  });

  it('goes back to the fallback when the manifest disappears', async () => {
    const { store, source } = setup({ interval: 0 });
    await publishModel(store.inner, model(8));
    expect((await source.get()).source).toBe('r2');
    await store.inner.delete(MANIFEST_KEY);
    expect((await source.get()).source).toBe('bundled');
  });

  it('rejects when there is neither a store model nor a fallback, and recovers once one is published', async () => {
    const { store, source } = setup({ interval: 0, fallback: false });
    await expect(source.get()).rejects.toThrow(/no model could be loaded/);
    const { entry } = await publishModel(store.inner, model(8));
    expect((await source.get()).sha256).toBe(entry.sha256);
  });

  it('concurrent first callers share one load; callers during a check get the model in use', async () => {
    const { store, source } = setup({ interval: 0 });
    const { entry: a } = await publishModel(store.inner, model(8));
    const all = await Promise.all(Array.from({ length: 10 }, () => source.get()));
    expect(new Set(all.map((m) => m.tagger)).size).toBe(1);
    expect(store.gets).toBe(2); // manifest + model, once
    await publishModel(store.inner, model(9));
    const [first, ...rest] = await Promise.all(Array.from({ length: 5 }, () => source.get()));
    expect(first.sha256).not.toBe(a.sha256); // the caller that started the check waited for it
    for (const m of rest) expect(m.sha256).toBe(a.sha256); // the others were served meanwhile
  });
});
