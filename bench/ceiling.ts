/**
 * The wasm SIMD ceiling of this machine, for the benchmarks (bench/kernels.bench.ts, bench/peers/peers.bench.ts):
 * assembly/ceiling.ts compiled into a temporary file — multiply-accumulate loops with the operands in registers,
 * with the plain SIMD instructions or (isa 'relaxed') the relaxed ones. Each returned function measures once, in
 * process CPU time, and returns multiply-accumulates per second. On V8 the kernel's load-fed loop can beat the
 * register loop, so the ceiling the benchmarks use is the better of the two (matmulAlone below).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KernelBuild, type Kernels, packPanelsF32, packPanelsI8 } from '../src/model/kernels.js';
import { mulberry32 } from '../test/reference/weights.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function ceilingKernels(isa: KernelBuild): Promise<{ f32: () => number; q8: () => number }> {
  const asc = (await import('assemblyscript/asc')).default;
  const dir = mkdtempSync(join(tmpdir(), 'cner-ceiling-'));
  try {
    const out = join(dir, 'ceiling.wasm');
    const flags = ['--enable', 'simd', ...(isa === 'relaxed' ? ['--enable', 'relaxed-simd'] : [])];
    const src = join(root, 'assembly', 'ceiling.ts');
    const r = await asc.main(
      [src, '-o', out, ...flags, '--runtime', 'stub', '--use', 'abort=', '-O3', '--noAssert'],
      {},
    );
    if (r.error) throw r.error;
    const { instance } = await WebAssembly.instantiate(readFileSync(out), {});
    const ex = instance.exports as unknown as {
      ceil_f32(reps: number): number;
      ceil_q8(reps: number): number;
    };
    // many short calls: V8 runs a wasm function's first calls in its baseline tier, then the optimised code
    const CALLS = 400;
    const time = (fn: () => void, macs: number) => () => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < CALLS; i++) fn();
      const c = process.cpuUsage(c0);
      return (macs * CALLS) / ((c.user + c.system) / 1e6); // MAC/s
    };
    const REPS = 10000;
    const f32 = () => ex.ceil_f32(REPS);
    const q8 = () => ex.ceil_q8(REPS);
    for (let i = 0; i < 200; i++) (f32(), q8()); // tier-up
    return { f32: time(f32, 24 * REPS), q8: time(q8, 48 * REPS) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The build's matrix kernel alone on one cache-resident block (M 32 × N 512 × K 128, the shape of a recurrent
 * step of layer 0 for a full batch): a rate the whole model can never reach, the second candidate for the ceiling.
 */
export function matmulAlone(k: Kernels, int8: boolean): () => number {
  const [M, N, Kd] = [32, 512, 128];
  const rnd = mulberry32(7);
  const X = k.allocCopy(Float32Array.from({ length: M * Kd }, () => rnd() - 0.5));
  const Y = k.alloc(4 * M * N);
  let call: () => void;
  if (int8) {
    const P = k.allocCopy(
      packPanelsI8(
        Int8Array.from({ length: N * Kd }, () => Math.round(rnd() * 254 - 127)),
        N,
        Kd,
      ),
    );
    const ws = k.allocCopy(new Float32Array(N).fill(0.01));
    const Xq = k.alloc(2 * M * Kd);
    const xs = k.alloc(4 * M);
    k.exports.quantize_rows(Xq, Kd, xs, X, Kd, M, Kd, Kd);
    call = () => k.exports.matmul_q8(Y, N, Xq, Kd, xs, P, ws, 0, M, N, Kd);
  } else {
    const P = k.allocCopy(
      packPanelsF32(
        Float32Array.from({ length: N * Kd }, () => rnd() - 0.5),
        N,
        Kd,
      ),
    );
    call = () => k.exports.matmul_f32(Y, N, X, Kd, P, 0, M, N, Kd);
  }
  const CALLS = 300;
  for (let i = 0; i < CALLS; i++) call();
  return () => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) call();
    const c = process.cpuUsage(c0);
    return (M * N * Kd * CALLS) / ((c.user + c.system) / 1e6);
  };
}
