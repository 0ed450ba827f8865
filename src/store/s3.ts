/**
 * ObjectStore over the S3 API (`@aws-sdk/client-s3`): AWS S3, Cloudflare R2 (account endpoint, region
 * 'auto'), MinIO, s3rver. Node-only.
 *
 * Conditional writes send `If-Match` / `If-None-Match: *` on PutObject (AWS S3, R2 and MinIO enforce them;
 * s3rver 3.7 ignores them). Pass `conditionalWrites: false` for a server that rejects the headers; callers
 * then rely on the retrain lock (docs/store.md).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  assertValidKey,
  assertValidPrefix,
  checkPutOptions,
  PreconditionFailedError,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type PutResult,
} from './object-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** a ready client, or the config to make one */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
  /** send If-Match / If-None-Match on conditional puts (default true) */
  conditionalWrites?: boolean;
  /** shown in messages, e.g. 's3://bucket/' (default built from the bucket) */
  description?: string;
}

export class S3Store implements ObjectStore {
  readonly description: string;
  readonly conditionalWrites: boolean;
  readonly bucket: string;
  readonly client: S3Client;

  constructor(options: S3StoreOptions) {
    if (!options || typeof options.bucket !== 'string' || !/^[a-z0-9][a-z0-9.\-_]{1,62}$/i.test(options.bucket)) {
      throw new TypeError(`S3Store: expected a bucket name (3-63 of [a-z0-9.-_]), got ${JSON.stringify(options?.bucket)}`);
    }
    this.bucket = options.bucket;
    this.client = options.client ?? new S3Client(options.clientConfig ?? {});
    this.conditionalWrites = options.conditionalWrites ?? true;
    this.description = options.description ?? `s3://${options.bucket}/`;
  }

  async get(key: string): Promise<Uint8Array | null> {
    assertValidKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!res.Body) return new Uint8Array(0);
      return await res.Body.transformToByteArray();
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.Metadata ?? {})) metadata[k.toLowerCase()] = v;
      return {
        key,
        size: res.ContentLength ?? 0,
        etag: res.ETag ?? null,
        lastModified: res.LastModified ?? null,
        contentType: res.ContentType ?? null,
        metadata,
      };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    const o = checkPutOptions(key, bytes, options);
    try {
      const res = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: o.contentType,
          Metadata: o.metadata,
          ...(this.conditionalWrites && o.ifMatch !== undefined ? { IfMatch: o.ifMatch } : {}),
          ...(this.conditionalWrites && o.ifNoneMatch !== undefined ? { IfNoneMatch: o.ifNoneMatch } : {}),
        }),
      );
      return { etag: res.ETag ?? null };
    } catch (e) {
      const status = httpStatus(e);
      // 412 PreconditionFailed; 409 ConditionalRequestConflict (a concurrent conditional write won)
      if (status === 412 || (status === 409 && (o.ifMatch !== undefined || o.ifNoneMatch !== undefined))) {
        throw new PreconditionFailedError(key, `server answered ${status} ${(e as Error).name}`);
      }
      throw e;
    }
  }

  async list(prefix = ''): Promise<ListedObject[]> {
    assertValidPrefix(prefix);
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? null, lastModified: o.LastModified ?? null });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(e: unknown): boolean {
  const name = (e as Error)?.name;
  if (name === 'NoSuchBucket') return false; // a configuration error, not an absent object
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(e) === 404;
}
