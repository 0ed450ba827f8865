/**
 * The API inside workerd through the real Worker (exports.default.fetch): auth, every limit, malformed and
 * mistyped requests, empty / huge / surrogate-laden texts with exact offsets, documents, k-best, CORS, and
 * /openapi.json. The served model is knownModel() from R2, so every answer is known exactly.
 */
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../src/hosts/cloudflare.js';
import { tagRequestSchema, validate, type JsonSchema } from '../../src/hosts/http/schemas.js';
import { BASE, call, clearBucket, codePointOffset, expectedEntities, knownModel, publish, tag, TOKEN, type TagResponse } from './helpers.js';

const limits = {
  maxBodyBytes: Number(env.MAX_BODY_BYTES),
  maxDocuments: Number(env.MAX_DOCUMENTS),
  maxCharsPerDocument: Number(env.MAX_CHARS_PER_DOCUMENT),
};

type Entities = TagResponse['entities'];
const plain = (es: Entities) => es.map(({ type, start, end, text }) => ({ type, start, end, text }));

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  return body.error;
}

let sha: string;
beforeAll(async () => {
  await clearBucket();
  sha = await publish(knownModel());
  // the settings these tests rely on
  expect(limits.maxBodyBytes).toBeGreaterThan(3 * limits.maxCharsPerDocument);
  expect(TOKEN.length).toBeGreaterThan(8);
});

describe('auth', () => {
  it('refuses /v1/* without a token', async () => {
    for (const res of [await tag({ text: '腹痛' }, { token: null }), await call('/v1/model', { token: null })]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect((await errorOf(res)).code).toBe('unauthorized');
    }
  });

  it('refuses a wrong token, a prefix of the right one, the right one plus a byte, and other schemes', async () => {
    const wrong = ['wrong-token', TOKEN.slice(0, -1), TOKEN + 'x', TOKEN.toUpperCase() === TOKEN ? 'X' + TOKEN : TOKEN.toUpperCase()];
    for (const t of wrong) expect((await tag({ text: '腹痛' }, { token: t })).status).toBe(401);
    const basic = await exports.default.fetch(new Request(`${BASE}/v1/model`, { headers: { authorization: `Basic ${TOKEN}` } }));
    expect(basic.status).toBe(401);
    const bare = await exports.default.fetch(new Request(`${BASE}/v1/model`, { headers: { authorization: TOKEN } }));
    expect(bare.status).toBe(401);
  });

  it('accepts the bearer scheme in any case (RFC 7235)', async () => {
    for (const scheme of ['bearer', 'BEARER']) {
      const res = await exports.default.fetch(new Request(`${BASE}/v1/model`, { headers: { authorization: `${scheme} ${TOKEN}` } }));
      expect(res.status, scheme).toBe(200);
    }
  });

  it('accepts the right token', async () => {
    const res = await tag({ text: '腹痛' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as TagResponse).model.sha256).toBe(sha);
  });

  it('leaves /healthz, /openapi.json and the page open', async () => {
    for (const path of ['/healthz', '/openapi.json', '/']) expect((await call(path, { token: null })).status).toBe(200);
  });
});

describe('limits (413 naming the limit)', () => {
  it('maxBodyBytes, with a declared length', async () => {
    const text = 'a'.repeat(limits.maxBodyBytes + 1);
    const res = await tag({ text });
    expect(res.status).toBe(413);
    const e = await errorOf(res);
    expect(e.code).toBe('body_too_large');
    expect(e.message).toContain('maxBodyBytes');
  });

  it('maxBodyBytes, with a streamed body of unknown length', async () => {
    const chunk = new TextEncoder().encode('a'.repeat(65536));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > limits.maxBodyBytes + chunk.length) return controller.close();
        controller.enqueue(sent === 0 ? new TextEncoder().encode('{"text":"') : chunk);
        sent += chunk.length;
      },
      cancel() {
        sent = Infinity; // the Worker stopped reading at the limit
      },
    });
    // called in-process (a service-binding call would pipe the cancelled stream and log a lost connection)
    const req = new Request(`${BASE}/v1/tag`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
    expect(req.headers.get('content-length')).toBeNull();
    const res = await worker.fetch(req, env);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).message).toContain('maxBodyBytes');
  });

  it('maxDocuments', async () => {
    const documents = Array.from({ length: limits.maxDocuments + 1 }, (_, i) => ({ id: `d${i}`, text: '腹痛' }));
    const res = await tag({ documents });
    expect(res.status).toBe(413);
    const e = await errorOf(res);
    expect(e.code).toBe('too_many_documents');
    expect(e.message).toContain('maxDocuments');
    // exactly at the limit is fine
    expect((await tag({ documents: documents.slice(0, limits.maxDocuments) })).status).toBe(200);
  });

  it('maxCharsPerDocument, for text and for one of several documents', async () => {
    const long = '腹'.repeat(limits.maxCharsPerDocument + 1);
    for (const body of [{ text: long }, { documents: [{ text: '痛' }, { text: long }] }]) {
      const res = await tag(body);
      expect(res.status).toBe(413);
      const e = await errorOf(res);
      expect(e.code).toBe('document_too_long');
      expect(e.message).toContain('maxCharsPerDocument');
      expect(e.message).not.toContain('腹');
    }
  });
});

