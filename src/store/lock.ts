/**
 * A lock object in the store so two retraining runs never overlap. Platform-neutral.
 *
 *   locks/retrain.json = { owner, token, startedAt, expiresAt [, renewedAt] }
 *
 * - Acquire: create-if-absent (`ifNoneMatch: '*'`); a lock whose expiresAt has passed (or that cannot be
 *   parsed) is stale and is replaced by a compare-and-swap on its etag, so of two runs that both find it
 *   stale exactly one wins. The lock is then read back and its token compared.
 * - Backends that do not enforce conditional writes (s3rver): the read-back after `settleMs` is the only
 *   guard; two runs starting within that window could both win (docs/store.md). AWS S3, R2, MinIO and the
 *   file:// store (a local O_EXCL lock file around the check) enforce the conditions.
 * - A long run calls `renew()` before expiresAt; `release()` deletes the lock only if it is still ours.
 * - Expiry compares the holder's clock (expiresAt) with the acquirer's: keep clocks roughly in sync and the
 *   TTL well above the skew.
 */
import { describeValue, PreconditionFailedError, StoreError, assertValidKey, type ObjectStore, type PutOptions } from './object-store.js';

export const RETRAIN_LOCK_KEY = 'locks/retrain.json';
export const DEFAULT_LOCK_TTL_MS = 6 * 60 * 60 * 1000;

export interface LockRecord {
  owner: string;
  /** random id of this acquisition */
  token: string;
  startedAt: string;
  expiresAt: string;
  renewedAt?: string;
}

export class LockHeldError extends StoreError {
  /** the record found in the store (null when it vanished or could not be read) */
  readonly holder: LockRecord | null;
  constructor(key: string, holder: LockRecord | null, detail?: string) {
    super(
      'LOCK_HELD',
      `lock ${key} is held` +
        (holder ? ` by ${holder.owner} since ${holder.startedAt} until ${holder.expiresAt}` : '') +
        (detail ? `: ${detail}` : ''),
    );
    this.name = 'LockHeldError';
    this.holder = holder;
  }
}

export interface LockOptions {
  /** who holds it, e.g. `${hostname}:${pid}` (1..200 printable ASCII characters) */
  owner: string;
  key?: string;
  /** time to live in ms (default 6 h); renew() extends it */
  ttlMs?: number;
  /** wait before reading the lock back; default 0 with conditional writes, 500 ms without */
  settleMs?: number;
  now?: () => Date;
}

export interface Lock {
  readonly key: string;
  readonly record: LockRecord;
  /** extends expiresAt to now + ttlMs; throws LockHeldError when the lock is no longer ours */
  renew(ttlMs?: number): Promise<void>;
  /** deletes the lock if it is still ours; returns whether it was */
  release(): Promise<boolean>;
}

