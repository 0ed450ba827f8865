/**
 * The per-process (per-isolate in a Worker) model cache: builds the tagger once, keeps it, and swaps in a new
 * model when the store's manifest names one — only after that model was fetched, its SHA-256 verified and the
 * tagger built. Platform-neutral: the Worker gives it an R2Store, the Node server a file:// or s3:// store.
 *
 *   const source = new ModelSource({ kernels, store, fallback: { bytes, source: 'bundled' } });
 *   createApp({ model: async () => servedHere(await source.get()) });
 *
 * Policy (docs/edge.md):
 * - first use: the store's current model (docs/store.md: manifest.json → models/<sha>.cner, verified); when the
 *   store is absent, empty, unreachable, or its model is refused, the fallback (bundled) model.
 * - afterwards, at most every `checkIntervalMs`: HEAD manifest.json; an unchanged etag ends the check. A changed
 *   manifest naming another model → fetch, verify, build, then swap. The request that triggers a check waits
 *   for it; requests arriving meanwhile are served by the model in use.
 * - a corrupted or mismatching object (size/SHA-256 ≠ manifest, or the file fails readModel) is refused: the model
 *   in use keeps serving, and the same manifest is not retried for `refusedRetryMs`.
 * - the store unreachable (any other error): the model in use keeps serving; retried at the next check.
 * - no manifest any more (bucket emptied): back to the fallback model.
 * Log lines name model SHA-256s, error classes and codes only — never text.
 */
import { createTagger, type Tagger } from '../../tagger.js';
import { ModelFormatError } from '../../model/format.js';
import {
  fetchVerifiedModel,
  MANIFEST_KEY,
  ManifestError,
  ObjectIntegrityError,
  parseManifest,
  type ManifestEntry,
  type ObjectStore,
} from '../../store/index.js';
import { inThisThread, type ModelInfo, type ServedModel } from './app.js';

export type KernelSource = WebAssembly.Module | ArrayBuffer | Uint8Array;
export type ModelBytes = Uint8Array | ArrayBuffer;

export interface ModelSourceOptions {
  /** build/kernels.wasm: a compiled module (Worker) or its bytes (Node) */
  kernels: KernelSource;
  /** the store holding manifest.json + models/ (a getter is re-read at each check); null/absent: fallback only */
  store?: ObjectStore | null | (() => ObjectStore | null);
  /**
   * the model used when the store has none (or is unreachable at first use); `tagger`: its tagger, already being
   * built from exactly these bytes (the Worker starts it at isolate start-up), used instead of building another
   */
  fallback?: { bytes: ModelBytes | (() => ModelBytes | Promise<ModelBytes>); source: string; tagger?: Promise<Tagger> } | null;
  /** `source` reported for models from the store (default 'r2') */
  storeSource?: string;
  /** least time between two manifest checks, ms (default 30 000; 0 = check on every request) */
  checkIntervalMs?: number;
  /** a refused manifest (corrupted or mismatching model) is looked at again after this long, ms (default 300 000) */
  refusedRetryMs?: number;
  /** clock in ms (tests) */
  now?: () => number;
  /** where log lines go (default console.log / console.warn by level) */
  log?: (level: 'info' | 'warn', line: string) => void;
}

export const DEFAULT_CHECK_INTERVAL_MS = 30_000;
export const DEFAULT_REFUSED_RETRY_MS = 300_000;

export interface ModelSourceStatus {
  /** the model in use, or null before the first load */
  sha256: string | null;
  source: string | null;
  /** ms timestamps (options.now) of the last manifest check and the last swap, or null */
  lastCheck: number | null;
  lastSwap: number | null;
  /** how many models this source has refused (corrupted / mismatching / unloadable) */
  refused: number;
  /** SHA-256 of the last refused model, or null */
  lastRefused: string | null;
}

/** The served model plus what the store said about it (absent for the fallback), its tagger and its file. */
export interface LoadedModel extends ModelInfo {
  tagger: Tagger;
  /** the model file (verified); a host that tags elsewhere (worker threads) builds its taggers from it */
  bytes: Uint8Array;
}

const servedInThread = new WeakMap<LoadedModel, ServedModel>();

/** The app's view of a loaded model whose tagger runs in this thread (the Worker): one object per model. */
export function servedHere(loaded: LoadedModel): ServedModel {
  let served = servedInThread.get(loaded);
  if (!served) {
    const { tagger, bytes: _bytes, ...info } = loaded;
    served = { ...info, tagger: inThisThread(tagger) };
    servedInThread.set(loaded, served);
  }
  return served;
}

