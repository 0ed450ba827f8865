/**
 * Loads build/kernels.wasm (assembly/index.ts — its ABI is documented at the top of that file) and gives
 * typed access to its exports and memory. Platform-neutral: the caller supplies the module or its bytes
 * (Node: readFile; workerd: `import mod from './kernels.wasm'`; browsers: fetch + arrayBuffer).
 *
 * Two builds of the same sources have the same ABI: build/kernels.wasm (SIMD) and build/kernels-relaxed.wasm
 * (relaxed SIMD: fused multiply-add and the int8 dot product, assembly/matmul.ts). `relaxedSimdSupported()`
 * says whether this engine compiles the second; `chooseKernelBuild` picks one ('auto': relaxed where supported).
 *
 * Memory growth detaches `memory.buffer`: the view helpers below always build a fresh view, so take views
 * AFTER the last alloc() of a computation and do not keep them across calls that may allocate.
 */

/** Raw exports of kernels.wasm (pointers are byte offsets, returned as i32: read with `>>> 0`). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  abi_version(): number;
  alloc(bytes: number): number;
  mark(): number;
  reset(mark: number): void;
  zero(ptr: number, bytes: number): void;
  embed_f32(out: number, ldo: number, col: number, ids: number, R: number, table: number, dim: number): void;
  embed_i8(
    out: number, ldo: number, col: number, ids: number, R: number, table: number, scales: number, dim: number,
  ): void;
  zero_cols(out: number, ldo: number, R: number, c0: number, c1: number): void;
  /** out[r, 0..n) = init (or 0) + Σ_g f32 row at ptrs[g·R + r] + off, ptrs i32 [groups × R] (assembly/gather.ts) */
  add_rows(out: number, ldo: number, R: number, ptrs: number, groups: number, off: number, n: number, init: number): void;
  /** W packed with packPanelsF32; bias (or 0) has ⌈N/4⌉·4 floats */
  matmul_f32(Y: number, ldy: number, X: number, ldx: number, P: number, bias: number, M: number, N: number, K: number): void;
  /** Wq packed with packPanelsI8, ws (row scales) and bias (or 0) have ⌈N/4⌉·4 floats */
  matmul_q8(
    Y: number, ldy: number, Xq: number, ldx: number, xs: number, P: number, ws: number, bias: number,
    M: number, N: number, K: number,
  ): void;
  quantize_rows(Xq: number, ldq: number, xs: number, X: number, ldx: number, M: number, K: number, Kp: number): void;
  q_max(K: number): number;
  lstm_work_bytes(B: number, Hp: number): number;
  lstm_dir(
    G: number, Y: number, ldy: number, yoff: number, Hp: number, Whh: number, whhScale: number,
    rowStart: number, lens: number, B: number, T: number, reverse: number, work: number,
  ): void;
  viterbi_work_bytes(T: number, K: number): number;
  viterbi(
    em: number, T: number, K: number, trans: number, start: number, end: number, work: number, outPath: number,
  ): number;
  kbest_work_bytes(T: number, K: number, k: number): number;
  kbest(
    em: number, T: number, K: number, trans: number, start: number, end: number, k: number,
    work: number, outPaths: number, outScores: number,
  ): number;
  log_softmax(em: number, T: number, K: number, out: number): void;
  softmax(em: number, T: number, K: number, out: number): void;
  lattice_work_bytes(T: number, K: number): number;
  /** the scaled forward–backward lattice (assembly/crf.ts; host reference forwardBackward in src/model/crf.ts) → log Z */
  lattice(
    em: number, T: number, K: number, et: number, ett: number, transMax: number, start: number, end: number,
    logSoftmax: number, alphaTo: number, betaFrom: number, out: number, work: number,
  ): number;
  /** the kernels' f64 exp (AssemblyScript's Math.exp) */
  exp_f64(x: number): number;
}

export const KERNEL_ABI_VERSION = 5;

const REQUIRED_EXPORTS: (keyof KernelExports)[] = [
  'memory', 'abi_version', 'alloc', 'mark', 'reset', 'zero', 'embed_f32', 'embed_i8', 'zero_cols', 'add_rows',
  'matmul_f32', 'matmul_q8', 'quantize_rows', 'q_max', 'lstm_work_bytes', 'lstm_dir', 'viterbi_work_bytes',
  'viterbi', 'kbest_work_bytes', 'kbest', 'log_softmax', 'softmax', 'lattice_work_bytes', 'lattice', 'exp_f64',
];

