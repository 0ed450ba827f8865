/**
 * The published-model manifest and the operations on it: publish, rollback, read the current model.
 * Platform-neutral (the Worker imports this with an R2Store).
 *
 * Store layout (docs/store.md):
 *   models/<sha256>.cner   the model file, content-addressed by the SHA-256 (hex) of all its bytes
 *   manifest.json          { schema: 1, updatedAt, current: Entry, history: Entry[] (newest first) }
 *
 * Publishing uploads the model, reads it back (HEAD: size; GET: SHA-256), and only then writes the manifest,
 * so a reader never sees a manifest that names a missing or half-written model. The manifest write is a
 * compare-and-swap on its etag when the backend enforces conditional writes; on a conflict the manifest is
 * re-read and the change re-applied (up to `maxAttempts`).
 */
import { readModel } from '../model/format.js';
import { checkMetrics, type ModelMetrics } from './gate.js';
import { sha256Hex, SHA256_HEX } from './hash.js';
import {
  describeValue,
  ManifestError,
  ObjectIntegrityError,
  PreconditionFailedError,
  type ObjectStore,
  type PutOptions,
} from './object-store.js';

export const MANIFEST_KEY = 'manifest.json';
export const MODELS_PREFIX = 'models/';
export const MODEL_EXTENSION = '.cner';
export const MODEL_CONTENT_TYPE = 'application/octet-stream';
export const MANIFEST_CONTENT_TYPE = 'application/json';
export const MANIFEST_SCHEMA = 1;
export const DEFAULT_HISTORY_LIMIT = 50;

export interface ManifestEntry {
  /** SHA-256 (lower-case hex) of the whole model file */
  sha256: string;
  /** object key of the model: always `models/<sha256>.cner` */
  key: string;
  /** bytes */
  size: number;
  /** human name (model header name, file name, or `model-<sha8>`) */
  name: string;
  /** publish counter: 1 for the first publish, max(all versions) + 1 after */
  version: number;
  /** ISO-8601 time of the publish that created this entry */
  publishedAt: string;
  /** test-split metrics the gate compared, or null */
  metrics: ModelMetrics | null;
  /** free text given at publish (an operator note; never patient text) */
  note?: string;
  /** ISO-8601 time this entry was made current again by a rollback */
  restoredAt?: string;
}

export interface Manifest {
  schema: 1;
  /** ISO-8601 time of the last manifest write */
  updatedAt: string;
  current: ManifestEntry;
  /** previous currents, newest first, each sha256 at most once and never the current one */
  history: ManifestEntry[];
}

export function modelKey(sha256: string): string {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw new TypeError(`modelKey: expected 64 lower-case hex digits, got ${JSON.stringify(sha256)}`);
  }
  return `${MODELS_PREFIX}${sha256}${MODEL_EXTENSION}`;
}

// ------------------------------------------------------------------------------------ (de)serialise

export function serializeManifest(m: Manifest): Uint8Array {
  checkManifest(m);
  return new TextEncoder().encode(JSON.stringify(m, null, 2) + '\n');
}

/** Parses and validates manifest bytes or text; throws ManifestError naming the bad field. */
export function parseManifest(data: Uint8Array | string): Manifest {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      throw new ManifestError(`${MANIFEST_KEY}: not valid UTF-8 (${data.length} bytes)`);
    }
  } else throw new TypeError(`parseManifest: expected bytes or a string, got ${describeValue(data)}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${MANIFEST_KEY}: not valid JSON (${text.length} characters): ${(e as Error).message}`);
  }
  checkManifest(json);
  return json;
}

function checkManifest(m: unknown): asserts m is Manifest {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new ManifestError(`${MANIFEST_KEY}: expected an object, got ${describeValue(m)}`);
  const x = m as Record<string, unknown>;
  if (x.schema !== MANIFEST_SCHEMA) throw new ManifestError(`${MANIFEST_KEY}: expected schema ${MANIFEST_SCHEMA}, got ${JSON.stringify(x.schema)}`);
  if (typeof x.updatedAt !== 'string' || Number.isNaN(Date.parse(x.updatedAt))) {
    throw new ManifestError(`${MANIFEST_KEY}.updatedAt: expected an ISO-8601 time, got ${JSON.stringify(x.updatedAt)}`);
  }
  checkEntry(x.current, 'current');
  if (!Array.isArray(x.history)) throw new ManifestError(`${MANIFEST_KEY}.history: expected an array, got ${describeValue(x.history)}`);
  x.history.forEach((e, i) => checkEntry(e, `history[${i}]`));
}

