/**
 * The tagging API on Node (`cner serve`): the same Hono app as the Worker (http/app.ts) on @hono/node-server.
 *
 *   const server = await startServer({ modelPath: 'models/default.cner', port: 0 });
 *   // … server.url …
 *   await server.close();
 *
 * Model: a file (`modelPath`, source 'file'), or a store's current model (`storeUrl`: file://, s3://, r2://;
 * docs/store.md; source 'store') checked for a new manifest every `checkIntervalMs` and swapped only after the
 * new model verified — with `modelPath` as the fallback when the store is empty or unreachable (http/model-source.ts).
 * The model is loaded before the server listens, so a bad model stops the start with a clear error.
 *
 * Under load (README, "Serving under load"): tagging runs on a pool of worker threads (cli/tag/pool.ts, one per core
 * by default), never on the event loop, so /healthz and the page answer at once while big requests are tagged.
 * The queue is bounded (503 overloaded + Retry-After when full); requests over LARGE_COST characters × k use at most
 * threads − 1 threads, and small requests pass them in the queue; a request's deadline_ms drops it unrun (504).
 * Keep-alive sockets live longer than any client's (65 s), so an idle socket is never closed under a request.
 * close() drains: stop accepting, answer every request in hand (queued ones too), then stop the threads.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { openStore } from '../store/node.js';
import { preferredKernels } from './node.js';
import { ApiError, createApp, deadlineExceeded, DEFAULT_LIMITS, type Limits, type ServedModel, type TaggerLike } from './http/app.js';
import { ModelSource, DEFAULT_CHECK_INTERVAL_MS, type LoadedModel } from './http/model-source.js';
import { createPool, PoolBusyError, PoolDeadlineError, type TaggerPool } from './cli/tag/pool.js';

export interface NodeServerOptions {
  /** a model file; with storeUrl it is the fallback */
  modelPath?: string;
  /** a store URL (file://DIR, s3://BUCKET[/PREFIX], r2://BUCKET[/PREFIX]) whose manifest names the model */
  storeUrl?: string;
  /** the kernels (default: this package's, as CNER_KERNELS says: preferredKernels in src/io/artefacts.ts) */
  kernelsPath?: string;
  /** TCP port; 0 = any free port (default 8080) */
  port?: number;
  /** interface to listen on (default 127.0.0.1) */
  host?: string;
  /** when set, /v1/* needs `Authorization: Bearer <token>` */
  authToken?: string;
  limits?: Partial<Limits>;
  corsOrigins?: '*' | string[];
  /** least ms between two manifest checks with storeUrl (default 30 000) */
  checkIntervalMs?: number;
  /** tagging threads (default: one per core, os.availableParallelism()) */
  threads?: number;
  /** most requests waiting for a tagging thread; more get 503 overloaded (default DEFAULT_MAX_QUEUE) */
  maxQueue?: number;
  /** on close(), longest wait for the requests in hand before their connections are cut, ms (default 60 000) */
  drainTimeoutMs?: number;
  /** log lines (model loads and refusals; never text). Default: stderr */
  log?: (level: 'info' | 'warn', line: string) => void;
}

export interface RunningServer {
  /** http://host:port */
  url: string;
  host: string;
  port: number;
  source: ModelSource;
  /** tagging threads */
  threads: number;
  /** stops accepting, answers the requests in hand, then stops (idempotent) */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_MAX_QUEUE = 64;
/** requests costing more than this (characters × k) are large: they leave one tagging thread to the small ones */
export const LARGE_COST = 10_000;
/** idle keep-alive sockets are kept this long: longer than clients keep theirs (undici 4 s, nginx 60 s) */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 60_000;
export const DEFAULT_HOST = '127.0.0.1';

async function readKernels(path: string | URL): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the kernels at ${String(path)} (${code ?? 'error'}); run \`npm run build:kernels\``);
  }
}

