/**
 * Cloudflare Worker entry (wrangler.toml `main`). Bundles the kernels and the default model; everything else
 * is in http/worker-handler.ts (settings, per-isolate model cache, the Hono app). See docs/edge.md.
 *
 *   import kernels      → WebAssembly.Module (wrangler's default CompiledWasm rule for *.wasm)
 *   import defaultModel → ArrayBuffer        (the Data rule for *.cner in wrangler.toml)
 */
import kernels from '../../build/kernels.wasm';
import defaultModel from '../../models/default.cner';
import { createWorker } from './http/worker-handler.js';

export type { WorkerEnv } from './http/worker-handler.js';

export default createWorker({ kernels, defaultModel });