function checkEntry(e: unknown, where: string): asserts e is ManifestEntry {
  const at = `${MANIFEST_KEY}.${where}`;
  if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new ManifestError(`${at}: expected an entry object, got ${describeValue(e)}`);
  const x = e as Record<string, unknown>;
  if (typeof x.sha256 !== 'string' || !SHA256_HEX.test(x.sha256)) throw new ManifestError(`${at}.sha256: expected 64 lower-case hex digits, got ${JSON.stringify(x.sha256)}`);
  if (x.key !== modelKey(x.sha256)) throw new ManifestError(`${at}.key: expected ${JSON.stringify(modelKey(x.sha256))}, got ${JSON.stringify(x.key)}`);
  if (!Number.isSafeInteger(x.size) || (x.size as number) <= 0) throw new ManifestError(`${at}.size: expected a positive integer, got ${JSON.stringify(x.size)}`);
  if (typeof x.name !== 'string' || x.name === '') throw new ManifestError(`${at}.name: expected a non-empty string, got ${describeValue(x.name)}`);
  if (!Number.isSafeInteger(x.version) || (x.version as number) < 1) throw new ManifestError(`${at}.version: expected an integer ≥ 1, got ${JSON.stringify(x.version)}`);
  if (typeof x.publishedAt !== 'string' || Number.isNaN(Date.parse(x.publishedAt))) throw new ManifestError(`${at}.publishedAt: expected an ISO-8601 time, got ${JSON.stringify(x.publishedAt)}`);
  if (x.metrics !== null) {
    try {
      checkMetrics(x.metrics, `${at}.metrics`);
    } catch (err) {
      throw new ManifestError((err as Error).message);
    }
  }
  if (x.note !== undefined && typeof x.note !== 'string') throw new ManifestError(`${at}.note: expected a string, got ${describeValue(x.note)}`);
  if (x.restoredAt !== undefined && (typeof x.restoredAt !== 'string' || Number.isNaN(Date.parse(x.restoredAt)))) {
    throw new ManifestError(`${at}.restoredAt: expected an ISO-8601 time, got ${JSON.stringify(x.restoredAt)}`);
  }
}

// ------------------------------------------------------------------------------------------ reading

export interface ManifestState {
  manifest: Manifest | null;
  /** etag of the manifest object read (null when absent or the backend gives none) */
  etag: string | null;
}

/**
 * Reads the manifest with its etag. HEAD comes before GET: if the manifest changes in between, the etag
 * is older than the content and a compare-and-swap with it fails safely (never the other way round).
 */
export async function readManifestState(store: ObjectStore): Promise<ManifestState> {
  checkStore(store);
  const info = await store.head(MANIFEST_KEY);
  if (!info) return { manifest: null, etag: null };
  const bytes = await store.get(MANIFEST_KEY);
  if (!bytes) return { manifest: null, etag: null }; // deleted between HEAD and GET
  return { manifest: parseManifest(bytes), etag: info.etag };
}

/** The manifest, or null when nothing has been published. Throws ManifestError when it is unreadable. */
export async function readManifest(store: ObjectStore): Promise<Manifest | null> {
  checkStore(store);
  const bytes = await store.get(MANIFEST_KEY);
  return bytes ? parseManifest(bytes) : null;
}

/**
 * Fetches the model an entry names and verifies size and SHA-256; throws ObjectIntegrityError when the
 * object is missing or differs (the bytes are never returned then).
 */
export async function fetchVerifiedModel(store: ObjectStore, entry: ManifestEntry): Promise<Uint8Array> {
  checkStore(store);
  checkEntry(entry, 'entry');
  const bytes = await store.get(entry.key);
  if (!bytes) throw new ObjectIntegrityError(entry.key, `missing from ${store.description} (manifest names v${entry.version})`);
  if (bytes.length !== entry.size) {
    throw new ObjectIntegrityError(entry.key, `expected ${entry.size} bytes (manifest v${entry.version}), got ${bytes.length}`);
  }
  const sha = await sha256Hex(bytes);
  if (sha !== entry.sha256) {
    throw new ObjectIntegrityError(entry.key, `expected sha256 ${entry.sha256} (manifest v${entry.version}), got ${sha}: refusing a corrupted model`);
  }
  return bytes;
}

export interface CurrentModel {
  entry: ManifestEntry;
  /** the verified model file */
  bytes: Uint8Array;
  manifest: Manifest;
}

/** The current model, verified against the manifest's hash; null when nothing is published. */
export async function currentModel(store: ObjectStore): Promise<CurrentModel | null> {
  const manifest = await readManifest(store);
  if (!manifest) return null;
  const bytes = await fetchVerifiedModel(store, manifest.current);
  return { entry: manifest.current, bytes, manifest };
}

