/**
 * Platform-neutral store API (safe for the Worker bundle): the ObjectStore interface, the R2-binding and
 * memory adapters, the manifest, the gate and the lock. Node-only adapters (S3, file://, openStore) are in
 * `./node.js`.
 */
export * from './object-store.js';
export { sha256Hex } from './hash.js';
export { MemoryStore } from './memory.js';
export { R2Store, type R2BucketLike, type R2ObjectLike, type R2ObjectBodyLike } from './r2.js';
export * from './manifest.js';
export * from './gate.js';
export * from './gated.js';
export * from './lock.js';