/** The two builds of the inference kernels: build/kernels.wasm and build/kernels-relaxed.wasm. */
export type KernelBuild = 'simd' | 'relaxed';

/** What a host may ask for: one build, or 'auto' (relaxed SIMD where the engine has it, else plain SIMD). */
export type KernelChoice = KernelBuild | 'auto';

export const KERNEL_CHOICES: readonly KernelChoice[] = ['auto', 'simd', 'relaxed'];

/** (func (param v128 v128 v128) (result v128) (i32x4.relaxed_dot_i8x16_i7x16_add_s …)): valid only with relaxed SIMD */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) → v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x93, 0x02, 0x0b, // local.get 0 1 2; 0xfd 0x113
]);

/**
 * Whether this engine compiles relaxed-SIMD modules (workerd and current browsers do; Node 20 only after
 * `--experimental-wasm-relaxed-simd`, which src/io/artefacts.ts sets for the Node hosts).
 */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/** The build to load for `choice`: 'auto' is 'relaxed' where relaxedSimdSupported(), else 'simd'. */
export function chooseKernelBuild(choice: KernelChoice = 'auto'): KernelBuild {
  if (!(KERNEL_CHOICES as readonly unknown[]).includes(choice)) {
    throw new RangeError(`kernels: expected a build ${KERNEL_CHOICES.join(', ')}, got ${describeChoice(choice)}`);
  }
  if (choice === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error('kernels: the relaxed-SIMD build was asked for but this engine has no relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd)');
  }
  if (choice === 'auto') return relaxedSimdSupported() ? 'relaxed' : 'simd';
  return choice;
}

function describeChoice(v: unknown): string {
  return typeof v === 'string' ? `'${v.slice(0, 40)}'` : describe(v);
}

export interface Kernels {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  /** 16-byte aligned allocation; throws when wasm memory cannot grow. Detaches earlier views. */
  alloc(bytes: number): number;
  /** allocate and copy `data` in; returns the pointer */
  allocCopy(data: Float32Array | Int32Array | Int8Array | Int16Array | Float64Array): number;
  mark(): number;
  reset(mark: number): void;
  /** fresh views on the current memory buffer */
  f32(ptr: number, length: number): Float32Array;
  f64(ptr: number, length: number): Float64Array;
  i32(ptr: number, length: number): Int32Array;
  i16(ptr: number, length: number): Int16Array;
  i8(ptr: number, length: number): Int8Array;
}

/** True when the bytes start with the WebAssembly magic number and version 1 (`\0asm` 01 00 00 00). */
function hasWasmMagic(bytes: ArrayBuffer | Uint8Array): boolean {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return b.length >= 8 && magic.every((v, i) => b[i] === v);
}

/**
 * Instantiates the kernels (asynchronously: browsers refuse synchronous compilation of large modules).
 * `source`: a compiled WebAssembly.Module, or the bytes of build/kernels.wasm.
 */
export async function loadInferenceKernels(source: WebAssembly.Module | ArrayBuffer | Uint8Array): Promise<Kernels> {
  let instance: WebAssembly.Instance;
  if (source instanceof WebAssembly.Module) {
    instance = await WebAssembly.instantiate(source, {});
  } else if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    if (source.byteLength === 0) throw new Error('loadInferenceKernels: the kernel bytes are empty (expected build/kernels.wasm)');
    try {
      instance = (await WebAssembly.instantiate(source as BufferSource, {})).instance;
    } catch (e) {
      // only a real module (the wasm magic number) that fails on an engine without relaxed SIMD gets the hint;
      // either way it stays a CompileError, so callers can tell bad kernel bytes from anything else
      if (!(e instanceof WebAssembly.CompileError) || relaxedSimdSupported() || !hasWasmMagic(source)) throw e;
      throw new WebAssembly.CompileError(
        `loadInferenceKernels: the module does not compile on this engine, which has no relaxed SIMD: if these are ` +
          `build/kernels-relaxed.wasm, load build/kernels.wasm instead (${e.message})`,
      );
    }
  } else {
    throw new TypeError(
      `loadInferenceKernels: expected a WebAssembly.Module, ArrayBuffer or Uint8Array, got ${describe(source)}`,
    );
  }
  return wrapInstance(instance);
}