// ------------------------------------------------------------------------------------------ publish

export interface PublishOptions {
  /** metrics on the test split (stored in the entry; the gate compares them) */
  metrics?: ModelMetrics | null;
  /** operator note, at most 1000 characters */
  note?: string;
  /** entry name; default: the model header's name, else `model-<sha8>` */
  name?: string;
  /**
   * check the bytes with readModel (src/model/format.ts) before anything is uploaded: layout, digests, header,
   * tensors; a ModelFormatError refuses the publish. Default true; false publishes opaque bytes (tests of the
   * storage layer only).
   */
  validate?: boolean;
  /** entries kept in history (default 50); older model objects stay in the store */
  historyLimit?: number;
  /** manifest compare-and-swap attempts (default 3) */
  maxAttempts?: number;
  /**
   * publish only if the manifest's current model is still this one (sha256; null = nothing published);
   * otherwise throw PreconditionFailedError. The gated publish uses it so the model its decision compared
   * against cannot change underneath it.
   */
  expectedCurrentSha?: string | null;
  /**
   * runs right before every manifest write; throwing stops the publish with the manifest untouched. The
   * retraining job passes its lock's renew(): a conditional write on the lock object, so a run whose lock was
   * taken over (expired) cannot write the manifest (a fencing check).
   */
  fence?: () => Promise<void>;
  /** clock (tests) */
  now?: () => Date;
}

export interface PublishResult {
  entry: ManifestEntry;
  manifest: Manifest;
  /** the current entry before this publish (null: first publish) */
  previous: ManifestEntry | null;
  /** false when an identical, verified object was already in the store */
  uploaded: boolean;
  /** false when this model was already current (the manifest was not rewritten) */
  changed: boolean;
}

export async function publishModel(store: ObjectStore, bytes: Uint8Array, options: PublishOptions = {}): Promise<PublishResult> {
  checkStore(store);
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new TypeError(`publishModel: expected the model file as a non-empty Uint8Array, got ${bytes instanceof Uint8Array ? '0 bytes' : describeValue(bytes)}`);
  }
  const o = checkPublishOptions(options);
  const sha256 = await sha256Hex(bytes);
  let headerName: string | undefined;
  if (o.validate) {
    const model = readModel(bytes); // throws ModelFormatError naming the failed check
    if (model.sha256 !== sha256) throw new ObjectIntegrityError('(local model file)', `readModel says sha256 ${model.sha256}, WebCrypto ${sha256}`);
    headerName = typeof model.header.name === 'string' && model.header.name !== '' ? model.header.name.slice(0, 200) : undefined;
  }
  const key = modelKey(sha256);
  const name = o.name ?? headerName ?? `model-${sha256.slice(0, 8)}`;

  // Read the manifest first: a corrupt manifest stops the publish before anything is written.
  let state = await readManifestState(store);

  // 1. the model object: upload unless an identical verified copy is there, then read back and verify
  const probe: ManifestEntry = {
    sha256, key, size: bytes.length, name, version: 1, publishedAt: o.now().toISOString(), metrics: o.metrics,
  };
  let uploaded = false;
  const existing = await store.head(key);
  if (!(existing && existing.size === bytes.length && (await isVerified(store, probe)))) {
    await store.put(key, bytes, { contentType: MODEL_CONTENT_TYPE, metadata: { sha256 } });
    uploaded = true;
    const info = await store.head(key);
    if (!info) throw new ObjectIntegrityError(key, `not found right after upload to ${store.description}; manifest left unchanged`);
    if (info.size !== bytes.length) {
      throw new ObjectIntegrityError(key, `HEAD says ${info.size} bytes after upload, expected ${bytes.length}; manifest left unchanged`);
    }
    try {
      await fetchVerifiedModel(store, probe);
    } catch (e) {
      if (e instanceof ObjectIntegrityError) {
        throw new ObjectIntegrityError(key, `read-back after upload failed (${e.message}); manifest left unchanged`);
      }
      throw e;
    }
  }

  // 2. the manifest, last, by compare-and-swap
  for (let attempt = 1; ; attempt++) {
    const prev = state.manifest;
    if (o.expectedCurrentSha !== undefined && (prev?.current.sha256 ?? null) !== o.expectedCurrentSha) {
      throw new PreconditionFailedError(
        MANIFEST_KEY,
        `the current model changed while this publish was deciding (another publish or rollback: expected ${o.expectedCurrentSha?.slice(0, 16) ?? 'none'}, ` +
          `found ${prev?.current.sha256.slice(0, 16) ?? 'none'}); the manifest was left as the other one wrote it: run the publish again to compare with the new current model`,
      );
    }
    if (prev && prev.current.sha256 === sha256) {
      return { entry: prev.current, manifest: prev, previous: prev.current, uploaded, changed: false };
    }
    const now = o.now().toISOString();
    const entry: ManifestEntry = {
      sha256, key, size: bytes.length, name,
      version: prev ? maxVersion(prev) + 1 : 1,
      publishedAt: now,
      metrics: o.metrics,
      ...(o.note !== undefined ? { note: o.note } : {}),
    };
    const history = prev ? [prev.current, ...prev.history].filter((e) => e.sha256 !== sha256).slice(0, o.historyLimit) : [];
    const manifest: Manifest = { schema: 1, updatedAt: now, current: entry, history };
    if (o.fence) await o.fence();
    try {
      await writeManifest(store, manifest, state.etag);
    } catch (e) {
      if (!(e instanceof PreconditionFailedError) || attempt >= o.maxAttempts) throw e;
      state = await readManifestState(store); // someone else moved the manifest: re-apply on top of theirs
      continue;
    }
    await confirmPublished(store, entry);
    return { entry, manifest, previous: prev?.current ?? null, uploaded, changed: true };
  }
}