interface Handled {
  /** manifest etag (null: the backend gave none) */
  etag: string | null;
  /** time after which this same etag is looked at again (Infinity: never, it is served) */
  retryAt: number;
}

export class ModelSource {
  private readonly kernels: KernelSource;
  private readonly storeOption: ModelSourceOptions['store'];
  private readonly fallback: ModelSourceOptions['fallback'];
  private readonly storeSource: string;
  private readonly checkIntervalMs: number;
  private readonly refusedRetryMs: number;
  private readonly now: () => number;
  private readonly log: (level: 'info' | 'warn', line: string) => void;

  private served: LoadedModel | null = null;
  private servedFrom: 'store' | 'fallback' | null = null;
  private handled: Handled | null = null;
  private inflight: Promise<void> | null = null;
  private lastCheck: number | null = null;
  private lastSwap: number | null = null;
  private refusedCount = 0;
  private lastRefused: string | null = null;
  private lastError: unknown = null;

  constructor(options: ModelSourceOptions) {
    if (!options || typeof options !== 'object') throw new TypeError(`ModelSource: expected options, got ${options === null ? 'null' : typeof options}`);
    if (options.kernels === undefined || options.kernels === null) {
      throw new TypeError('ModelSource: kernels is missing (expected build/kernels.wasm as a WebAssembly.Module, ArrayBuffer or Uint8Array)');
    }
    if (!options.store && !options.fallback) throw new TypeError('ModelSource: give a store, a fallback model, or both');
    const interval = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
    if (!Number.isFinite(interval) || interval < 0) throw new TypeError(`ModelSource: checkIntervalMs must be a number ≥ 0, got ${String(interval)}`);
    const retry = options.refusedRetryMs ?? DEFAULT_REFUSED_RETRY_MS;
    if (!Number.isFinite(retry) || retry < 0) throw new TypeError(`ModelSource: refusedRetryMs must be a number ≥ 0, got ${String(retry)}`);
    this.kernels = options.kernels;
    this.storeOption = options.store;
    this.fallback = options.fallback ?? null;
    this.storeSource = options.storeSource ?? 'r2';
    this.checkIntervalMs = interval;
    this.refusedRetryMs = retry;
    this.now = options.now ?? (() => Date.now());
    this.log = options.log ?? ((level, line) => (level === 'warn' ? console.warn(line) : console.log(line)));
  }

  /** The model to use for this request; loads it on first use and checks the store when a check is due. */
  async get(): Promise<LoadedModel> {
    if (!this.served) {
      await this.refresh();
      if (!this.served) throw new Error(`no model could be loaded (${describeError(this.lastError)})`);
      return this.served;
    }
    if (this.inflight) return this.served; // a check runs: serve the model in use meanwhile
    if (this.store() && (this.lastCheck === null || this.now() - this.lastCheck >= this.checkIntervalMs)) {
      await this.refresh();
    }
    return this.served;
  }

