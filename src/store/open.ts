/**
 * Opens a store from a URL. Node-only (reads the environment, loads the S3 and file adapters).
 *
 *   file://DIR              a local directory (absolute `file:///srv/models` or relative `file://models`)
 *   s3://BUCKET[/PREFIX]    S3 or any S3-compatible server
 *   r2://BUCKET[/PREFIX]    Cloudflare R2 through its S3 API: endpoint https://<R2_ACCOUNT_ID>.r2.cloudflarestorage.com
 *                           (or S3_ENDPOINT), region 'auto'
 *
 * Environment (s3:// and r2://):
 *   S3_ENDPOINT | AWS_ENDPOINT_URL_S3 | AWS_ENDPOINT_URL   endpoint URL (MinIO, s3rver, R2); none = AWS
 *   AWS_REGION | AWS_DEFAULT_REGION                      default us-east-1 ('auto' for r2://)
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]   else the SDK's default credential chain
 *   S3_FORCE_PATH_STYLE=1|0                              default: 1 when an endpoint is set (MinIO, s3rver)
 *   S3_CONDITIONAL_WRITES=1|0                            default 1 (send If-Match / If-None-Match)
 *   R2_ACCOUNT_ID (or CLOUDFLARE_ACCOUNT_ID)             for r2:// without S3_ENDPOINT
 *
 * The AWS SDK (`@aws-sdk/client-s3`, an optional peer dependency of the package) is imported on the first
 * operation of an s3:// or r2:// store, never for file:// stores or at start-up; without it that operation
 * fails saying how to install it.
 */
import * as path from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { FileStore } from './file.js';
import { assertValidPrefix, withPrefix, type ListedObject, type ObjectInfo, type ObjectStore, type PutOptions, type PutResult } from './object-store.js';
import type { S3StoreOptions } from './s3.js';

export type Env = Record<string, string | undefined>;

export interface ParsedStoreUrl {
  scheme: 'file' | 's3' | 'r2';
  /** file: absolute directory; s3/r2: bucket */
  location: string;
  /** s3/r2: key prefix ('' or ending in '/'); file: '' */
  prefix: string;
}

export function parseStoreUrl(url: string, cwd = process.cwd()): ParsedStoreUrl {
  if (typeof url !== 'string') throw new TypeError(`store URL: expected a string, got ${typeof url}`);
  const m = /^([a-z0-9]+):\/\/(.*)$/i.exec(url);
  if (!m) throw new TypeError(`store URL: expected file://DIR, s3://BUCKET[/PREFIX] or r2://BUCKET[/PREFIX], got ${JSON.stringify(url)}`);
  const scheme = m[1].toLowerCase();
  const rest = m[2];
  if (scheme === 'file') {
    // file:///abs/dir → /abs/dir; file://rel/dir → <cwd>/rel/dir; file://localhost/abs → /abs
    let p = rest.startsWith('localhost/') ? rest.slice('localhost'.length) : rest;
    p = decodeURIComponent(p);
    if (p === '') throw new TypeError(`store URL: file:// needs a directory, got ${JSON.stringify(url)}`);
    return { scheme: 'file', location: path.resolve(cwd, p), prefix: '' };
  }
  if (scheme === 's3' || scheme === 'r2') {
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    let prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!/^[a-z0-9][a-z0-9.\-_]{1,62}$/i.test(bucket)) {
      throw new TypeError(`store URL: expected a bucket name after ${scheme}://, got ${JSON.stringify(bucket)}`);
    }
    if (prefix !== '') prefix += '/';
    assertValidPrefix(prefix, `store URL prefix`);
    return { scheme, location: bucket, prefix };
  }
  throw new TypeError(`store URL: expected scheme file, s3 or r2, got ${JSON.stringify(scheme)}`);
}

/** The S3 client config that `openStore` would use for an s3:// or r2:// URL (exported for tests). */
export function s3ClientConfig(scheme: 's3' | 'r2', env: Env): S3ClientConfig {
  let endpoint = env.S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (!endpoint && scheme === 'r2') {
    const account = env.R2_ACCOUNT_ID || env.CLOUDFLARE_ACCOUNT_ID;
    if (!account) {
      throw new TypeError('r2:// needs R2_ACCOUNT_ID (or CLOUDFLARE_ACCOUNT_ID) or S3_ENDPOINT in the environment');
    }
    if (!/^[0-9a-f]{32}$/i.test(account)) {
      throw new TypeError(`R2_ACCOUNT_ID: expected 32 hex digits, got ${account.length} characters`);
    }
    endpoint = `https://${account}.r2.cloudflarestorage.com`;
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (scheme === 'r2' ? 'auto' : 'us-east-1');
  const forcePathStyle = flag(env.S3_FORCE_PATH_STYLE, 'S3_FORCE_PATH_STYLE') ?? endpoint !== undefined;
  const config: S3ClientConfig = {
    region,
    forcePathStyle,
    // checksums only where the operation requires them: S3-compatible servers differ in what they accept;
    // uploads are verified by reading the object back and hashing it anyway
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (endpoint) config.endpoint = endpoint;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return config;
}

/** Opens the store a URL names (see the top of this file). */
export function openStore(url: string, env: Env = process.env, cwd = process.cwd()): ObjectStore {
  const u = parseStoreUrl(url, cwd);
  if (u.scheme === 'file') return new FileStore(u.location);
  const store = new LazyS3Store({
    bucket: u.location,
    clientConfig: s3ClientConfig(u.scheme, env),
    conditionalWrites: flag(env.S3_CONDITIONAL_WRITES, 'S3_CONDITIONAL_WRITES') ?? true,
    description: `${u.scheme}://${u.location}/`,
  });
  return withPrefix(store, u.prefix);
}

/** An S3Store made on first use, so that the AWS SDK loads only when an s3:// or r2:// store is used. */
class LazyS3Store implements ObjectStore {
  readonly description: string;
  readonly conditionalWrites: boolean;
  private store: Promise<ObjectStore> | null = null;

  constructor(private readonly options: S3StoreOptions) {
    this.description = options.description ?? `s3://${options.bucket}/`;
    this.conditionalWrites = options.conditionalWrites ?? true;
  }

  private load(): Promise<ObjectStore> {
    this.store ??= import('./s3.js').then(
      ({ S3Store }) => new S3Store(this.options),
      (e: unknown) => {
        this.store = null;
        const code = (e as { code?: unknown }).code;
        if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes('@aws-sdk/client-s3')) {
          throw new Error(`${this.description}: the AWS SDK is not installed; npm install @aws-sdk/client-s3 to use s3:// and r2:// stores`);
        }
        throw e;
      },
    );
    return this.store;
  }

  async get(key: string): Promise<Uint8Array | null> {
    return (await this.load()).get(key);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    return (await this.load()).head(key);
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    return (await this.load()).put(key, bytes, options);
  }

  async list(prefix?: string): Promise<ListedObject[]> {
    return (await this.load()).list(prefix);
  }

  async delete(key: string): Promise<void> {
    return (await this.load()).delete(key);
  }
}

function flag(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new TypeError(`${name}: expected 1/0/true/false, got ${JSON.stringify(v)}`);
}
