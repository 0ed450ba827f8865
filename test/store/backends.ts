/**
 * The storage backends the store suites run over, each a REAL implementation:
 *   s3      S3Store → s3rver 3.7 on 127.0.0.1 (random free port, temp directory), path-style, dummy keys
 *   file    FileStore on a temp directory
 *   r2      R2Store → a Miniflare R2 bucket (workerd's local R2, the same the Worker binding uses in dev)
 * Every `open()` returns a fresh, empty store (a new prefix on the shared servers, a new temp dir for file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Miniflare } from 'miniflare';
import S3rver from 's3rver';
import { FileStore } from '../../src/store/file.js';
import { withPrefix, type ObjectStore } from '../../src/store/object-store.js';
import { R2Store, type R2BucketLike } from '../../src/store/r2.js';
import { S3Store } from '../../src/store/s3.js';

export interface Backend {
  name: 's3' | 'file' | 'r2';
  /** whether the backend enforces ifMatch / ifNoneMatch */
  conditional: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  open(): Promise<ObjectStore>;
}

export interface S3Server {
  server: S3rver;
  endpoint: string;
  directory: string;
}

/** Starts s3rver on a random free port with bucket 'models'. */
export async function startS3rver(directory = mkdtempSync(join(tmpdir(), 'cner-s3rver-'))): Promise<S3Server> {
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'models' }] });
  const { port } = await server.run();
  return { server, endpoint: `http://127.0.0.1:${port}`, directory };
}

export function s3Client(endpoint: string, maxAttempts = 3): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts,
  });
}

let counter = 0;
const fresh = (): string => `t${process.pid}-${++counter}/`;

export function s3Backend(): Backend {
  let s3: S3Server | null = null;
  let client: S3Client | null = null;
  return {
    name: 's3',
    // s3rver 3.7 ignores If-Match / If-None-Match on PUT, so the store says so
    conditional: false,
    async start() {
      s3 = await startS3rver();
      client = s3Client(s3.endpoint);
    },
    async stop() {
      client?.destroy();
      await s3?.server.close();
      if (s3) rmSync(s3.directory, { recursive: true, force: true });
    },
    async open() {
      if (!client) throw new Error('s3 backend not started');
      return withPrefix(new S3Store({ bucket: 'models', client, conditionalWrites: false }), fresh());
    },
  };
}

export function fileBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'file',
    conditional: true,
    async start() {},
    async stop() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
    async open() {
      const d = mkdtempSync(join(tmpdir(), 'cner-filestore-'));
      dirs.push(d);
      return new FileStore(join(d, 'store'));
    },
  };
}

export function r2Backend(): Backend {
  let mf: Miniflare | null = null;
  let bucket: R2BucketLike | null = null;
  return {
    name: 'r2',
    conditional: true,
    async start() {
      mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response("") } }', r2Buckets: ['MODELS'] });
      bucket = (await mf.getR2Bucket('MODELS')) as unknown as R2BucketLike;
    },
    async stop() {
      await mf?.dispose();
    },
    async open() {
      if (!bucket) throw new Error('r2 backend not started');
      return withPrefix(new R2Store(bucket, 'MODELS'), fresh());
    },
  };
}

export const allBackends = (): Backend[] => [s3Backend(), fileBackend(), r2Backend()];
