/**
 * ObjectStore over a Cloudflare Workers R2 binding (`env.MODELS`), so the Worker runs the same manifest code
 * as the CLI. Platform-neutral: the binding is typed structurally (only what is used here), so this file
 * needs neither `@cloudflare/workers-types` nor any Node module.
 *
 * Conditional writes are native: `onlyIf: { etagMatches }` for ifMatch, `onlyIf: { etagDoesNotMatch: '*' }`
 * for ifNoneMatch '*'; R2 answers a failed condition with `null`.
 */
import {
  assertValidKey,
  assertValidPrefix,
  checkPutOptions,
  describeValue,
  PreconditionFailedError,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type PutResult,
} from './object-store.js';

/** The part of R2's object metadata this adapter reads. */
export interface R2ObjectLike {
  key: string;
  size: number;
  etag: string;
  uploaded: Date;
  httpMetadata?: { contentType?: string };
  customMetadata?: Record<string, string>;
}

export interface R2ObjectBodyLike extends R2ObjectLike {
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The part of the Workers `R2Bucket` API this adapter calls. */
export interface R2BucketLike {
  head(key: string): Promise<R2ObjectLike | null>;
  get(key: string): Promise<R2ObjectBodyLike | null>;
  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView,
    options?: {
      httpMetadata?: { contentType?: string };
      customMetadata?: Record<string, string>;
      onlyIf?: { etagMatches?: string; etagDoesNotMatch?: string };
    },
  ): Promise<R2ObjectLike | null>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    objects: R2ObjectLike[];
    truncated: boolean;
    cursor?: string;
  }>;
  delete(keys: string | string[]): Promise<void>;
}

export class R2Store implements ObjectStore {
  readonly description: string;
  readonly conditionalWrites = true;
  private readonly bucket: R2BucketLike;

  /** `bucket`: the R2 binding; `name`: used only in messages */
  constructor(bucket: R2BucketLike, name = 'binding') {
    if (bucket === null || typeof bucket !== 'object' || typeof (bucket as R2BucketLike).get !== 'function') {
      throw new TypeError(`R2Store: expected an R2 bucket binding (with get/put/head/list/delete), got ${describeValue(bucket)}`);
    }
    this.bucket = bucket;
    this.description = `r2-binding://${name}/`;
  }

  async get(key: string): Promise<Uint8Array | null> {
    assertValidKey(key);
    const obj = await this.bucket.get(key);
    return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    const obj = await this.bucket.head(key);
    return obj ? toInfo(obj) : null;
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    const o = checkPutOptions(key, bytes, options);
    const onlyIf =
      o.ifMatch !== undefined ? { etagMatches: o.ifMatch } : o.ifNoneMatch === '*' ? { etagDoesNotMatch: '*' } : undefined;
    const written = await this.bucket.put(key, bytes, {
      httpMetadata: o.contentType ? { contentType: o.contentType } : undefined,
      customMetadata: o.metadata,
      ...(onlyIf ? { onlyIf } : {}),
    });
    if (written === null) {
      throw new PreconditionFailedError(key, o.ifMatch !== undefined ? 'the stored etag differs (or no object exists)' : 'an object already exists');
    }
    return { etag: written.etag };
  }

  async list(prefix = ''): Promise<ListedObject[]> {
    assertValidPrefix(prefix);
    const out: ListedObject[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix, cursor, limit: 1000 });
      for (const o of page.objects) out.push({ key: o.key, size: o.size, etag: o.etag, lastModified: o.uploaded ?? null });
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.bucket.delete(key);
  }
}

function toInfo(obj: R2ObjectLike): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.customMetadata ?? {})) metadata[k.toLowerCase()] = v;
  return {
    key: obj.key,
    size: obj.size,
    etag: obj.etag,
    lastModified: obj.uploaded ?? null,
    contentType: obj.httpMetadata?.contentType ?? null,
    metadata,
  };
}
