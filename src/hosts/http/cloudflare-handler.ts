/**
 * The Worker's fetch handler, built from its two assets (the kernels and the bundled default model), so the
 * real entry (src/hosts/cloudflare.ts) and the benchmark's stand-in entry share every line of it.
 *
 * Per isolate: one ModelSource (the tagger is built once and kept; the manifest in R2 is re-checked at most every
 * MODEL_CHECK_SECONDS) and one Hono app (rebuilt only if the settings in env change).
 *
 * Start-up: createCloudflareHandler runs in the isolate's global scope (src/hosts/cloudflare.ts), which Workers
 * limit separately (1 s to start) from each request's CPU time. It starts building the bundled model's tagger
 * there and tags a synthetic sentence with it WARM_UP_ROUNDS times (so the code a request runs is compiled and
 * warm), then logs one line (so workerd's console code is loaded then, not by the first request's log line), and
 * the ModelSource serves that tagger when it falls back to the bundled model: a fresh isolate's first request does
 * not build it. It also makes the app for the default settings and sends one GET through it (appFor, below). A model
 * from R2 is still built by the request that finds it.
 *
 * Settings from env (wrangler.toml [vars] and secrets; docs/edge.md):
 *   MODELS                  R2 bucket binding with manifest.json + models/<sha256>.cner (optional)
 *   AUTH_TOKEN              secret: when set, /v1/* needs `Authorization: Bearer <token>`
 *   MODEL_CHECK_SECONDS     least seconds between two manifest checks (default 30; 0 = every request)
 *   MAX_BODY_BYTES, MAX_DOCUMENTS, MAX_CHARS_PER_DOCUMENT   request limits (413 above; defaults in app.ts)
 *   MAX_REQUEST_COST        the budget: characters × max(1, kbest) in one request (413 budget_exceeded above); size it
 *                           to the plan's CPU limit per request (README, "Serving under load")
 *   MAX_RESPONSE_BYTES      largest answer (413 response_too_large above)
 *   CORS_ORIGINS            '' (no CORS headers), '*', or a comma-separated list of origins
 */
import type { Hono } from 'hono';
import { R2Store, type ObjectStore, type R2BucketLike } from '../../store/index.js';
import { createTagger, type Tagger } from '../../tagger.js';
import { createApp, DEFAULT_LIMITS, type Limits } from './app.js';
import { bearerTokenProblem } from './middleware.js';
import {
  ModelSource,
  DEFAULT_CHECK_INTERVAL_MS,
  servedHere,
  type KernelSource,
  type ModelBytes,
} from './model-source.js';

export interface CloudflareEnv {
  MODELS?: R2BucketLike;
  AUTH_TOKEN?: string;
  MODEL_CHECK_SECONDS?: string;
  MAX_BODY_BYTES?: string;
  MAX_DOCUMENTS?: string;
  MAX_CHARS_PER_DOCUMENT?: string;
  MAX_REQUEST_COST?: string;
  MAX_RESPONSE_BYTES?: string;
  CORS_ORIGINS?: string;
}

/** The part of the Workers ExecutionContext used here. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

export interface CloudflareAssets {
  /** build/kernels.wasm, imported as a WebAssembly.Module */
  kernels: KernelSource;
  /** models/default.cner, imported as Data (ArrayBuffer) */
  defaultModel: ModelBytes;
}

export interface CloudflareSettings {
  limits: Limits;
  corsOrigins: '*' | string[] | undefined;
  authToken: string | undefined;
  checkIntervalMs: number;
}

export class CloudflareConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudflareConfigError';
  }
}

