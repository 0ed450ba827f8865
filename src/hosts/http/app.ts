/**
 * The tagging API as one Hono app, host-neutral: the Cloudflare Worker (cloudflare.ts) and the Node server
 * (node-server.ts) only wire a model source and settings into createApp().
 *
 *   POST /v1/tag        { text } | { documents: [{ id, text }] } + options → entities
 *   GET  /v1/model      the model in use: name, version, sha256, tag set, metrics
 *   GET  /healthz       liveness + whether a model is loaded
 *   GET  /openapi.json  OpenAPI 3 description, generated from the request schemas
 *   GET  /              a page to paste a record and see its entities highlighted
 *
 * Errors are always { error: { code, message } } with the right status; no stack traces; no text from
 * the request ever reaches a log line or an error message.
 *
 * Bounds on one request (Limits; docs in the README, "Serving under load"): body bytes, documents, characters a
 * document, the budget (characters × max(1, kbest), maxRequestCost) and the answer's size (maxResponseBytes).
 * A request is tagged with ONE tagMany() call of the host's tagger: the Worker runs it in its isolate
 * (inThisThread), the Node server on a pool of worker threads with a bounded queue (node-server.ts).
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { LinearRouter } from 'hono/router/linear-router';
import { HTTPException } from 'hono/http-exception';
import { ApiError, errorBody } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { bearerFor, corsFor, readBodyLimited } from './middleware.js';
import { openApiDocument } from './openapi.js';
import { renderPage } from './page.js';
import { check, describeIssues, tagRequestSchema } from './schemas.js';

export interface TagCallOptions {
  offsets?: 'utf16' | 'codepoint';
  scores?: boolean;
  kbest?: number;
  consistency?: boolean;
}

export interface TagResultLike {
  entities: unknown[];
  paths?: unknown[];
}

/** What the host learns about the request it tags. */
export interface TagJob {
  /** characters × max(1, kbest): what the budget counts, and what a host may schedule by */
  cost: number;
  /** Date.now() after which work not yet started must not start (the request's deadline_ms); absent: none */
  deadline?: number;
  /** aborted when the client has gone away */
  signal?: AbortSignal;
}

/**
 * What the app needs from a tagger: every text of a request in one call. A host that cannot take the job now
 * throws an ApiError (503 overloaded with retryAfter, 504 deadline_exceeded).
 */
export interface TaggerLike {
  tagMany(texts: string[], options: TagCallOptions, job: TagJob): Promise<TagResultLike[]>;
}

/** What identifies the model being served and where it came from. */
export interface ModelInfo {
  /** SHA-256 (hex) of the model file: the model's content id. */
  sha256: string;
  name: string;
  version: string;
  /** when the model was trained (the file's `created` time, written when training ended), or null if not recorded */
  trained: string | null;
  labels: string[];
  metrics?: unknown;
  /** where the model came from: 'r2' / 'store' (the manifest's current model), 'bundled' / 'file' (fallback) */
  source: string;
  /** the store's publish record of this model (absent for a bundled or file model) */
  release?: { version: number; publishedAt: string };
}

/** The model being served and the tagger that runs it. */
export interface ServedModel extends ModelInfo {
  tagger: TaggerLike;
}

/** The short id shown beside the name: the first 12 hex digits of the model's SHA-256. */
export function modelId(sha256: string): string {
  return sha256.slice(0, 12);
}

export { DEFAULT_LIMITS, type Limits } from './limits.js';

export interface AppOptions {
  /** Resolves the model to use for this request (the host caches and swaps it). */
  model: () => Promise<ServedModel>;
  /**
   * The model in use now, without waiting (null before the first load): /healthz answers from it, so a slow or
   * hanging store check never holds a health probe. Absent: /healthz uses model().
   */
  current?: () => ModelInfo | null;
  /** When set, every /v1/* request needs `Authorization: Bearer <token>` (the scheme in any case). */
  authToken?: string;
  limits?: Partial<Limits>;
  /** Allowed CORS origins: '*' for any, a list, or none (no CORS headers). */
  corsOrigins?: '*' | string[];
}

