/**
 * Node-only store API: everything in ./index.js plus the file:// adapter and openStore(url), which makes S3 / R2
 * stores too. S3Store itself is in ./s3.js, not re-exported here: importing it loads the AWS SDK (an optional peer
 * dependency), which openStore does only when an s3:// or r2:// store is used.
 */
export * from './index.js';
export type { S3StoreOptions } from './s3.js';
export { FileStore, type FileStoreOptions } from './file.js';
export { openStore, parseStoreUrl, s3ClientConfig, type Env, type ParsedStoreUrl } from './open.js';
