/**
 * Cloudflare Worker entry (wrangler.toml `main`). Bundles the kernels and the default model; everything else
 * is in http/cloudflare-handler.ts (settings, per-isolate model cache, the Hono app). See docs/edge.md.
 *
 *   import kernels      → WebAssembly.Module (wrangler's default CompiledWasm rule for *.wasm)
 *   import defaultModel → ArrayBuffer        (the Data rule for *.cner in wrangler.toml)
 */
import kernels from '../../build/kernels.wasm';
import defaultModel from '../../models/default.cner';
import { createCloudflareHandler } from './http/cloudflare-handler.js';

export type { CloudflareEnv } from './http/cloudflare-handler.js';

export default createCloudflareHandler({ kernels, defaultModel });