/** Takes the lock or throws LockHeldError naming the holder. */
export async function acquireLock(store: ObjectStore, options: LockOptions): Promise<Lock> {
  const o = checkLockOptions(store, options);
  const { key } = o;
  const start = o.now();
  const record: LockRecord = {
    owner: o.owner,
    token: randomToken(),
    startedAt: start.toISOString(),
    expiresAt: new Date(start.getTime() + o.ttlMs).toISOString(),
  };

  const info = await store.head(key);
  const put: PutOptions = { contentType: 'application/json' };
  if (info) {
    const bytes = await store.get(key);
    const holder = bytes ? parseLock(bytes) : null;
    if (holder && Date.parse(holder.expiresAt) > start.getTime()) throw new LockHeldError(key, holder);
    // stale (expired, unreadable, or vanished): replace exactly the version we looked at
    if (store.conditionalWrites) {
      if (bytes && info.etag) put.ifMatch = info.etag;
      else put.ifNoneMatch = '*';
    }
  } else if (store.conditionalWrites) {
    put.ifNoneMatch = '*';
  }

  let etag: string | null;
  try {
    etag = (await store.put(key, encode(record), put)).etag;
  } catch (e) {
    if (e instanceof PreconditionFailedError) throw new LockHeldError(key, await readLock(store, key), 'another run took it first');
    throw e;
  }

  if (o.settleMs > 0) await sleep(o.settleMs);
  const back = await readLock(store, key);
  if (!back || back.token !== record.token) throw new LockHeldError(key, back, 'another run overwrote it');

  let current = record;
  return {
    key,
    get record() {
      return current;
    },
    async renew(ttlMs = o.ttlMs) {
      checkTtl(ttlMs);
      const found = await readLock(store, key);
      if (!found || found.token !== current.token) throw new LockHeldError(key, found, 'lost: no longer ours');
      const now = o.now();
      const next: LockRecord = { ...current, expiresAt: new Date(now.getTime() + ttlMs).toISOString(), renewedAt: now.toISOString() };
      const opts: PutOptions = { contentType: 'application/json' };
      if (store.conditionalWrites && etag) opts.ifMatch = etag;
      try {
        etag = (await store.put(key, encode(next), opts)).etag;
      } catch (e) {
        if (e instanceof PreconditionFailedError) throw new LockHeldError(key, await readLock(store, key), 'lost while renewing');
        throw e;
      }
      current = next;
    },
    async release() {
      const found = await readLock(store, key);
      if (!found || found.token !== current.token) return false;
      await store.delete(key);
      return true;
    },
  };
}

/** Runs `fn` holding the lock; releases it afterwards, also when `fn` throws. */
export async function withLock<T>(store: ObjectStore, options: LockOptions, fn: (lock: Lock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(store, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

/** The lock record in the store, or null when there is none (or it cannot be parsed). */
export async function readLock(store: ObjectStore, key = RETRAIN_LOCK_KEY): Promise<LockRecord | null> {
  assertValidKey(key, 'lock key');
  const bytes = await store.get(key);
  return bytes ? parseLock(bytes) : null;
}

function parseLock(bytes: Uint8Array): LockRecord | null {
  try {
    const x = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (
      typeof x.owner === 'string' &&
      typeof x.token === 'string' &&
      typeof x.startedAt === 'string' &&
      typeof x.expiresAt === 'string' &&
      !Number.isNaN(Date.parse(x.expiresAt))
    ) {
      return x as unknown as LockRecord;
    }
  } catch {
    // unreadable: treated as stale
  }
  return null;
}

function checkLockOptions(store: ObjectStore, options: LockOptions) {
  if (!store || typeof store.put !== 'function') throw new TypeError(`acquireLock: expected an ObjectStore, got ${describeValue(store)}`);
  if (!options || typeof options !== 'object') throw new TypeError(`acquireLock: expected options { owner, ttlMs? }, got ${describeValue(options)}`);
  if (typeof options.owner !== 'string' || !/^[\x20-\x7e]{1,200}$/.test(options.owner)) {
    throw new TypeError(`acquireLock: owner must be 1..200 printable ASCII characters, got ${typeof options.owner === 'string' ? `${options.owner.length} characters` : typeof options.owner}`);
  }
  const key = options.key ?? RETRAIN_LOCK_KEY;
  assertValidKey(key, 'lock key');
  const ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  checkTtl(ttlMs);
  const settleMs = options.settleMs ?? (store.conditionalWrites ? 0 : 500);
  if (!Number.isFinite(settleMs) || settleMs < 0) throw new TypeError(`acquireLock: settleMs must be ≥ 0, got ${String(settleMs)}`);
  return { owner: options.owner, key, ttlMs, settleMs, now: options.now ?? (() => new Date()) };
}

function checkTtl(ttlMs: unknown): asserts ttlMs is number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new TypeError(`lock ttlMs must be a positive number of milliseconds, got ${String(ttlMs)}`);
  }
}

function randomToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function encode(r: LockRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r, null, 2) + '\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
