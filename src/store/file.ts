/**
 * ObjectStore over a local directory (`file://DIR`). Node-only.
 *
 * - Keys map to paths under DIR (`models/<sha>.cner` → DIR/models/<sha>.cner). Names starting with '.' are
 *   reserved for this adapter: temp files, `.meta/` (content type + metadata sidecars) and `.locks/`.
 * - Writes are atomic: the bytes go to a temp file in the same folder, are fsync'ed, then renamed over the
 *   key's path, so a reader sees the old or the new object, never half of one.
 * - etag = inode-size-mtime(ns) of the file; every write renames in a new file, so a new etag.
 * - Conditional writes (ifMatch / ifNoneMatch) hold the store's write lock around check + rename, so they are
 *   atomic between processes on one file system (not on NFS). The lock is a sequence of generation files
 *   `DIR/.locks/<gen>`, each created whole and at most once (link(2) fails on an existing name); the newest
 *   generation is the lock. Its record holds a lease (expiresAt, renewed while held) and the holder's host and
 *   pid. Taking the lock means creating generation N+1 after finding N released, its lease expired, or its
 *   holder process gone (same host): of several takers exactly one creates N+1, so a stale lock cannot be
 *   taken twice. The generation is a fencing token: right before each rename the holder checks that no newer
 *   generation exists and that its lease has not run out; otherwise the write is not made (StoreError
 *   LOCK_HELD). A lock left by a killed process on this host is taken over at once, one from a hung process
 *   when its lease ends (default 10 s).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, type BigIntStats } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import {
  assertValidKey,
  assertValidPrefix,
  checkPutOptions,
  PreconditionFailedError,
  StoreError,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type PutResult,
} from './object-store.js';

interface Sidecar {
  contentType: string | null;
  metadata: Record<string, string>;
}

export interface FileStoreOptions {
  /** how long a conditional write waits for the store's write lock (ms, default 10 000) */
  lockTimeoutMs?: number;
  /** the write lock's lease (ms, default 10 000): renewed every third of it while held; an expired lease frees the lock */
  leaseMs?: number;
}

export class FileStore implements ObjectStore {
  readonly description: string;
  readonly conditionalWrites = true;
  readonly root: string;
  private readonly lockTimeoutMs: number;
  private readonly leaseMs: number;

  constructor(dir: string, options: FileStoreOptions = {}) {
    if (typeof dir !== 'string' || dir === '') throw new TypeError(`FileStore: expected a directory path, got ${JSON.stringify(dir)}`);
    this.root = path.resolve(dir);
    this.description = `file://${this.root}/`;
    this.lockTimeoutMs = positiveMs(options.lockTimeoutMs ?? 10_000, 'lockTimeoutMs');
    this.leaseMs = positiveMs(options.leaseMs ?? 10_000, 'leaseMs');
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    const segments = key.split('/');
    if (segments.some((s) => s.startsWith('.'))) {
      throw new TypeError(`FileStore: key segments starting with '.' are reserved, got ${JSON.stringify(key)}`);
    }
    return path.join(this.root, ...segments);
  }

  private sidecarOf(key: string): string {
    return path.join(this.root, '.meta', ...key.split('/')) + '.json';
  }