function positiveInteger(env: CloudflareEnv, name: keyof CloudflareEnv, fallback: number, allowZero = false): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const s = String(raw).trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || (n === 0 && !allowZero)) {
    throw new CloudflareConfigError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** Reads the settings from env; throws CloudflareConfigError naming the variable that is wrong. */
export function readSettings(env: CloudflareEnv): CloudflareSettings {
  const limits: Limits = {
    maxBodyBytes: positiveInteger(env, 'MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes),
    maxDocuments: positiveInteger(env, 'MAX_DOCUMENTS', DEFAULT_LIMITS.maxDocuments),
    maxCharsPerDocument: positiveInteger(env, 'MAX_CHARS_PER_DOCUMENT', DEFAULT_LIMITS.maxCharsPerDocument),
    maxRequestCost: positiveInteger(env, 'MAX_REQUEST_COST', DEFAULT_LIMITS.maxRequestCost),
    maxResponseBytes: positiveInteger(env, 'MAX_RESPONSE_BYTES', DEFAULT_LIMITS.maxResponseBytes),
  };
  const cors = (env.CORS_ORIGINS ?? '').trim();
  let corsOrigins: '*' | string[] | undefined;
  if (cors === '') corsOrigins = undefined;
  else if (cors === '*') corsOrigins = '*';
  else {
    corsOrigins = cors
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '');
    for (const o of corsOrigins) {
      if (!/^https?:\/\/[^/\s]+$/.test(o))
        throw new CloudflareConfigError(
          `CORS_ORIGINS: expected '*' or origins like https://example.org, got ${JSON.stringify(o)}`,
        );
    }
  }
  const token = env.AUTH_TOKEN;
  if (token !== undefined && typeof token !== 'string')
    throw new CloudflareConfigError('AUTH_TOKEN must be a string secret');
  const tokenProblem = token ? bearerTokenProblem(token) : null;
  if (tokenProblem) throw new CloudflareConfigError(`AUTH_TOKEN: ${tokenProblem}`);
  const checkSeconds = positiveInteger(env, 'MODEL_CHECK_SECONDS', DEFAULT_CHECK_INTERVAL_MS / 1000, true);
  return { limits, corsOrigins, authToken: token === '' ? undefined : token, checkIntervalMs: checkSeconds * 1000 };
}

interface IsolateState {
  key: string;
  app: Hono;
}

/** Synthetic (written for this purpose, no patient's): tagged at start-up to warm the code a request runs. */
const WARM_UP_TEXT = '患者3天前出现右下腹痛，伴恶心。查血常规示白细胞升高，予头孢曲松治疗。';

/**
 * How many times start-up tags WARM_UP_TEXT. Measured in workerd (docs/edge.md): 1 → 20 took a fresh isolate's
 * first 64-character answer from about 15 to 11 ms of CPU and its second from 7.5 to 3.2 ms, for about 35 ms more
 * start-up; 60 was no better than 20.
 */
const WARM_UP_ROUNDS = 20;
// Tried and not kept: computing at start-up the folded layer-0 rows (src/model/network.ts FoldGroup) of the 2,048
// most frequent ids of each channel. In workerd (docs/edge.md, 7 fresh isolates each) start-up took 233 against
// 188 ms of CPU and the first 64-character answer was no cheaper (9.8 against 8.6 ms): a request's new ids cost
// little next to its compiled-code warm-up.

/**
 * The bundled model's tagger, started now, and warmed up by tagging WARM_UP_TEXT WARM_UP_ROUNDS times with the
 * default options (as a request does), so the first request finds the tagging code compiled; then one log line
 * naming the model by SHA-256 (an isolate's first console.log costs about 2.5 ms of CPU in workerd: paid here,
 * not by the first request). (Answering a synthetic request through the app as well does not work: its body
 * cannot be read in the global scope; docs/edge.md.) Never rejects unobserved: a broken bundled model is
 * reported by the request that falls back to it (ModelSource, 503 model_unavailable), exactly as when that
 * request built it.
 */
function startBundledTagger(assets: CloudflareAssets): Promise<Tagger> {
  const bytes = assets.defaultModel instanceof Uint8Array ? assets.defaultModel : new Uint8Array(assets.defaultModel);
  const tagger = createTagger({ model: bytes, kernels: assets.kernels }).then((t) => {
    for (let round = 0; round < WARM_UP_ROUNDS; round++) t.tag(WARM_UP_TEXT);
    console.log(`cner worker: bundled model ${t.info.sha256} ready`);
    return t;
  });
  tagger.catch(() => {}); // observed by ModelSource when it falls back
  return tagger;
}

/** Builds the Worker's `{ fetch }` handler; module-level state lives in the closure (one per isolate). */
export function createCloudflareHandler(assets: CloudflareAssets) {
  const bundled = startBundledTagger(assets);
  let bucket: R2BucketLike | undefined;
  let store: ObjectStore | null = null;
  let source: ModelSource | null = null;
  let sourceInterval = -1;
  let state: IsolateState | null = null;

  const storeOf = (env: CloudflareEnv): ObjectStore | null => {
    if (env.MODELS !== bucket) {
      bucket = env.MODELS;
      store = bucket ? new R2Store(bucket, 'MODELS') : null;
    }
    return store;
  };

  /** The app for env's settings: the ModelSource and the Hono app are kept while the settings stay the same. */
  const appFor = (env: CloudflareEnv): Hono => {
    const settings = readSettings(env);
    storeOf(env);
    if (!source || sourceInterval !== settings.checkIntervalMs) {
      source = new ModelSource({
        kernels: assets.kernels,
        store: () => store,
        fallback: { bytes: assets.defaultModel, source: 'bundled', tagger: bundled },
        storeSource: 'r2',
        checkIntervalMs: settings.checkIntervalMs,
      });
      sourceInterval = settings.checkIntervalMs;
    }
    const key = JSON.stringify([settings.limits, settings.corsOrigins ?? null, settings.authToken ?? null]);
    if (!state || state.key !== key) {
      const s = source;
      state = {
        key,
        app: createApp({
          model: async () => servedHere(await (source ?? s).get()),
          authToken: settings.authToken,
          limits: settings.limits,
          corsOrigins: settings.corsOrigins,
        }),
      };
    }
    return state.app;
  };
  // Built now, at start-up, for the default settings (no binding, no vars): a first request whose env has the
  // same settings finds the app and the model source made (an R2 binding is picked up by storeOf then). Once the
  // bundled tagger is warm, one GET of an unknown path through the app compiles its dispatch and JSON answer. Not
  // /healthz: that would ask the model source, whose check would then count as done (a first request with an R2
  // binding would serve the bundled model until MODEL_CHECK_SECONDS passed); not POST /v1/tag: a request body
  // cannot be read outside a request.
  const startApp = appFor({});
  bundled.then(() => startApp.fetch(new Request('http://localhost/.warm-up'))).catch(() => {});

  return {
    /** settles when the bundled model's tagger (started at creation) is built and warmed up, or has failed */
    ready: bundled.then(
      () => {},
      () => {},
    ),
    async fetch(request: Request, env: CloudflareEnv, _ctx?: ExecutionContextLike): Promise<Response> {
      let app: Hono;
      try {
        app = appFor(env);
      } catch (e) {
        const message = e instanceof CloudflareConfigError ? e.message : 'invalid settings';
        console.error(`cner worker: ${message}`);
        return Response.json({ error: { code: 'misconfigured', message } }, { status: 500 });
      }
      return app.fetch(request);
    },
  };
}