// ------------------------------------------------------------------------------------------ rollback

export interface RollbackOptions {
  /** the entry's `version` number */
  version?: number;
  /** the entry's SHA-256, or a unique prefix of at least 6 hex digits */
  sha?: string;
  maxAttempts?: number;
  now?: () => Date;
}

export interface RollbackResult {
  /** the entry now current */
  entry: ManifestEntry;
  /** the entry that was current before */
  previous: ManifestEntry;
  manifest: Manifest;
  /** false when the target already was current (nothing written) */
  changed: boolean;
}

/**
 * Points the manifest back to an earlier model: `version` or `sha` picks it, neither picks the previous
 * current (history[0]). The target object is fetched and verified first; a missing or corrupted object is
 * refused (ObjectIntegrityError). The rolled-back-from entry goes to the front of history.
 */
export async function rollback(store: ObjectStore, options: RollbackOptions = {}): Promise<RollbackResult> {
  checkStore(store);
  if (options === null || typeof options !== 'object') throw new TypeError(`rollback: expected options { version?, sha? }, got ${describeValue(options)}`);
  const { version, sha } = options;
  if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) {
    throw new TypeError(`rollback: version must be an integer ≥ 1, got ${JSON.stringify(version)}`);
  }
  if (sha !== undefined && (typeof sha !== 'string' || !/^[0-9a-f]{6,64}$/.test(sha))) {
    throw new TypeError(`rollback: sha must be 6 to 64 lower-case hex digits, got ${JSON.stringify(sha)}`);
  }
  if (version !== undefined && sha !== undefined) throw new TypeError('rollback: give version or sha, not both');
  const maxAttempts = options.maxAttempts ?? 3;
  const now = options.now ?? (() => new Date());

  for (let attempt = 1; ; attempt++) {
    const state = await readManifestState(store);
    const prev = state.manifest;
    if (!prev) throw new ManifestError(`rollback: no ${MANIFEST_KEY} in ${store.description}: nothing has been published`);
    const target = pickTarget(prev, version, sha);
    if (target.sha256 === prev.current.sha256) {
      return { entry: prev.current, previous: prev.current, manifest: prev, changed: false };
    }
    await fetchVerifiedModel(store, target); // refuse to point at a missing or corrupted object
    const at = now().toISOString();
    const entry: ManifestEntry = { ...target, restoredAt: at };
    const history = [prev.current, ...prev.history.filter((e) => e.sha256 !== target.sha256)];
    const manifest: Manifest = { schema: 1, updatedAt: at, current: entry, history };
    try {
      await writeManifest(store, manifest, state.etag);
      return { entry, previous: prev.current, manifest, changed: true };
    } catch (e) {
      if (!(e instanceof PreconditionFailedError) || attempt >= maxAttempts) throw e;
    }
  }
}

function pickTarget(m: Manifest, version: number | undefined, sha: string | undefined): ManifestEntry {
  const all = [m.current, ...m.history];
  const available = () => all.map((e) => `v${e.version} ${e.sha256.slice(0, 12)}`).join(', ');
  if (version !== undefined) {
    const hit = all.find((e) => e.version === version);
    if (!hit) throw new ManifestError(`rollback: no entry with version ${version} (available: ${available()})`);
    return hit;
  }
  if (sha !== undefined) {
    const hits = all.filter((e) => e.sha256.startsWith(sha));
    if (hits.length === 0) throw new ManifestError(`rollback: no entry whose sha256 starts with ${sha} (available: ${available()})`);
    if (hits.length > 1) throw new ManifestError(`rollback: sha prefix ${sha} matches ${hits.length} entries; give more digits`);
    return hits[0];
  }
  if (m.history.length === 0) throw new ManifestError(`rollback: history is empty: v${m.current.version} is the only published model`);
  return m.history[0];
}

