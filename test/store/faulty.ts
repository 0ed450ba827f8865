/** A store wrapper that misbehaves on chosen puts: truncates, flips a byte, or throws. */
import type { ObjectStore, PutOptions } from '../../src/store/object-store.js';

export type Fault = 'truncate' | 'corrupt' | 'throw';

export function faulty(inner: ObjectStore, fault: Fault, when: (key: string) => boolean, before?: (key: string) => Promise<void>): ObjectStore & { hits: number } {
  const wrapper = {
    hits: 0,
    description: inner.description,
    conditionalWrites: inner.conditionalWrites,
    get: (k: string) => inner.get(k),
    head: (k: string) => inner.head(k),
    list: (p?: string) => inner.list(p),
    delete: (k: string) => inner.delete(k),
    async put(key: string, bytes: Uint8Array, options?: PutOptions) {
      if (!when(key)) return inner.put(key, bytes, options);
      wrapper.hits++;
      if (before) await before(key);
      if (fault === 'throw') throw new Error(`injected failure writing ${key}`);
      if (fault === 'truncate') return inner.put(key, bytes.slice(0, Math.floor(bytes.length / 2)), options);
      const bad = bytes.slice();
      bad[bad.length >> 1] ^= 0xff;
      return inner.put(key, bad, options);
    },
  };
  return wrapper;
}

/** Overwrites a stored object with one byte flipped (damage after a good publish). */
export async function damage(store: ObjectStore, key: string): Promise<void> {
  const bytes = await store.get(key);
  if (!bytes) throw new Error(`damage: ${key} not found`);
  const bad = bytes.slice();
  bad[bad.length >> 1] ^= 0x01;
  await store.put(key, bad);
}