export { ApiError, type ApiStatus } from './errors.js';

/** A tagger that runs in this thread (the Worker; tests): one tagMany() call, after a last look at the deadline. */
export function inThisThread(tagger: {
  tagMany(texts: string[], options: TagCallOptions): TagResultLike[];
}): TaggerLike {
  return {
    async tagMany(texts, options, job) {
      if (job.deadline !== undefined && Date.now() > job.deadline) throw deadlineExceeded();
      return tagger.tagMany(texts, options);
    },
  };
}

export function deadlineExceeded(): ApiError {
  return new ApiError(
    504,
    'deadline_exceeded',
    'the request waited past its deadline_ms for a tagging thread and was not tagged',
  );
}

interface TagRequest {
  text?: string;
  documents?: { id?: string; text: string }[];
  options?: TagCallOptions;
  deadline_ms?: number;
}

/**
 * The app as a sequence of named steps: the error answers, CORS (hono/cors), bearer auth on /v1/* (hono/bearer-auth),
 * then the routes; POST /v1/tag is readTagRequest → checkBudget → one tagMany call → the answer, bounded.
 */
export function createApp(opts: AppOptions): Hono {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  // LinearRouter: a plain scan over these few routes, with nothing to build. Hono's default router compiles
  // regular expressions on the first request, about 1 ms of CPU in a fresh workerd isolate (docs/edge.md).
  const app = new Hono({ router: new LinearRouter() });
  app.onError(errorAnswer);
  app.notFound((c) =>
    c.json(errorBody('not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404),
  );
  if (opts.corsOrigins) app.use('*', corsFor(opts.corsOrigins));
  if (opts.authToken) app.use('/v1/*', bearerFor(opts.authToken));

  app.get('/healthz', async (c) => {
    try {
      const m = opts.current?.() ?? (await opts.model());
      return c.json({
        status: 'ok',
        model: {
          name: m.name,
          version: m.version,
          id: modelId(m.sha256),
          sha256: m.sha256,
          trained: m.trained,
          source: m.source,
        },
      });
    } catch {
      return c.json({ status: 'unavailable', model: null }, 503);
    }
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument(limits)));
  app.get('/', (c) => c.html(renderPage({ mode: 'api' })));
  app.get('/v1/model', async (c) => {
    const m = await loadModel(opts);
    return c.json({
      name: m.name,
      version: m.version,
      id: modelId(m.sha256),
      sha256: m.sha256,
      trained: m.trained,
      labels: m.labels,
      metrics: m.metrics ?? null,
      source: m.source,
      release: m.release ?? null,
    });
  });
  app.post('/v1/tag', async (c) => {
    const arrived = Date.now();
    const req = await readTagRequest(c, limits);
    const docs = req.documents ?? [{ text: req.text as string }];
    const cost = checkBudget(docs, req.options?.kbest, limits);
    const m = await loadModel(opts);
    const options: TagCallOptions = { offsets: 'utf16', scores: true, consistency: true, ...req.options };
    const job: TagJob = {
      cost,
      signal: c.req.raw.signal,
      ...(req.deadline_ms !== undefined ? { deadline: arrived + req.deadline_ms } : {}),
    };
    const tagged = await m.tagger.tagMany(
      docs.map((d) => d.text),
      options,
      job,
    );
    const results = docs.map((d, i) => {
      const r = tagged[i];
      return {
        ...(d.id !== undefined ? { id: d.id } : {}),
        entities: r.entities,
        ...(r.paths ? { paths: r.paths } : {}),
      };
    });
    const model = { name: m.name, version: m.version, id: modelId(m.sha256), sha256: m.sha256 };
    return boundedJson(c, req.documents ? { model, documents: results } : { model, ...results[0] }, limits);
  });
  app.all('/v1/tag', () => {
    throw new ApiError(405, 'method_not_allowed', 'use POST /v1/tag');
  });
  return app;
}

/** The answer to an error: ApiError and the middlewares' HTTPExceptions as they are, anything else a bare 500. */
function errorAnswer(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    if (err.retryAfter !== undefined) c.header('retry-after', String(err.retryAfter));
    return c.json(errorBody(err.code, err.message), err.status);
  }
  // hono/bearer-auth's refusals (their body is our error JSON, see middleware.ts)
  if (err instanceof HTTPException) return err.getResponse();
  // The client went away (mid-body or while its request waited): nobody reads the answer; nothing to log.
  if (c.req.raw.signal?.aborted) return new Response(null, { status: 499 });
  // Unknown failure: log its kind only (never the request's text), answer without a stack.
  console.error(`internal error: ${err instanceof Error ? err.name : typeof err}`);
  return c.json(errorBody('internal', 'internal error'), 500);
}

/** The request of POST /v1/tag: JSON (415 otherwise), within maxBodyBytes, valid against the schema, one of text/documents. */
async function readTagRequest(c: Context, limits: Limits): Promise<TagRequest> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `content-type must be application/json, got ${type ? JSON.stringify(type) : 'none'}`,
    );
  }
  const raw = await readBodyLimited(c.req.raw, limits.maxBodyBytes);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'invalid_json', 'request body is not valid JSON');
  }
  const checked = check(body, tagRequestSchema);
  if (checked.total > 0) throw new ApiError(400, 'invalid_request', describeIssues(checked));
  const req = body as TagRequest;
  if ((req.text === undefined) === (req.documents === undefined)) {
    throw new ApiError(400, 'invalid_request', 'give exactly one of "text" or "documents"');
  }
  return req;
}