/** Wraps an already instantiated kernels module (checks its exports and ABI version). */
export function wrapInstance(instance: WebAssembly.Instance): Kernels {
  const ex = instance.exports as unknown as KernelExports;
  const missing = REQUIRED_EXPORTS.filter((name) => !(name in ex));
  if (missing.length > 0) {
    throw new Error(`loadInferenceKernels: the module lacks the kernel exports ${missing.join(', ')} (is it build/kernels.wasm?)`);
  }
  const abi = ex.abi_version();
  if (abi !== KERNEL_ABI_VERSION) {
    throw new Error(`loadInferenceKernels: kernel ABI version ${abi}, this wrapper expects ${KERNEL_ABI_VERSION}; rebuild the kernels`);
  }
  const memory = ex.memory;
  const alloc = (bytes: number): number => {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`alloc: bytes must be a non-negative integer, got ${bytes}`);
    if (bytes > 0xfff0_0000) throw new RangeError(`alloc: ${bytes} bytes exceed the 4 GiB wasm32 address space`);
    const p = ex.alloc(bytes) >>> 0;
    if (p === 0) {
      throw new RangeError(
        `kernels: out of wasm memory allocating ${bytes} bytes (memory is ${memory.buffer.byteLength} bytes); use smaller batches`,
      );
    }
    return p;
  };
  return {
    exports: ex,
    memory,
    alloc,
    allocCopy(data) {
      const p = alloc(data.byteLength);
      new Uint8Array(memory.buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return p;
    },
    mark: () => ex.mark() >>> 0,
    reset: (m: number) => ex.reset(m),
    f32: (ptr, length) => new Float32Array(memory.buffer, ptr, length),
    f64: (ptr, length) => new Float64Array(memory.buffer, ptr, length),
    i32: (ptr, length) => new Int32Array(memory.buffer, ptr, length),
    i16: (ptr, length) => new Int16Array(memory.buffer, ptr, length),
    i8: (ptr, length) => new Int8Array(memory.buffer, ptr, length),
  };
}

/**
 * Packs a row-major f32 matrix W [N × K] (K % 8 == 0) into the kernels' panel layout (assembly/matmul.ts):
 * rows 4 at a time, interleaved in chunks of 4 along K; rows past N are zero. Returns ⌈N/4⌉·4·K floats.
 */
export function packPanelsF32(w: Float32Array, N: number, K: number): Float32Array {
  checkPack(w.length, N, K);
  const panels = Math.ceil(N / 4);
  const out = new Float32Array(panels * 4 * K);
  for (let n = 0; n < N; n++) {
    const p = n >> 2;
    const r = n & 3;
    for (let k = 0; k < K; k++) out[p * 4 * K + (k >> 2) * 16 + r * 4 + (k & 3)] = w[n * K + k];
  }
  return out;
}

/** The int8 panel layout: rows 4 at a time, interleaved in chunks of 8 along K. Returns ⌈N/4⌉·4·K bytes. */
export function packPanelsI8(w: Int8Array, N: number, K: number): Int8Array {
  checkPack(w.length, N, K);
  const panels = Math.ceil(N / 4);
  const out = new Int8Array(panels * 4 * K);
  for (let n = 0; n < N; n++) {
    const p = n >> 2;
    const r = n & 3;
    for (let k = 0; k < K; k++) out[p * 4 * K + (k >> 3) * 32 + r * 8 + (k & 7)] = w[n * K + k];
  }
  return out;
}

function checkPack(length: number, N: number, K: number): void {
  if (!Number.isInteger(N) || N < 1 || !Number.isInteger(K) || K < 8 || K % 8 !== 0) {
    throw new RangeError(`pack: expected N ≥ 1 and K a positive multiple of 8, got N=${N} K=${K}`);
  }
  if (length !== N * K) throw new RangeError(`pack: matrix has ${length} values, expected N × K = ${N * K}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
