/**
 * An in-memory ObjectStore (platform-neutral): for tests and for hosts that want a scratch store.
 * Enforces conditional writes. Each put makes a new etag.
 */
import {
  assertValidKey,
  assertValidPrefix,
  checkPutOptions,
  PreconditionFailedError,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type PutResult,
} from './object-store.js';

interface Entry {
  bytes: Uint8Array;
  etag: string;
  lastModified: Date;
  contentType: string | null;
  metadata: Record<string, string>;
}

export class MemoryStore implements ObjectStore {
  readonly description = 'memory://';
  readonly conditionalWrites = true;
  private readonly objects = new Map<string, Entry>();
  private counter = 0;

  async get(key: string): Promise<Uint8Array | null> {
    assertValidKey(key);
    const e = this.objects.get(key);
    return e ? e.bytes.slice() : null;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    const e = this.objects.get(key);
    if (!e) return null;
    return { key, size: e.bytes.length, etag: e.etag, lastModified: e.lastModified, contentType: e.contentType, metadata: { ...e.metadata } };
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    const o = checkPutOptions(key, bytes, options);
    const existing = this.objects.get(key);
    if (o.ifNoneMatch === '*' && existing) throw new PreconditionFailedError(key, 'an object already exists');
    if (o.ifMatch !== undefined && existing?.etag !== o.ifMatch) {
      throw new PreconditionFailedError(key, existing ? 'the stored etag differs' : 'no object exists');
    }
    const etag = `m${++this.counter}`;
    this.objects.set(key, { bytes: bytes.slice(), etag, lastModified: new Date(), contentType: o.contentType ?? null, metadata: o.metadata ?? {} });
    return { etag };
  }

  async list(prefix = ''): Promise<ListedObject[]> {
    assertValidPrefix(prefix);
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, e]) => ({ key, size: e.bytes.length, etag: e.etag, lastModified: e.lastModified }));
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    this.objects.delete(key);
  }
}
