/**
 * Where this package's built artefacts lie, computed here and nowhere else (Node only): the three kernel
 * modules under build/ (made by `npm run build:kernels`) and the default model under models/. Every path is
 * under the package root, found by walking up from this file, so the same code works from src/ under tsx and
 * from dist/src/ when compiled. Platform-neutral code never reads these files: the Cloudflare Worker imports
 * its two assets (src/hosts/cloudflare.ts) and the browser is handed bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | null = null;

/** The folder holding this package's package.json (found by walking up from this file; works from src/ and dist/). */
export function packageRoot(): string {
  if (cachedRoot !== null) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'cner') return (cachedRoot = dir);
      } catch {
        // not JSON: keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error('cannot find the cner package root (no package.json named "cner" above src/io/artefacts)');
    dir = up;
  }
}

/** `<package root>/build/kernels.wasm`: the inference kernels (assembly/index.ts). */
export function defaultKernelsPath(): string {
  return join(packageRoot(), 'build', 'kernels.wasm');
}

/** `<package root>/build/train.wasm`: the training kernels (assembly/train.ts). */
export function trainKernelsPath(): string {
  return join(packageRoot(), 'build', 'train.wasm');
}

/** `<package root>/build/embed.wasm`: the word2vec / GloVe kernels (assembly/embed.ts). */
export function embedKernelsPath(): string {
  return join(packageRoot(), 'build', 'embed.wasm');
}

/** `<package root>/models/default.cner` (it may not exist yet). */
export function defaultModelPath(): string {
  return join(packageRoot(), 'models', 'default.cner');
}
