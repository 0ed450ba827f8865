/**
 * The small object-storage interface every backend implements (S3 / R2 through the S3 API, an R2 binding
 * inside a Worker, a local directory, memory) and the errors they share.
 *
 * Platform-neutral: no `node:` imports. The Node-only adapters live in `s3.ts`, `file.ts` and `open.ts`.
 */

/** What `head` tells about a stored object. */
export interface ObjectInfo {
  key: string;
  /** size in bytes */
  size: number;
  /** opaque version tag; pass it back as `ifMatch` to replace exactly this version (null: backend gave none) */
  etag: string | null;
  lastModified: Date | null;
  contentType: string | null;
  /** user metadata (keys lower-case) */
  metadata: Record<string, string>;
}

/** One row of `list`. */
export interface ListedObject {
  key: string;
  size: number;
  etag: string | null;
  lastModified: Date | null;
}

export interface PutOptions {
  contentType?: string;
  /** user metadata: keys `[a-z0-9-]`, values printable ASCII (S3 sends them as HTTP headers) */
  metadata?: Record<string, string>;
  /** write only if the stored object's etag is this one (compare-and-swap) */
  ifMatch?: string;
  /** `'*'`: write only if no object exists under the key (create-if-absent) */
  ifNoneMatch?: '*';
}

export interface PutResult {
  /** etag of the version just written (null when the backend does not return one) */
  etag: string | null;
}

export interface ObjectStore {
  /** where this store points, for messages (never contains credentials) */
  readonly description: string;
  /**
   * true when `ifMatch` / `ifNoneMatch` are enforced by the backend. When false they are ignored and the
   * callers (manifest, lock) fall back to read-back checks; see docs/store.md for the race this leaves.
   */
  readonly conditionalWrites: boolean;
  /** the object's bytes, or null when absent */
  get(key: string): Promise<Uint8Array | null>;
  /** the object's info, or null when absent */
  head(key: string): Promise<ObjectInfo | null>;
  /** stores `bytes` under `key`; throws PreconditionFailedError when a condition does not hold */
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult>;
  /** every object whose key starts with `prefix`, sorted by key */
  list(prefix?: string): Promise<ListedObject[]>;
  /** removes the object; no error when it is absent */
  delete(key: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------- errors

export type StoreErrorCode = 'PRECONDITION_FAILED' | 'INTEGRITY' | 'MANIFEST' | 'LOCK_HELD' | 'NOT_FOUND' | 'INVALID';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** A conditional write (`ifMatch` / `ifNoneMatch`) found the object in another state. */
export class PreconditionFailedError extends StoreError {
  readonly key: string;
  constructor(key: string, detail: string) {
    super('PRECONDITION_FAILED', `conditional write of ${key} refused: ${detail}`);
    this.name = 'PreconditionFailedError';
    this.key = key;
  }
}

/** A stored object does not match what the manifest (or the upload) says it should be. */
export class ObjectIntegrityError extends StoreError {
  readonly key: string;
  constructor(key: string, detail: string) {
    super('INTEGRITY', `object ${key} failed verification: ${detail}`);
    this.name = 'ObjectIntegrityError';
    this.key = key;
  }
}

/** The manifest is unreadable, or an operation on it cannot be done (e.g. nothing to roll back to). */
export class ManifestError extends StoreError {
  constructor(message: string) {
    super('MANIFEST', message);
    this.name = 'ManifestError';
  }
}

// ---------------------------------------------------------------------------------------------- keys

const KEY_SEGMENT = /^[A-Za-z0-9!_.*'()\-=+,@]+$/;

/**
 * Checks an object key: `/`-separated segments of `[A-Za-z0-9!_.*'()-=+,@]`, none empty, `.` or `..`,
 * at most 1024 characters. Throws naming the rule that failed (keys never hold patient text).
 */
export function assertValidKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`${what}: expected a string, got ${typeof key}`);
  if (key.length === 0 || key.length > 1024) {
    throw new TypeError(`${what}: expected 1..1024 characters, got ${key.length}`);
  }
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || !KEY_SEGMENT.test(segment)) {
      throw new TypeError(
        `${what}: expected '/'-separated segments of [A-Za-z0-9!_.*'()-=+,@] (none empty, '.' or '..'), ` +
          `got ${JSON.stringify(key)}`,
      );
    }
  }
}

