/**
 * Loads the inference kernels for the tests (built by `npm run build:kernels`, which `npm test` runs first):
 * build/kernels.wasm ('simd') or build/kernels-relaxed.wasm ('relaxed', the same sources with relaxed SIMD;
 * this process turns on Node 20's --experimental-wasm-relaxed-simd at run time to compile it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { enableRelaxedSimd } from '../../src/io/artefacts.js';
import { type KernelBuild, type Kernels, loadInferenceKernels } from '../../src/model/kernels.js';

const BUILD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build');
export const WASM_PATH = join(BUILD_DIR, 'kernels.wasm');
export const RELAXED_WASM_PATH = join(BUILD_DIR, 'kernels-relaxed.wasm');

/** Both builds; the kernel tests run once for each. */
export const KERNEL_BUILDS: readonly KernelBuild[] = ['simd', 'relaxed'];

/** Why `build` cannot run here, or null when it can (relaxed SIMD needs an engine that has it). */
export function unavailable(build: KernelBuild): string | null {
  if (build === 'relaxed' && !enableRelaxedSimd())
    return 'this Node has no relaxed SIMD, even behind --experimental-wasm-relaxed-simd';
  return null;
}

/** `body` in a describe block for each build (skipped, with the reason printed, where a build cannot run). */
export function describeBuilds(body: (build: KernelBuild) => void): void {
  for (const build of KERNEL_BUILDS) {
    const why = unavailable(build);
    if (why !== null) console.log(`skipping the ${build} kernels: ${why}`);
    describe.skipIf(why !== null)(`${build} build`, () => body(build));
  }
}

export function kernelBytes(build: KernelBuild = 'simd'): Uint8Array<ArrayBuffer> {
  const path = build === 'relaxed' ? RELAXED_WASM_PATH : WASM_PATH;
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:kernels\` first`);
  return new Uint8Array(readFileSync(path));
}

export async function testKernels(build: KernelBuild = 'simd'): Promise<Kernels> {
  const why = unavailable(build);
  if (why !== null) throw new Error(`the ${build} kernels cannot run here: ${why}`);
  return loadInferenceKernels(kernelBytes(build));
}

/**
 * The activation codes quantize_rows wrote for M rows of K columns at ptr (row stride ld elements): i16 values
 * in the plain build; in the relaxed build two 7-bit digits a column, every 8 columns c as 16 bytes
 * [lo × 8 | hi × 8] with q = 128·hi + lo − 8192 (assembly/matmul.ts).
 */
export function activationCodes(
  k: Kernels,
  build: KernelBuild,
  ptr: number,
  M: number,
  ld: number,
  K: number,
): Int16Array {
  const out = new Int16Array(M * K);
  if (build === 'simd') {
    const q = k.i16(ptr, M * ld);
    for (let m = 0; m < M; m++) out.set(q.subarray(m * ld, m * ld + K), m * K);
    return out;
  }
  const bytes = new Uint8Array(k.memory.buffer, ptr, 2 * M * ld);
  for (let m = 0; m < M; m++) {
    for (let c = 0; c < K; c++) {
      const chunk = 2 * m * ld + (c >> 3) * 16;
      out[m * K + c] = 128 * bytes[chunk + 8 + (c & 7)] + bytes[chunk + (c & 7)] - 8192;
    }
  }
  return out;
}

/** The largest activation code of each build (q_max for short rows). */
export const CODE_CAP: Record<KernelBuild, number> = { simd: 32767, relaxed: 8191 };
