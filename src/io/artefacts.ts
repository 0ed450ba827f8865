/**
 * Where this package's built artefacts lie, computed here and nowhere else (Node only): the kernel
 * modules under build/ (made by `npm run build:kernels`) and the default model under models/. Every path is
 * under the package root, found by walking up from this file, so the same code works from src/ under tsx and
 * from dist/src/ when compiled. Platform-neutral code never reads these files: the Cloudflare Worker imports
 * its two assets (src/hosts/cloudflare.ts) and the browser is handed bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import {
  chooseKernelBuild,
  KERNEL_CHOICES,
  type KernelBuild,
  type KernelChoice,
  relaxedSimdSupported,
} from '../model/kernels.js';

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

/** `<package root>/build/kernels-relaxed.wasm`: the same kernels built with relaxed SIMD (assembly/matmul.ts). */
export function relaxedKernelsPath(): string {
  return join(packageRoot(), 'build', 'kernels-relaxed.wasm');
}

/**
 * Turns relaxed SIMD on in this process where V8 has it behind a flag (Node 20: `--experimental-wasm-relaxed-simd`;
 * set at run time it applies to every module compiled afterwards, worker threads included). Returns whether
 * relaxed-SIMD modules now compile. On such a V8 (before 11.4, where relaxed SIMD shipped) the baseline compiler
 * is switched off as well (`--no-liftoff`, every function compiled by TurboFan): Node 20's Liftoff hands
 * i32x4.relaxed_dot_i8x16_i7x16_add_s its accumulator's register as scratch when registers run short and returns
 * wrong sums (the first calls of matmul_q8 in build/kernels-relaxed.wasm, before tier-up; the kernel tests catch it).
 */
export function enableRelaxedSimd(): boolean {
  const [major, minor] = process.versions.v8.split('.').map(Number);
  const experimental = major < 11 || (major === 11 && minor < 4);
  if (experimental) setFlagsFromString('--experimental-wasm-relaxed-simd --no-liftoff');
  return relaxedSimdSupported();
}

/**
 * The build a Node host loads when neither CNER_KERNELS nor kernels are given: the plain one. Measured on x86
 * without VNNI (docs/toolchain.md, SIMD builds), the relaxed int8 product — the default model's — is 0.6× the
 * plain one, and the shared test vectors pin the tagger's output bit for bit across Node, workerd and browsers,
 * which all load the plain build. 'auto' picks by feature detection; make it the default once a machine with
 * AVX-VNNI measures the relaxed int8 product faster.
 */
export const DEFAULT_KERNEL_CHOICE: KernelChoice = 'simd';

/**
 * The inference kernels a Node host loads when none is given, for `choice` (default: the environment variable
 * CNER_KERNELS, else DEFAULT_KERNEL_CHOICE): 'simd' is build/kernels.wasm; 'relaxed' build/kernels-relaxed.wasm,
 * with relaxed SIMD switched on first (enableRelaxedSimd); 'auto' the relaxed build where the engine has relaxed
 * SIMD without a flag (Node 22 and later, workerd, browsers) and the file exists, else the plain one (on Node 20
 * relaxed SIMD is experimental: see enableRelaxedSimd).
 */
export function preferredKernels(choice?: KernelChoice): { build: KernelBuild; path: string } {
  const wanted = choice ?? kernelChoiceFromEnv();
  if (wanted === 'relaxed') enableRelaxedSimd();
  const build = wanted === 'auto' && !existsSync(relaxedKernelsPath()) ? 'simd' : chooseKernelBuild(wanted);
  if (build === 'relaxed') enableRelaxedSimd();
  return { build, path: build === 'relaxed' ? relaxedKernelsPath() : defaultKernelsPath() };
}

function kernelChoiceFromEnv(): KernelChoice {
  const v = process.env.CNER_KERNELS;
  if (v === undefined || v === '') return DEFAULT_KERNEL_CHOICE;
  if (!(KERNEL_CHOICES as readonly string[]).includes(v)) {
    throw new RangeError(`CNER_KERNELS: expected ${KERNEL_CHOICES.join(', ')}, got '${v.slice(0, 40)}'`);
  }
  return v as KernelChoice;
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
