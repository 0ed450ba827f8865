/** Shared by the workerd tests: calling the Worker, filling its R2 bucket, a model with known answers. */
import { env, exports } from 'cloudflare:workers';
import { lookupModel } from '../helpers/random-model.js';
import {
  MANIFEST_KEY,
  modelKey,
  publishModel,
  R2Store,
  serializeManifest,
  sha256Hex,
  type Manifest,
} from '../../src/store/index.js';

export const TOKEN = env.AUTH_TOKEN;
export const BASE = 'https://cner.test';

/** Calls the Worker with the bearer token (unless `token: null`). */
export function call(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  return exports.default.fetch(new Request(BASE + path, { ...rest, headers }));
}

/** POST /v1/tag with a JSON body. */
export function tag(body: unknown, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  return call('/v1/tag', {
    method: 'POST',
    body: JSON.stringify(body),
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
  });
}

export const store = () => new R2Store(env.MODELS, 'MODELS');

export async function clearBucket(): Promise<void> {
  const s = store();
  for (const o of await s.list()) await s.delete(o.key);
}

export async function publish(bytes: Uint8Array, validate = true): Promise<string> {
  const r = await publishModel(store(), bytes, { validate });
  return r.entry.sha256;
}

/**
 * Writes a manifest naming `named` (its sha256 and size) and stores `stored` under its key: with stored ≠ named
 * this is a corrupted object the Worker must refuse.
 */
export async function putManifestNaming(named: Uint8Array, stored: Uint8Array | null, version = 90): Promise<string> {
  const sha256 = await sha256Hex(named);
  const key = modelKey(sha256);
  const now = new Date().toISOString();
  const manifest: Manifest = {
    schema: 1,
    updatedAt: now,
    current: { sha256, key, size: named.length, name: 'hand-written', version, publishedAt: now, metrics: null },
    history: [],
  };
  if (stored) await env.MODELS.put(key, stored);
  await env.MODELS.put(MANIFEST_KEY, serializeManifest(manifest));
  return sha256;
}

/**
 * A model with known answers: 腹 → B-BODY, 部 → I-BODY (after 腹), 痛 → B-SIGNS, every other character O.
 * `variant` changes the weights (another file, another SHA-256) but not the answers.
 */
export function knownModel(variant = 8): Uint8Array {
  return lookupModel({
    tagOf: { 腹: 'B-BODY', 部: 'I-BODY', 痛: 'B-SIGNS' },
    chars: '患者右下三天伴恶心呕吐查体压诊断急性阑尾炎。，：',
    strength: variant,
  }).bytes;
}

export interface Expected {
  type: string;
  start: number;
  end: number;
  text: string;
}

/** The entities knownModel() must find in `text`, with UTF-16 offsets. */
export function expectedEntities(text: string): Expected[] {
  const out: Expected[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '腹') {
      const end = text[i + 1] === '部' ? i + 2 : i + 1;
      out.push({ type: 'BODY', start: i, end, text: text.slice(i, end) });
      i = end - 1;
    } else if (text[i] === '痛') out.push({ type: 'SIGNS', start: i, end: i + 1, text: '痛' });
  }
  return out;
}

/** UTF-16 offset → code point offset. */
export function codePointOffset(text: string, utf16: number): number {
  return Array.from(text.slice(0, utf16)).length;
}

export interface TagResponse {
  model: { name: string; version: string; sha256: string };
  entities: { type: string; start: number; end: number; text: string; score?: number; corrected?: boolean }[];
  paths?: { score: number; entities: unknown[] }[];
  documents?: { id?: string; entities: TagResponse['entities'] }[];
}

export interface ModelResponse {
  name: string;
  version: string;
  sha256: string;
  labels: string[];
  source: string;
  release: { version: number; publishedAt: string } | null;
}
