/**
 * ObjectStore over a local directory (`file://DIR`). Node-only.
 *
 * - Keys map to paths under DIR (`models/<sha>.cner` → DIR/models/<sha>.cner). Names starting with '.' are
 *   reserved for this adapter: temp files, `.meta/` (content type + metadata sidecars) and `.lock`.
 * - Writes are atomic: the bytes go to a temp file in the same folder, are fsync'ed, then renamed over the
 *   key's path, so a reader sees the old or the new object, never half of one.
 * - etag = inode-size-mtime(ns) of the file; every write renames in a new file, so a new etag.
 * - Conditional writes (ifMatch / ifNoneMatch) take a local lock file (`DIR/.lock`, created with O_EXCL,
 *   stale after 30 s) around check + rename, so they are atomic between processes on one file system
 *   (not on NFS without proper O_EXCL support).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, type Stats, type BigIntStats } from 'node:fs';
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
  /** how long a conditional write waits for the local lock file (ms, default 10 000) */
  lockTimeoutMs?: number;
  /** a lock file older than this is removed as stale (ms, default 30 000) */
  staleLockMs?: number;
}

export class FileStore implements ObjectStore {
  readonly description: string;
  readonly conditionalWrites = true;
  readonly root: string;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;

  constructor(dir: string, options: FileStoreOptions = {}) {
    if (typeof dir !== 'string' || dir === '') throw new TypeError(`FileStore: expected a directory path, got ${JSON.stringify(dir)}`);
    this.root = path.resolve(dir);
    this.description = `file://${this.root}/`;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.staleLockMs = options.staleLockMs ?? 30_000;
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
    return this.withLock(async () => {
      const info = await this.head(key);
      if (o.ifNoneMatch === '*' && info) throw new PreconditionFailedError(key, 'an object already exists');
      if (o.ifMatch !== undefined && info?.etag !== o.ifMatch) {
        throw new PreconditionFailedError(key, info ? 'the stored etag differs' : 'no object exists');
      }
      return this.write(key, p, bytes, o);
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

  private async write(key: string, p: string, bytes: Uint8Array, o: PutOptions): Promise<PutResult> {
    const side: Sidecar = { contentType: o.contentType ?? null, metadata: o.metadata ?? {} };
    await atomicWrite(this.sidecarOf(key), new TextEncoder().encode(JSON.stringify(side)));
    const st = await atomicWrite(p, bytes);
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

  /** Runs `fn` holding DIR/.lock (O_EXCL create); removes a lock older than staleLockMs. */
  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await fs.mkdir(this.root, { recursive: true });
    const lockPath = path.join(this.root, '.lock');
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const h = await fs.open(lockPath, 'wx');
        await h.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
        await h.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let st: Stats | null = null;
        try {
          st = await fs.stat(lockPath);
        } catch (e2) {
          if (!isNotFound(e2)) throw e2;
        }
        if (st && Date.now() - st.mtimeMs > this.staleLockMs) {
          await fs.rm(lockPath, { force: true });
          continue;
        }
        if (Date.now() > deadline) {
          throw new StoreError('LOCK_HELD', `FileStore: ${lockPath} held by another writer for over ${this.lockTimeoutMs} ms`);
        }
        await sleep(Math.min(100, 5 * 2 ** Math.min(attempt, 5)));
      }
    }
    try {
      return await fn();
    } finally {
      await fs.rm(lockPath, { force: true });
    }
  }
}

/** Writes `bytes` to a temp file beside `p`, fsyncs, renames over `p`; returns the temp file's stats. */
async function atomicWrite(p: string, bytes: Uint8Array): Promise<BigIntStats> {
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