/** Checks a list prefix: '' or a key prefix (may end with '/'). */
export function assertValidPrefix(prefix: unknown, what = 'prefix'): asserts prefix is string {
  if (typeof prefix !== 'string') throw new TypeError(`${what}: expected a string, got ${typeof prefix}`);
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, what);
}

/** Checks put options; returns them normalised (metadata copied). */
export function checkPutOptions(key: string, bytes: unknown, options: PutOptions | undefined): PutOptions {
  assertValidKey(key);
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`put ${key}: expected bytes as a Uint8Array, got ${describeValue(bytes)}`);
  }
  const o = options ?? {};
  if (o.contentType !== undefined && (typeof o.contentType !== 'string' || !/^[\x21-\x7e]+(?: ?[\x21-\x7e]+)*$/.test(o.contentType))) {
    throw new TypeError(`put ${key}: contentType must be printable ASCII, got ${JSON.stringify(o.contentType)}`);
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.metadata ?? {})) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(k)) {
      throw new TypeError(`put ${key}: metadata keys must match [a-z0-9][a-z0-9-]*, got ${JSON.stringify(k)}`);
    }
    if (typeof v !== 'string' || !/^[\x20-\x7e]*$/.test(v)) {
      throw new TypeError(`put ${key}: metadata value of ${k} must be printable ASCII (length ${String(v).length})`);
    }
    metadata[k] = v;
  }
  if (o.ifMatch !== undefined && (typeof o.ifMatch !== 'string' || o.ifMatch === '')) {
    throw new TypeError(`put ${key}: ifMatch must be a non-empty etag string, got ${JSON.stringify(o.ifMatch)}`);
  }
  if (o.ifNoneMatch !== undefined && o.ifNoneMatch !== '*') {
    throw new TypeError(`put ${key}: ifNoneMatch must be '*', got ${JSON.stringify(o.ifNoneMatch)}`);
  }
  if (o.ifMatch !== undefined && o.ifNoneMatch !== undefined) {
    throw new TypeError(`put ${key}: give ifMatch or ifNoneMatch, not both`);
  }
  return { contentType: o.contentType, metadata, ifMatch: o.ifMatch, ifNoneMatch: o.ifNoneMatch };
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'no constructor'})`;
  return typeof v;
}

// ---------------------------------------------------------------------------------------------- probe

export const CONDITIONAL_WRITE_PROBE_PREFIX = 'locks/conditional-write-probe-';

/**
 * Whether the store really enforces conditional writes: creates a probe object with `ifNoneMatch: '*'` twice
 * (a store that enforces it refuses the second), then deletes it. A store that says `conditionalWrites: false`
 * is not asked. s3rver answers false: it ignores If-None-Match / If-Match.
 */
export async function probeConditionalWrites(store: ObjectStore): Promise<boolean> {
  if (!store.conditionalWrites) return false;
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(8)), (x) => x.toString(16).padStart(2, '0')).join('');
  const key = `${CONDITIONAL_WRITE_PROBE_PREFIX}${nonce}`;
  const bytes = new TextEncoder().encode('{"probe":"conditional writes"}\n');
  await store.put(key, bytes, { ifNoneMatch: '*', contentType: 'application/json' });
  try {
    await store.put(key, bytes, { ifNoneMatch: '*', contentType: 'application/json' });
    return false;
  } catch (e) {
    if (e instanceof PreconditionFailedError) return true;
    throw e;
  } finally {
    await store.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------- prefix

/**
 * A view of `store` under `prefix` (e.g. 'prod/' for `s3://bucket/prod`): every key is prefixed on the way
 * in and stripped on the way out. '' returns the store itself.
 */
export function withPrefix(store: ObjectStore, prefix: string): ObjectStore {
  assertValidPrefix(prefix);
  if (prefix === '') return store;
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const full = (key: string): string => {
    assertValidKey(key);
    return p + key;
  };
  return {
    description: `${store.description.replace(/\/$/, '')}/${p}`,
    conditionalWrites: store.conditionalWrites,
    get: async (key) => store.get(full(key)),
    head: async (key) => {
      const info = await store.head(full(key));
      return info && { ...info, key };
    },
    put: async (key, bytes, options) => store.put(full(key), bytes, options),
    list: async (sub = '') => {
      assertValidPrefix(sub);
      const rows = await store.list(p + sub);
      return rows.map((r) => ({ ...r, key: r.key.slice(p.length) }));
    },
    delete: async (key) => store.delete(full(key)),
  };
}
