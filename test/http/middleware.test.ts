/**
 * The app's middlewares (src/hosts/http/middleware.ts) through the real Hono app's fetch: hono/bearer-auth answering
 * the API's 401 JSON for every kind of refusal, hono/cors for allowed and other origins, our body reader's limits,
 * and the tokens bearer auth cannot take refused at start (createApp) and in the Worker's settings.
 */
import { describe, expect, it } from 'vitest';
import { createApp, type ServedModel } from '../../src/hosts/http/app.js';
import { CloudflareConfigError, readSettings } from '../../src/hosts/http/cloudflare-handler.js';

const TOKEN = 'tok-EN_1.2~3+4/5==';

function model(): ServedModel {
  return {
    sha256: 'ab'.repeat(32),
    name: 'm',
    version: '1',
    trained: null,
    labels: ['O'],
    source: 'file',
    tagger: { tagMany: async (texts) => texts.map(() => ({ entities: [] })) },
  };
}

const app = createApp({
  model: async () => model(),
  authToken: TOKEN,
  corsOrigins: ['https://ok.example'],
  limits: { maxBodyBytes: 64 },
});

function tag(headers: Record<string, string>, body: BodyInit = JSON.stringify({ text: '腹痛' })) {
  return app.fetch(
    new Request('http://x/v1/tag', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    }),
  );
}

describe('bearer auth (hono/bearer-auth)', () => {
  it('answers 401 with the API error JSON and WWW-Authenticate: Bearer, missing, malformed or wrong', async () => {
    for (const auth of [
      undefined,
      'Basic abc',
      TOKEN,
      'Bearer ',
      'Bearer a b',
      'Bearer wrong',
      `Bearer ${TOKEN}x`,
      'Bearer t%C3',
    ]) {
      const res = await tag(auth === undefined ? {} : { authorization: auth });
      expect(res.status, String(auth)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({
        error: { code: 'unauthorized', message: 'a valid "Authorization: Bearer <token>" header is required' },
      });
    }
  });

  it('lets the token in with the scheme in any case; routes outside /v1 need none', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER'])
      expect((await tag({ authorization: `${scheme} ${TOKEN}` })).status, scheme).toBe(200);
    expect((await app.fetch(new Request('http://x/healthz'))).status).toBe(200);
  });

  it('a token bearer auth cannot compare (not an RFC 6750 b64token) is refused at start', () => {
    const message =
      'the auth token must be an RFC 6750 bearer token: letters, digits and - . _ ~ + / (then = padding only)';
    for (const bad of ['has space', 'semi;colon', '=lead', 'tab\t']) {
      expect(() => createApp({ model: async () => model(), authToken: bad }), bad).toThrow(`createApp: ${message}`);
      expect(() => readSettings({ AUTH_TOKEN: bad }), bad).toThrow(CloudflareConfigError);
      expect(() => readSettings({ AUTH_TOKEN: bad }), bad).toThrow(`AUTH_TOKEN: ${message}`);
    }
  });
});

describe('CORS (hono/cors)', () => {
  it('names an allowed origin, never another one, on answers and errors alike', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const ok = await tag({ ...auth, origin: 'https://ok.example' });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ok.example');
    expect(ok.headers.get('vary')).toMatch(/origin/i);
    const refused = await tag({ origin: 'https://ok.example' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://ok.example');
    const other = await tag({ ...auth, origin: 'https://evil.example' });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight 204 with the methods, headers and max age', async () => {
    const res = await app.fetch(
      new Request('http://x/v1/tag', {
        method: 'OPTIONS',
        headers: { origin: 'https://ok.example', 'access-control-request-method': 'POST' },
      }),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://ok.example');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST,OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(res.headers.get('access-control-max-age')).toBe('86400');
  });
});

describe('the body limit (ours: readBodyLimited)', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('413 body_too_large by the declared length and by the bytes that arrive', async () => {
    const big = JSON.stringify({ text: '腹'.repeat(40) });
    const declared = await tag({ ...auth, 'content-length': String(new TextEncoder().encode(big).length) }, big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      error: {
        code: 'body_too_large',
        message: `request body is ${new TextEncoder().encode(big).length} bytes; the limit (maxBodyBytes) is 64`,
      },
    });
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += 16) c.enqueue(bytes.subarray(i, i + 16));
        c.close();
      },
    });
    const streamed = await app.fetch(
      new Request('http://x/v1/tag', {
        method: 'POST',
        body: stream,
        headers: { 'content-type': 'application/json', ...auth },
        duplex: 'half',
      } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({
      error: { code: 'body_too_large', message: 'request body exceeds the limit (maxBodyBytes) of 64 bytes' },
    });
  });

  it('400 invalid_encoding for a body that is not UTF-8', async () => {
    const res = await tag(auth, new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'invalid_encoding', message: 'request body is not valid UTF-8' },
    });
  });
});
