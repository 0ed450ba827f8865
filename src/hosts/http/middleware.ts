/**
 * The app's middlewares. CORS and bearer auth are Hono's own (hono/cors, hono/bearer-auth), set up so that they
 * answer with the API's error JSON; the body limit is ours (readBodyLimited), see why beside it.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { cors } from 'hono/cors';
import { ApiError, errorBody } from './errors.js';

/**
 * CORS for the allowed origins ('*': any). A request from another origin (or without one) gets no
 * Access-Control-Allow-Origin header; a preflight is answered 204 for any path.
 */
export function corsFor(origins: '*' | string[]): MiddlewareHandler {
  return cors({
    origin: (origin) =>
      origin && (origins === '*' || origins.includes(origin)) ? (origins === '*' ? '*' : origin) : null,
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['authorization', 'content-type'],
    maxAge: 86400,
  });
}

/** RFC 6750's b64token: the only bearer tokens hono/bearer-auth compares (anything else is refused as malformed). */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/** Why `token` cannot be the API's bearer token, or null when it can. */
export function bearerTokenProblem(token: string): string | null {
  return B64TOKEN.test(token)
    ? null
    : 'the auth token must be an RFC 6750 bearer token: letters, digits and - . _ ~ + / (then = padding only)';
}

/**
 * `Authorization: Bearer <token>` required (the scheme in any case, RFC 7235; compared in constant time). A missing,
 * malformed or wrong header gets 401 unauthorized in the API's error JSON (hono's default for a malformed one is a
 * plain-text 400) and `WWW-Authenticate: Bearer`.
 */
export function bearerFor(token: string): MiddlewareHandler {
  const problem = bearerTokenProblem(token);
  if (problem) throw new RangeError(`createApp: ${problem}`);
  const refuse = {
    wwwAuthenticateHeader: 'Bearer',
    message: (c: Context) =>
      c.json(errorBody('unauthorized', 'a valid "Authorization: Bearer <token>" header is required'), 401),
  };
  return bearerAuth({
    token,
    noAuthenticationHeader: refuse,
    invalidAuthenticationHeader: refuse,
    invalidToken: refuse,
  });
}

/**
 * Reads a request body as text, refusing it as soon as it grows past `max` bytes (413 body_too_large) or is not UTF-8
 * (400 invalid_encoding).
 *
 * Not hono/body-limit: its onError could answer our 413 JSON, but it wraps the body in a second stream that only
 * counts bytes, and the route must still read it and decode it chunk by chunk (below) — this reader does both in one
 * pass, and its message can say the declared size.
 */
export async function readBodyLimited(req: Request, max: number): Promise<string> {
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
