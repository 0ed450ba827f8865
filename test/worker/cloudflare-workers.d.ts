/**
 * The part of 'cloudflare:workers' the workerd tests use, typed here so the root tsconfig (Node + DOM types,
 * no @cloudflare/workers-types) checks these files too.
 */
declare module 'cloudflare:workers' {
  import type { R2BucketLike } from '../../src/store/index.js';
  export const env: {
    MODELS: R2BucketLike;
    AUTH_TOKEN: string;
    MODEL_CHECK_SECONDS: string;
    MAX_BODY_BYTES: string;
    MAX_DOCUMENTS: string;
    MAX_CHARS_PER_DOCUMENT: string;
    CORS_ORIGINS: string;
  };
  export const exports: {
    default: { fetch(input: Request | string, init?: RequestInit): Promise<Response> };
  };
}