  async get(key: string): Promise<Uint8Array | null> {
    const p = this.pathOf(key);
    try {
      const buf = await fs.readFile(p);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const p = this.pathOf(key);
    let st: BigIntStats;
    try {
      st = await fs.stat(p, { bigint: true });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    if (!st.isFile()) return null;
    const side = await this.readSidecar(key);
    return {
      key,
      size: Number(st.size),
      etag: etagOf(st),
      lastModified: new Date(Number(st.mtimeMs)),
      contentType: side.contentType,
      metadata: side.metadata,
    };
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    const o = checkPutOptions(key, bytes, options);
    const p = this.pathOf(key);
    const conditional = o.ifMatch !== undefined || o.ifNoneMatch !== undefined;
    if (!conditional) return this.write(key, p, bytes, o);
    return this.withLock(async (lock) => {
      const info = await this.head(key);
      if (o.ifNoneMatch === '*' && info) throw new PreconditionFailedError(key, 'an object already exists');
      if (o.ifMatch !== undefined && info?.etag !== o.ifMatch) {
        throw new PreconditionFailedError(key, info ? 'the stored etag differs' : 'no object exists');
      }
      return this.write(key, p, bytes, o, () => lock.assertHeld());
    });
  }

  async list(prefix = ''): Promise<ListedObject[]> {
    assertValidPrefix(prefix);
    const out: ListedObject[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      for (const ent of entries) {
        if (ent.name.startsWith('.')) continue; // temp files, .meta/, .lock
        const key = keyPrefix + ent.name;
        if (ent.isDirectory()) {
          // descend only where keys under this folder can still match the prefix
          const folder = key + '/';
          if (folder.startsWith(prefix) || prefix.startsWith(folder)) await walk(path.join(dir, ent.name), folder);
        } else if (ent.isFile() && key.startsWith(prefix)) {
          let st: BigIntStats;
          try {
            st = await fs.stat(path.join(dir, ent.name), { bigint: true });
          } catch (e) {
            if (isNotFound(e)) continue; // deleted meanwhile
            throw e;
          }
          out.push({ key, size: Number(st.size), etag: etagOf(st), lastModified: new Date(Number(st.mtimeMs)) });
        }
      }
    };
    await walk(this.root, '');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    await fs.rm(p, { force: true });
    await fs.rm(this.sidecarOf(key), { force: true });
  }

  // ------------------------------------------------------------------------------------------ internals

  private async write(key: string, p: string, bytes: Uint8Array, o: PutOptions, fence?: () => Promise<void>): Promise<PutResult> {
    const side: Sidecar = { contentType: o.contentType ?? null, metadata: o.metadata ?? {} };
    await atomicWrite(this.sidecarOf(key), new TextEncoder().encode(JSON.stringify(side)), fence);
    const st = await atomicWrite(p, bytes, fence);
    return { etag: etagOf(st) };
  }

  private async readSidecar(key: string): Promise<Sidecar> {
    try {
      const side = JSON.parse(await fs.readFile(this.sidecarOf(key), 'utf8')) as Partial<Sidecar>;
      return { contentType: typeof side.contentType === 'string' ? side.contentType : null, metadata: { ...(side.metadata ?? {}) } };
    } catch {
      return { contentType: null, metadata: {} };
    }
  }

  /** Runs `fn` holding the store's write lock (see the top of this file); releases it afterwards. */
  private async withLock<T>(fn: (lock: WriteLock) => Promise<T>): Promise<T> {
    const lock = await takeWriteLock(path.join(this.root, '.locks'), this.leaseMs, this.lockTimeoutMs);
    try {
      return await fn(lock);
    } finally {
      await lock.release();
    }
  }
}

// ------------------------------------------------------------------------------------------ write lock

/** One generation of the write lock: `DIR/.locks/<gen>` (JSON). */
interface LockGeneration {
  gen: number;
  token: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: string;
  released?: true;
}

interface WriteLock {
  readonly gen: number;
  /** the fence: throws StoreError LOCK_HELD unless this generation is still the newest and its lease runs on */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

const GEN_NAME = /^[0-9]{12}$/;
const genName = (gen: number): string => String(gen).padStart(12, '0');

async function takeWriteLock(dir: string, leaseMs: number, timeoutMs: number): Promise<WriteLock> {
  await fs.mkdir(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const top = (await generations(dir)).at(-1) ?? 0;
    const holder = top > 0 ? await readGeneration(dir, top) : null;
    if (holder && isLive(holder)) {
      if (Date.now() > deadline) {
        throw new StoreError(
          'LOCK_HELD',
          `FileStore: the write lock of ${path.dirname(dir)} is held by ${holder.host}:${holder.pid} (generation ${top}, lease until ${holder.expiresAt}); waited ${timeoutMs} ms`,
        );
      }
      await sleep(Math.min(20, 2 ** Math.min(attempt, 5)));
      continue;
    }
    // free (none yet, released, lease expired, holder gone, or unreadable): exactly one taker creates top + 1
    const gen = top + 1;
    const now = Date.now();
    const record: LockGeneration = {
      gen,
      token: randomBytes(12).toString('hex'),
      host: hostname(),
      pid: process.pid,
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + leaseMs).toISOString(),
    };
    if (!(await createOnce(path.join(dir, genName(gen)), record))) continue; // another taker won this generation
    if (((await generations(dir)).at(-1) ?? 0) !== gen) {
      // a generation pruned long ago and made again by a slow taker: newer ones exist, it is not the lock
      await fs.rm(path.join(dir, genName(gen)), { force: true });
      continue;
    }
    // older generations are no longer needed (the one taken over stays for inspection)
    for (const g of await generations(dir)) if (g < gen - 1) await fs.rm(path.join(dir, genName(g)), { force: true });
    return holdWriteLock(dir, record, leaseMs);
  }
}

function holdWriteLock(dir: string, record: LockGeneration, leaseMs: number): WriteLock {
  const file = path.join(dir, genName(record.gen));
  let expires = Date.parse(record.expiresAt);
  let writing: Promise<void> = Promise.resolve();
  const rewrite = (r: LockGeneration) => (writing = writing.catch(() => {}).then(() => replaceFile(file, encodeJson(r))));
  const renew = setInterval(() => {
    const next = Date.now() + leaseMs;
    rewrite({ ...record, expiresAt: new Date(next).toISOString() }).then(() => (expires = Math.max(expires, next)), () => {});
  }, Math.max(1, Math.floor(leaseMs / 3)));
  renew.unref();
  return {
    gen: record.gen,
    async assertHeld() {
      const newest = (await generations(dir)).at(-1) ?? 0;
      // a margin so the rename right after this check still happens inside the lease
      const margin = Math.min(1000, leaseMs / 4);
      if (newest !== record.gen || Date.now() + margin > expires) {
        throw new StoreError(
          'LOCK_HELD',
          `FileStore: lost the write lock of ${path.dirname(dir)} (generation ${record.gen}, ` +
            `${newest !== record.gen ? `generation ${newest} took over` : 'lease expired'}); the write was not made`,
        );
      }
    },
    async release() {
      clearInterval(renew);
      await writing.catch(() => {});
      if (((await generations(dir)).at(-1) ?? 0) === record.gen) await rewrite({ ...record, released: true });
    },
  };
}

/** The generation numbers in `dir`, ascending. */
async function generations(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  return names.filter((n) => GEN_NAME.test(n)).map(Number).sort((a, b) => a - b);
}

/** The record of a generation; null when it is gone or unreadable (a free lock either way). */
async function readGeneration(dir: string, gen: number): Promise<LockGeneration | null> {
  try {
    const x = JSON.parse(await fs.readFile(path.join(dir, genName(gen)), 'utf8')) as LockGeneration;
    return x.gen === gen && typeof x.pid === 'number' && typeof x.host === 'string' && !Number.isNaN(Date.parse(x.expiresAt)) ? x : null;
  } catch {
    return null;
  }
}

/** Held: not released, lease running, and (on this host) the holder process still exists. */
function isLive(r: LockGeneration): boolean {
  if (r.released || Date.parse(r.expiresAt) <= Date.now()) return false;
  return r.host !== hostname() || processExists(r.pid);
}

/** Whether a process with this id exists on this host (one of another user counts). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `file` with the whole record or not at all: false when the name exists (link(2) never replaces). */
async function createOnce(file: string, record: LockGeneration): Promise<boolean> {
  const tmp = `${path.join(path.dirname(file), '.' + path.basename(file))}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, encodeJson(record), { flag: 'wx' });
  try {
    await fs.link(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Replaces `file` atomically with `bytes` (no fsync: lock records only need to be whole). */
async function replaceFile(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path.join(path.dirname(file), '.' + path.basename(file))}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, bytes, { flag: 'wx' });
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

function encodeJson(x: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(x) + '\n');
}

function positiveMs(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`FileStore: ${name} must be a positive number of milliseconds, got ${String(v)}`);
  return v;
}

/**
 * Writes `bytes` to a temp file beside `p`, fsyncs, renames over `p`; returns the temp file's stats. `fence`
 * runs right before the rename; when it throws, `p` is left as it was.
 */
async function atomicWrite(p: string, bytes: Uint8Array, fence?: () => Promise<void>): Promise<BigIntStats> {
  const dir = path.dirname(p);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(p)}.${randomBytes(6).toString('hex')}.tmp`);
  const h = await fs.open(tmp, 'wx');
  let st: BigIntStats;
  try {
    await h.writeFile(bytes);
    await h.sync();
    st = await h.stat({ bigint: true });
  } finally {
    await h.close();
  }
  try {
    if (fence) await fence();
    await fs.rename(tmp, p);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  return st;
}

function etagOf(st: BigIntStats): string {
  return `${st.ino.toString(16)}-${st.size.toString(16)}-${st.mtimeNs.toString(16)}`;
}

function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
