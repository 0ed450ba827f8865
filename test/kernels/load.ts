/** Loads build/kernels.wasm for the kernel tests (built by `npm run build:kernels`, which `npm test` runs first). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kernels, loadInferenceKernels } from '../../src/model/kernels.js';

export const WASM_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'kernels.wasm');

export function kernelBytes(): Uint8Array<ArrayBuffer> {
  if (!existsSync(WASM_PATH)) throw new Error(`${WASM_PATH} is missing: run \`npm run build:kernels\` first`);
  return new Uint8Array(readFileSync(WASM_PATH));
}

export async function testKernels(): Promise<Kernels> {
  return loadInferenceKernels(kernelBytes());
}