// ------------------------------------------------------------------------------------------ helpers

async function writeManifest(store: ObjectStore, manifest: Manifest, etag: string | null): Promise<void> {
  const options: PutOptions = { contentType: MANIFEST_CONTENT_TYPE };
  if (store.conditionalWrites) {
    if (etag !== null) options.ifMatch = etag;
    else options.ifNoneMatch = '*';
  }
  await store.put(MANIFEST_KEY, serializeManifest(manifest), options);
}

/**
 * Reads the manifest back after a publish: the entry must be there (current, or history when a later publish
 * already followed). On a store that ignores conditional writes two publishers can overwrite each other; this
 * catches the one whose write was lost when the other landed first (not always: see docs/store.md).
 */
async function confirmPublished(store: ObjectStore, entry: ManifestEntry): Promise<void> {
  const after = await readManifest(store);
  const found = after ? [after.current, ...after.history].some((e) => e.sha256 === entry.sha256 && e.version === entry.version) : false;
  if (!found) {
    throw new ManifestError(
      `publish lost a race: another publisher rewrote ${MANIFEST_KEY} in ${store.description} at the same time and ` +
        `v${entry.version} (sha256 ${entry.sha256.slice(0, 16)}…) is not in it${store.conditionalWrites ? '' : ' (this store does not enforce conditional writes)'}; the model object is stored, publish again`,
    );
  }
}

async function isVerified(store: ObjectStore, entry: ManifestEntry): Promise<boolean> {
  try {
    await fetchVerifiedModel(store, entry);
    return true;
  } catch (e) {
    if (e instanceof ObjectIntegrityError) return false;
    throw e;
  }
}

function maxVersion(m: Manifest): number {
  return Math.max(m.current.version, ...m.history.map((e) => e.version));
}

function checkStore(store: unknown): asserts store is ObjectStore {
  const s = store as ObjectStore;
  if (!s || typeof s !== 'object' || typeof s.get !== 'function' || typeof s.put !== 'function' || typeof s.head !== 'function') {
    throw new TypeError(`expected an ObjectStore (get/put/head/list/delete), got ${describeValue(store)}`);
  }
}

function checkPublishOptions(options: PublishOptions) {
  if (options === null || typeof options !== 'object') throw new TypeError(`publishModel: expected options, got ${describeValue(options)}`);
  const metrics = options.metrics ?? null;
  if (metrics !== null) checkMetrics(metrics, 'publishModel: metrics');
  if (options.note !== undefined && (typeof options.note !== 'string' || options.note.length > 1000)) {
    throw new TypeError(`publishModel: note must be a string of at most 1000 characters, got ${typeof options.note === 'string' ? `${options.note.length} characters` : typeof options.note}`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '' || options.name.length > 200)) {
    throw new TypeError(`publishModel: name must be 1..200 characters, got ${typeof options.name === 'string' ? `${options.name.length}` : typeof options.name}`);
  }
  const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isSafeInteger(historyLimit) || historyLimit < 0) throw new TypeError(`publishModel: historyLimit must be an integer ≥ 0, got ${String(historyLimit)}`);
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new TypeError(`publishModel: maxAttempts must be an integer ≥ 1, got ${String(maxAttempts)}`);
  if (options.validate !== undefined && typeof options.validate !== 'boolean') throw new TypeError(`publishModel: validate must be a boolean, got ${typeof options.validate}`);
  if (options.fence !== undefined && typeof options.fence !== 'function') throw new TypeError(`publishModel: fence must be a function, got ${describeValue(options.fence)}`);
  const e = options.expectedCurrentSha;
  if (e !== undefined && e !== null && (typeof e !== 'string' || !SHA256_HEX.test(e))) {
    throw new TypeError(`publishModel: expectedCurrentSha must be null or 64 lower-case hex digits, got ${JSON.stringify(e)}`);
  }
  return {
    expectedCurrentSha: e,
    fence: options.fence,
    metrics,
    note: options.note,
    name: options.name,
    validate: options.validate ?? true,
    historyLimit,
    maxAttempts,
    now: options.now ?? (() => new Date()),
  };
}
