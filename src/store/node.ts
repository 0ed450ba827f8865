/** Node-only store API: everything in ./index.js plus the S3 and file:// adapters and openStore(url). */
export * from './index.js';
export { S3Store, type S3StoreOptions } from './s3.js';
export { FileStore, type FileStoreOptions } from './file.js';
export { openStore, parseStoreUrl, s3ClientConfig, type Env, type ParsedStoreUrl } from './open.js';