export async function startServer(options: NodeServerOptions): Promise<RunningServer> {
  if (!options || typeof options !== 'object') throw new TypeError(`startServer: expected options, got ${typeof options}`);
  const { modelPath, storeUrl } = options;
  if (!modelPath && !storeUrl) throw new TypeError('startServer: give modelPath (a model file), storeUrl (a model store), or both');
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`startServer: port must be an integer in [0, 65535], got ${String(port)}`);
  const host = options.host ?? DEFAULT_HOST;
  const log = options.log ?? ((_level: string, line: string) => void process.stderr.write(line + '\n'));

  const kernels = await readKernels(options.kernelsPath ?? pathToFileURL(preferredKernels().path));
  let fallbackBytes: Uint8Array | null = null;
  if (modelPath) {
    try {
      fallbackBytes = await readFile(modelPath);
    } catch (e) {
      throw new Error(`cannot read the model file ${modelPath} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const threads = options.threads ?? availableParallelism();
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  for (const [name, v] of [['threads', threads], ['maxQueue', maxQueue]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new TypeError(`startServer: ${name} must be an integer ≥ 1, got ${String(v)}`);
  }
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const compiled = await WebAssembly.compile(new Uint8Array(kernels));
  const source = new ModelSource({
    kernels: compiled,
    store: storeUrl ? openStore(storeUrl) : null,
    fallback: fallbackBytes ? { bytes: fallbackBytes, source: 'file' } : null,
    storeSource: 'store',
    checkIntervalMs: options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    log,
  });
  const pools = new Pools(compiled, { threads, maxQueue, maxQueuedCost: 2 * limits.maxRequestCost }, log);
  await pools.served(await source.get()); // load before listening: a bad model fails the start

  const app = createApp({
    model: async () => pools.served(await source.get()),
    current: () => pools.current(),
    authToken: options.authToken,
    limits,
    corsOrigins: options.corsOrigins,
  });

  let draining = false;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: async (req: Request) => {
          const res = await app.fetch(req);
          if (draining) res.headers.set('connection', 'close'); // answered; this socket takes no more requests
          return res;
        },
        port,
        hostname: host,
      },
      () => resolve(s as Server),
    );
    s.once('error', reject);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | null = null;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  return {
    url: `http://${shownHost}:${address.port}`,
    host: address.address,
    port: address.port,
    source,
    threads,
    close: () =>
      (closed ??= (async () => {
        draining = true;
        // stop accepting; sockets with no request in flight close now, the others after their answer
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const cut = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
        try {
          await stopped;
        } finally {
          clearInterval(sweep);
          clearTimeout(cut);
        }
        await pools.close();
      })()),
  };
}

/**
 * One pool of tagging threads for the model in use. A new model (store swap) gets a new pool: requests that see the
 * new model wait for its threads (well under a second), work already queued on the old pool finishes there, and the
 * old pool stops once it is done.
 */
class Pools {
  private inUse: { sha256: string; served: ServedModel; pool: TaggerPool } | null = null;
  private building: Promise<void> | null = null;

  constructor(
    private readonly kernels: WebAssembly.Module,
    private readonly options: { threads: number; maxQueue: number; maxQueuedCost: number },
    private readonly log: (level: 'info' | 'warn', line: string) => void,
  ) {}

  async served(m: LoadedModel): Promise<ServedModel> {
    if (this.inUse?.sha256 === m.sha256) return this.inUse.served;
    // a new model (first load or a swap): wait for its threads, as ModelSource's caller waited for the model
    this.building ??= this.build(m).finally(() => (this.building = null));
    try {
      await this.building;
    } catch (e) {
      if (!this.inUse) throw e;
      this.log('warn', `cner serve: tagging threads for model ${m.sha256} failed to start (${e instanceof Error ? e.name : typeof e}); still serving ${this.inUse.sha256}`);
    }
    return this.inUse!.served;
  }

  private async build(m: LoadedModel): Promise<void> {
    const { threads, maxQueue, maxQueuedCost } = this.options;
    const pool = await createPool({ model: m.bytes, kernels: this.kernels }, threads, { offThread: true, maxQueue, largeCost: LARGE_COST, maxQueuedCost });
    const { tagger: _tagger, bytes: _bytes, ...info } = m;
    const old = this.inUse;
    this.inUse = { sha256: m.sha256, served: { ...info, tagger: poolTagger(pool) }, pool };
    if (old) void old.pool.drain().then(() => old.pool.close());
  }

  /** the model whose threads answer now (null before the first is ready) */
  current(): ServedModel | null {
    return this.inUse?.served ?? null;
  }

  async close(): Promise<void> {
    await this.building?.catch(() => {});
    const pool = this.inUse?.pool;
    this.inUse = null;
    if (pool) {
      await pool.drain();
      await pool.close();
    }
  }
}

/** The app's tagger on a pool: the pool's refusals become the API's 503 / 504. */
function poolTagger(pool: TaggerPool): TaggerLike {
  return {
    async tagMany(texts, options, job) {
      try {
        return await pool.tagMany(texts, options, job);
      } catch (e) {
        if (e instanceof PoolBusyError) {
          throw new ApiError(503, 'overloaded', `the server is busy (its tagging queue is full); retry after ${e.retryAfterSeconds} s`, e.retryAfterSeconds);
        }
        if (e instanceof PoolDeadlineError) throw deadlineExceeded();
        throw e;
      }
    },
  };
}
