import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file.js';
import { openStore, parseStoreUrl, s3ClientConfig } from '../../src/store/open.js';

describe('store URLs', () => {
  it('parses file, s3 and r2 URLs', () => {
    expect(parseStoreUrl('file:///srv/models')).toEqual({ scheme: 'file', location: '/srv/models', prefix: '' });
    expect(parseStoreUrl('file://rel/dir', '/base')).toEqual({ scheme: 'file', location: '/base/rel/dir', prefix: '' });
    expect(parseStoreUrl('s3://bucket')).toEqual({ scheme: 's3', location: 'bucket', prefix: '' });
    expect(parseStoreUrl('s3://bucket/prod/cner/')).toEqual({ scheme: 's3', location: 'bucket', prefix: 'prod/cner/' });
    expect(parseStoreUrl('R2://bkt/x')).toEqual({ scheme: 'r2', location: 'bkt', prefix: 'x/' });
    expect(() => parseStoreUrl('/plain/path')).toThrow(/expected file:\/\/DIR, s3:\/\/BUCKET/);
    expect(() => parseStoreUrl('gs://b')).toThrow(/expected scheme file, s3 or r2, got "gs"/);
    expect(() => parseStoreUrl('s3://')).toThrow(/expected a bucket name/);
    expect(() => openStore('s3://bkt/a/../c', {})).toThrow(/prefix/);
    expect(openStore('file:///tmp/x', {})).toBeInstanceOf(FileStore);
  });

  it('builds S3 client configs from the environment', () => {
    const mk = s3ClientConfig('s3', { S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' });
    expect(mk).toMatchObject({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    const aws = s3ClientConfig('s3', { AWS_REGION: 'eu-west-1' });
    expect(aws).toMatchObject({ region: 'eu-west-1', forcePathStyle: false });
    expect(aws.endpoint).toBeUndefined();
    expect(aws.credentials).toBeUndefined();
    const r2 = s3ClientConfig('r2', { R2_ACCOUNT_ID: '0123456789abcdef0123456789abcdef' });
    expect(r2).toMatchObject({ endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com', region: 'auto', forcePathStyle: true });
    expect(() => s3ClientConfig('r2', {})).toThrow(/r2:\/\/ needs R2_ACCOUNT_ID/);
    expect(() => s3ClientConfig('s3', { S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/S3_FORCE_PATH_STYLE: expected 1\/0/);
    expect(s3ClientConfig('s3', { S3_ENDPOINT: 'http://x', S3_FORCE_PATH_STYLE: '0' }).forcePathStyle).toBe(false);
  });
});
