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
import { DEFAULT_LIMITS, type Limits } from './limits.js';
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

export type ApiStatus = 400 | 401 | 404 | 405 | 413 | 415 | 500 | 503 | 504;

export class ApiError extends Error {
  constructor(
    readonly status: ApiStatus,
    readonly code: string,
    message: string,
    /** seconds for a Retry-After header (503) */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** A tagger that runs in this thread (the Worker; tests): one tagMany() call, after a last look at the deadline. */
export function inThisThread(tagger: { tagMany(texts: string[], options: TagCallOptions): TagResultLike[] }): TaggerLike {
  return {
    async tagMany(texts, options, job) {
      if (job.deadline !== undefined && Date.now() > job.deadline) throw deadlineExceeded();
      return tagger.tagMany(texts, options);
    },
  };
}

export function deadlineExceeded(): ApiError {
  return new ApiError(504, 'deadline_exceeded', 'the request waited past its deadline_ms for a tagging thread and was not tagged');
}

/** Compares two strings in time that depends only on their lengths, not on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  const n = Math.max(ea.length, eb.length);
  for (let i = 0; i < n; i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

/** Reads a request body as text, refusing it as soon as it grows past `max` bytes. */
async function readBodyLimited(req: Request, max: number): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    throw new ApiError(413, 'body_too_large', `request body is ${declared} bytes; the limit (maxBodyBytes) is ${max}`);
  }
  if (!req.body) return '';
  const reader = req.body.getReader();
  // decoded chunk by chunk as it arrives: a 1 MB body costs the event loop many sub-millisecond steps, not one
  // multi-millisecond decode that holds up every other request (e.g. /healthz)
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parts: string[] = [];
  let total = 0;
  const invalid = async () => {
    await reader.cancel().catch(() => {});
    return new ApiError(400, 'invalid_encoding', 'request body is not valid UTF-8');
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new ApiError(413, 'body_too_large', `request body exceeds the limit (maxBodyBytes) of ${max} bytes`);
    }
    try {
      parts.push(decoder.decode(value, { stream: true }));
    } catch {
      throw await invalid();
    }
  }
  try {
    parts.push(decoder.decode());
  } catch {
    throw await invalid();
  }
  return parts.join('');
}

interface TagRequest {
  text?: string;
  documents?: { id?: string; text: string }[];
  options?: TagCallOptions;
  deadline_ms?: number;
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** `Authorization: Bearer <token>`, the scheme in any case (RFC 7235); the token, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^bearer +(.+)$/i.exec(header ?? '');
  return m ? m[1] : null;
}

export function createApp(opts: AppOptions): Hono {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const app = new Hono();
  const encoder = new TextEncoder();

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      if (err.retryAfter !== undefined) c.header('retry-after', String(err.retryAfter));
      return c.json(errorBody(err.code, err.message), err.status);
    }
    // The client went away (mid-body or while its request waited): nobody reads the answer; nothing to log.
    if (c.req.raw.signal?.aborted) return new Response(null, { status: 499 });
    // Unknown failure: log its kind only (never the request's text), answer without a stack.
    console.error(`internal error: ${err instanceof Error ? err.name : typeof err}`);
    return c.json(errorBody('internal', 'internal error'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));

  if (opts.corsOrigins) {
    const origins = opts.corsOrigins;
    app.use('*', async (c, next) => {
      const origin = c.req.header('origin');
      const allowed = origin && (origins === '*' || origins.includes(origin)) ? (origins === '*' ? '*' : origin) : null;
      if (c.req.method === 'OPTIONS') {
        if (!allowed) return c.body(null, 204);
        return c.body(null, 204, {
          'access-control-allow-origin': allowed,
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': '86400',
          vary: 'origin',
        });
      }
      await next();
      if (allowed) {
        c.res.headers.set('access-control-allow-origin', allowed);
        c.res.headers.append('vary', 'origin');
      }
    });
  }

  const auth = async (c: Context, next: () => Promise<void>) => {
    if (opts.authToken) {
      const token = bearerToken(c.req.header('authorization'));
      if (token === null || !constantTimeEqual(token, opts.authToken)) {
        c.header('www-authenticate', 'Bearer');
        throw new ApiError(401, 'unauthorized', 'a valid "Authorization: Bearer <token>" header is required');
      }
    }
    await next();
  };
  app.use('/v1/*', auth);

  app.get('/healthz', async (c) => {
    try {
      const m = opts.current?.() ?? (await opts.model());
      return c.json({ status: 'ok', model: { name: m.name, version: m.version, id: modelId(m.sha256), sha256: m.sha256, trained: m.trained, source: m.source } });
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
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      throw new ApiError(415, 'unsupported_media_type', `content-type must be application/json, got ${type ? JSON.stringify(type) : 'none'}`);
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
    const docs = req.documents ?? [{ text: req.text as string }];
    if (docs.length > limits.maxDocuments) {
      throw new ApiError(413, 'too_many_documents', `${docs.length} documents; the limit (maxDocuments) is ${limits.maxDocuments}`);
    }
    let chars = 0;
    docs.forEach((d, i) => {
      if (d.text.length > limits.maxCharsPerDocument) {
        throw new ApiError(413, 'document_too_long', `document ${i} has ${d.text.length} characters; the limit (maxCharsPerDocument) is ${limits.maxCharsPerDocument}`);
      }
      chars += d.text.length;
    });
    const k = Math.max(1, req.options?.kbest ?? 1);
    const cost = chars * k;
    if (cost > limits.maxRequestCost) {
      throw new ApiError(
        413,
        'budget_exceeded',
        `this request costs ${cost} (${chars} characters × kbest ${k}); the budget (maxRequestCost) is ${limits.maxRequestCost}: send fewer characters per request or ask for fewer paths`,
      );
    }
    const m = await loadModel(opts);
    const options: TagCallOptions = { offsets: 'utf16', scores: true, consistency: true, ...req.options };
    const job: TagJob = { cost, signal: c.req.raw.signal, ...(req.deadline_ms !== undefined ? { deadline: arrived + req.deadline_ms } : {}) };
    const tagged = await m.tagger.tagMany(docs.map((d) => d.text), options, job);
    const results = docs.map((d, i) => {
      const r = tagged[i];
      return { ...(d.id !== undefined ? { id: d.id } : {}), entities: r.entities, ...(r.paths ? { paths: r.paths } : {}) };
    });
    const model = { name: m.name, version: m.version, id: modelId(m.sha256), sha256: m.sha256 };
    const bytes = encoder.encode(JSON.stringify(req.documents ? { model, documents: results } : { model, ...results[0] }));
    if (bytes.byteLength > limits.maxResponseBytes) {
      throw new ApiError(
        413,
        'response_too_large',
        `the answer would be ${bytes.byteLength} bytes; the limit (maxResponseBytes) is ${limits.maxResponseBytes}: ask for fewer k-best paths or send less text per request`,
      );
    }
    return c.body(bytes, 200, { 'content-type': 'application/json' });
  });

  app.all('/v1/tag', () => {
    throw new ApiError(405, 'method_not_allowed', 'use POST /v1/tag');
  });

  return app;
}

async function loadModel(opts: AppOptions): Promise<ServedModel> {
  try {
    return await opts.model();
  } catch {
    throw new ApiError(503, 'model_unavailable', 'no model could be loaded');
  }
}