describe('budget and hostile requests', () => {
  it('refuses characters × kbest over the budget with 413 budget_exceeded, before tagging', async () => {
    const res = await tag({ text: '腹'.repeat(limits.maxCharsPerDocument), options: { kbest: 10 } });
    expect(res.status).toBe(413);
    const e = await errorOf(res);
    expect(e.code).toBe('budget_exceeded');
    expect(e.message).toContain('maxRequestCost');
  });

  it('answers 125,000 invalid documents with a short 400', async () => {
    const res = await tag({ documents: Array.from({ length: 125_000 }, () => ({})) });
    expect(res.status).toBe(400);
    const e = await errorOf(res);
    expect(e.message.length).toBeLessThan(2000);
    expect(e.message).toContain('and 124990 more');
  });

  it('refuses prototype-named keys', async () => {
    const res = await call('/v1/tag', { method: 'POST', body: '{"text":"腹痛","options":{"__proto__":{"kbest":10}}}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('"__proto__" is not allowed');
  });

  it('names the model by a short hash and its training date', async () => {
    const health = (await (await call('/healthz', { token: null })).json()) as { model: { id: string; trained: string | null } };
    expect(health.model.id).toBe(sha.slice(0, 12));
    expect(health.model.trained).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('malformed requests', () => {
  it('400 on malformed JSON, without echoing the body', async () => {
    const res = await call('/v1/tag', { method: 'POST', body: '{"text": "腹部疼痛', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    const e = await errorOf(res);
    expect(e.code).toBe('invalid_json');
    expect(e.message).not.toContain('腹');
  });

  it('400 on invalid UTF-8', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const res = await call('/v1/tag', { method: 'POST', body: bytes, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_encoding');
  });

  it('400 on requests that do not match the schema', async () => {
    const bad: unknown[] = [
      [],
      'text',
      {},
      { text: 1 },
      { text: '腹', documents: [{ text: '痛' }] },
      { documents: [] },
      { documents: [{ id: 'a' }] },
      { text: '腹', extra: true },
      { text: '腹', options: { offsets: 'bytes' } },
      { text: '腹', options: { kbest: 0 } },
      { text: '腹', options: { kbest: 11 } },
      { text: '腹', options: { scores: 'yes' } },
    ];
    for (const body of bad) {
      const res = await tag(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_request');
    }
  });

  it('415 on a content type other than application/json', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await call('/v1/tag', { method: 'POST', body: '{"text":"腹痛"}', headers: { 'content-type': type } });
      expect(res.status).toBe(415);
      expect((await errorOf(res)).code).toBe('unsupported_media_type');
    }
    const none = await call('/v1/tag', { method: 'POST', body: new Blob(['{"text":"腹痛"}']) });
    expect(none.status).toBe(415);
    // parameters after the type are fine
    const utf8 = await call('/v1/tag', { method: 'POST', body: '{"text":"腹痛"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(utf8.status).toBe(200);
  });

  it('405 on GET /v1/tag, 404 elsewhere', async () => {
    const get = await call('/v1/tag');
    expect(get.status).toBe(405);
    expect((await errorOf(get)).code).toBe('method_not_allowed');
    const missing = await call('/v2/nothing');
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('not_found');
  });
});

describe('tagging', () => {
  it('empty text → no entities', async () => {
    const res = await tag({ text: '' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as TagResponse).entities).toEqual([]);
  });

  it('finds the known entities with offsets, scores in [0, 1], and the model named', async () => {
    const text = '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛。';
    const body = (await (await tag({ text })).json()) as TagResponse;
    expect(body.model).toMatchObject({ sha256: sha, name: 'lookup-test-model' });
    expect(plain(body.entities)).toEqual(expectedEntities(text));
    for (const e of body.entities) expect(e.score).toBeGreaterThanOrEqual(0), expect(e.score).toBeLessThanOrEqual(1);
  });

  it('keeps offsets right around emoji, lone surrogates and other astral characters', async () => {
    const texts = [
      '😀腹部痛😀',
      '\ud83d腹痛\ude00腹部\ud83d',
      '👨‍👩‍👧 患者腹部😷痛，\udfff𠀀腹𝕏痛。',
      '\ud800\udc00腹\ud800',
      '腹部\u0301 痛\u200d',
    ];
    for (const text of texts) {
      const body = (await (await tag({ text })).json()) as TagResponse;
      const expected = expectedEntities(text);
      expect(plain(body.entities), JSON.stringify(text)).toEqual(expected);
      for (const e of body.entities) expect(text.slice(e.start, e.end)).toBe(e.text);

      const cp = (await (await tag({ text, options: { offsets: 'codepoint' } })).json()) as TagResponse;
      expect(plain(cp.entities)).toEqual(
        expected.map((e) => ({ ...e, start: codePointOffset(text, e.start), end: codePointOffset(text, e.end) })),
      );
    }
  });

  it('tags a huge text just below the character limit, offsets right to the end', async () => {
    const unit = '患者腹部痛😀，查体：右下腹压痛。\ud83d';
    let text = unit.repeat(Math.floor(limits.maxCharsPerDocument / unit.length));
    text += '腹'.repeat(limits.maxCharsPerDocument - text.length);
    expect(text.length).toBe(limits.maxCharsPerDocument);
    const res = await tag({ text, options: { scores: false } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as TagResponse;
    const expected = expectedEntities(text);
    expect(body.entities.length).toBe(expected.length);
    expect(plain(body.entities)).toEqual(expected);
    expect(body.entities.at(-1)!.end).toBe(text.length);
  });

  it('tags several documents, echoing ids in order', async () => {
    const documents = [
      { id: 'a', text: '腹痛' },
      { text: '无' },
      { id: 'c', text: '😀腹部' },
    ];
    const body = (await (await tag({ documents })).json()) as TagResponse;
    expect(body.entities).toBeUndefined();
    expect(body.documents!.map((d) => d.id)).toEqual(['a', undefined, 'c']);
    documents.forEach((d, i) => expect(plain(body.documents![i].entities)).toEqual(expectedEntities(d.text)));
  });

  it('returns k-best paths, best first, the first equal to the entities', async () => {
    const text = '腹部痛';
    const body = (await (await tag({ text, options: { kbest: 3 } })).json()) as TagResponse;
    expect(body.paths!.length).toBe(3);
    expect(body.paths![0].entities).toEqual(body.entities);
    for (let i = 1; i < 3; i++) expect(body.paths![i].score).toBeLessThanOrEqual(body.paths![i - 1].score);
  });
});

describe('CORS', () => {
  it('allows the configured origin only', async () => {
    const ok = await tag({ text: '腹' }, { headers: { origin: 'https://allowed.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
    const other = await tag({ text: '腹' }, { headers: { origin: 'https://other.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers preflight requests', async () => {
    const res = await exports.default.fetch(
      new Request(`${BASE}/v1/tag`, {
        method: 'OPTIONS',
        headers: { origin: 'https://allowed.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      }),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('/openapi.json', () => {
  interface OpenApi {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> }; responses: Record<string, unknown> }>>;
    components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
  }

  it('is an OpenAPI 3 document whose request schema is the one that validates', async () => {
    const res = await call('/openapi.json', { token: null });
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = (await res.json()) as OpenApi;
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/v1/model', '/v1/tag']);
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const [method, op] of Object.entries(ops)) {
        expect(['get', 'post', 'put', 'delete', 'patch', 'options', 'head']).toContain(method);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const code of Object.keys(op.responses)) expect(code).toMatch(/^[1-5]\d\d$|^default$/);
      }
    }
    expect(doc.components?.securitySchemes?.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const schema = doc.paths['/v1/tag'].post.requestBody!.content['application/json'].schema;
    expect(schema).toEqual(JSON.parse(JSON.stringify(tagRequestSchema)));
    expect(doc.paths['/v1/tag'].post.responses).toHaveProperty('413');

    // the published schema accepts what the Worker accepts and refuses what it refuses
    const good = [{ text: '腹痛' }, { documents: [{ id: 'a', text: '腹' }], options: { kbest: 2, offsets: 'codepoint' } }];
    const bad = [{ text: 1 }, { documents: [] }, { text: '腹', options: { kbest: 0 } }, { text: '腹', other: 1 }];
    for (const body of good) {
      expect(validate(body, schema)).toEqual([]);
      expect((await tag(body)).status).toBe(200);
    }
    for (const body of bad) {
      expect(validate(body, schema).length).toBeGreaterThan(0);
      expect((await tag(body)).status).toBe(400);
    }
    // the example in the schema is a valid request
    expect(validate((schema as { example: unknown }).example, schema)).toEqual([]);
  });

  it('states the limits in force', async () => {
    const doc = (await (await call('/openapi.json', { token: null })).json()) as { info: { description: string } };
    expect(doc.info.description).toContain(String(limits.maxBodyBytes));
    expect(doc.info.description).toContain(String(limits.maxCharsPerDocument));
  });
});

describe('the page', () => {
  it('serves HTML that tags through the API', async () => {
    const res = await call('/', { token: null });
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<textarea');
    expect(html).toContain('/v1/tag');
  });
});