  /** Runs a check now (one at a time: a second caller shares the running one). Never throws. */
  refresh(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.check()
        .catch((e) => {
          this.lastError = e;
          this.log('warn', `cner model: check failed (${describeError(e)})`);
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  status(): ModelSourceStatus {
    return {
      sha256: this.served?.sha256 ?? null,
      source: this.served?.source ?? null,
      lastCheck: this.lastCheck,
      lastSwap: this.lastSwap,
      refused: this.refusedCount,
      lastRefused: this.lastRefused,
    };
  }

  private store(): ObjectStore | null {
    const s = this.storeOption;
    return typeof s === 'function' ? s() : (s ?? null);
  }

  private async check(): Promise<void> {
    this.lastCheck = this.now();
    const store = this.store();
    if (!store) return this.useFallback('no store configured');

    let etag: string | null;
    try {
      const info = await store.head(MANIFEST_KEY);
      if (!info) {
        this.handled = null;
        return this.useFallback('the store has no manifest');
      }
      etag = info.etag;
    } catch (e) {
      this.lastError = e;
      this.log('warn', `cner model: store unreachable (${describeError(e)})`);
      if (!this.served) return this.useFallback('store unreachable');
      return;
    }
    if (this.served && this.handled && etag !== null && this.handled.etag === etag && this.now() < this.handled.retryAt) return;

    let entry: ManifestEntry;
    try {
      const bytes = await store.get(MANIFEST_KEY);
      if (!bytes) {
        this.handled = null;
        return this.useFallback('the store has no manifest');
      }
      entry = parseManifest(bytes).current;
    } catch (e) {
      this.lastError = e;
      if (e instanceof ManifestError) {
        this.handled = { etag, retryAt: this.now() + this.refusedRetryMs };
        this.log('warn', `cner model: manifest refused (${describeError(e)})`);
      } else {
        this.log('warn', `cner model: store unreachable (${describeError(e)})`);
      }
      if (!this.served) return this.useFallback('manifest unreadable');
      return;
    }

    if (this.served && this.servedFrom === 'store' && this.served.sha256 === entry.sha256) {
      this.handled = { etag, retryAt: Infinity };
      return;
    }

    let bytes: Uint8Array;
    try {
      bytes = await fetchVerifiedModel(store, entry); // size + SHA-256 against the manifest
    } catch (e) {
      this.lastError = e;
      if (e instanceof ObjectIntegrityError) this.refuse(entry.sha256, etag, e);
      else this.log('warn', `cner model: could not fetch model ${entry.sha256} (${describeError(e)})`);
      if (!this.served) return this.useFallback('store model unavailable');
      return;
    }

    let loaded: LoadedModel;
    try {
      loaded = await this.build(bytes, this.storeSource, entry);
      if (loaded.sha256 !== entry.sha256) {
        throw new ObjectIntegrityError(entry.key, `readModel says sha256 ${loaded.sha256}, the manifest ${entry.sha256}`);
      }
    } catch (e) {
      this.lastError = e;
      this.refuse(entry.sha256, etag, e);
      if (!this.served) return this.useFallback('store model refused');
      return;
    }
    this.swap(loaded, 'store');
    this.handled = { etag, retryAt: Infinity };
  }

  private refuse(sha: string, etag: string | null, e: unknown): void {
    this.refusedCount++;
    this.lastRefused = sha;
    this.handled = { etag, retryAt: this.now() + this.refusedRetryMs };
    const using = this.served ? `; still serving ${this.served.sha256} (${this.served.source})` : '';
    this.log('warn', `cner model: refused model ${sha} (${describeError(e)})${using}`);
  }

  private async useFallback(why: string): Promise<void> {
    if (this.served && this.servedFrom === 'fallback') return;
    if (!this.fallback) {
      if (!this.served) this.lastError ??= new Error(`${why} and no fallback model is configured`);
      return;
    }
    const f = this.fallback;
    const bytes = typeof f.bytes === 'function' ? await f.bytes() : f.bytes;
    const loaded = await this.build(bytes, f.source, null, f.tagger);
    this.swap(loaded, 'fallback');
    this.log('info', `cner model: ${why}; serving the ${f.source} model ${loaded.sha256}`);
  }

  private swap(loaded: LoadedModel, from: 'store' | 'fallback'): void {
    const before = this.served?.sha256;
    this.served = loaded;
    this.servedFrom = from;
    this.lastSwap = this.now();
    this.lastError = null;
    if (from === 'store') this.log('info', `cner model: serving ${loaded.sha256} from ${loaded.source}${before ? ` (was ${before})` : ''}`);
  }

  private async build(bytes: ModelBytes, source: string, entry: ManifestEntry | null, prebuilt?: Promise<Tagger>): Promise<LoadedModel> {
    const file = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const tagger = await (prebuilt ?? createTagger({ model: file, kernels: this.kernels }));
    const info = tagger.info;
    return {
      tagger,
      bytes: file,
      sha256: info.sha256,
      name: info.name,
      version: info.version,
      trained: tagger.header.training ? info.created : null,
      labels: info.labels,
      metrics: entry?.metrics ?? info.metrics,
      source,
      ...(entry ? { release: { version: entry.version, publishedAt: entry.publishedAt } } : {}),
    };
  }
}

/** Error class and code only: messages of store errors carry keys and digests, but no request text ever. */
function describeError(e: unknown): string {
  if (e instanceof ModelFormatError) return `ModelFormatError ${e.code}`;
  if (e instanceof ObjectIntegrityError) return `ObjectIntegrityError: ${e.message}`;
  if (e instanceof ManifestError) return `ManifestError: ${e.message}`;
  if (e instanceof Error) return e.name;
  return typeof e;
}