/** The request's cost, characters × max(1, kbest), after the per-request bounds (413 above any of them). */
function checkBudget(docs: { text: string }[], kbest: number | undefined, limits: Limits): number {
  if (docs.length > limits.maxDocuments) {
    throw new ApiError(
      413,
      'too_many_documents',
      `${docs.length} documents; the limit (maxDocuments) is ${limits.maxDocuments}`,
    );
  }
  let chars = 0;
  docs.forEach((d, i) => {
    if (d.text.length > limits.maxCharsPerDocument) {
      throw new ApiError(
        413,
        'document_too_long',
        `document ${i} has ${d.text.length} characters; the limit (maxCharsPerDocument) is ${limits.maxCharsPerDocument}`,
      );
    }
    chars += d.text.length;
  });
  const k = Math.max(1, kbest ?? 1);
  const cost = chars * k;
  if (cost > limits.maxRequestCost) {
    throw new ApiError(
      413,
      'budget_exceeded',
      `this request costs ${cost} (${chars} characters × kbest ${k}); the budget (maxRequestCost) is ${limits.maxRequestCost}: send fewer characters per request or ask for fewer paths`,
    );
  }
  return cost;
}

const encoder = new TextEncoder();

/** The answer as JSON bytes, 413 response_too_large above maxResponseBytes. */
function boundedJson(c: Context, answer: unknown, limits: Limits): Response {
  const bytes = encoder.encode(JSON.stringify(answer));
  if (bytes.byteLength > limits.maxResponseBytes) {
    throw new ApiError(
      413,
      'response_too_large',
      `the answer would be ${bytes.byteLength} bytes; the limit (maxResponseBytes) is ${limits.maxResponseBytes}: ask for fewer k-best paths or send less text per request`,
    );
  }
  return c.body(bytes, 200, { 'content-type': 'application/json' });
}

async function loadModel(opts: AppOptions): Promise<ServedModel> {
  try {
    return await opts.model();
  } catch {
    throw new ApiError(503, 'model_unavailable', 'no model could be loaded');
  }
}
