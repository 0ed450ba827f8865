/**
 * Host side of build/embed.wasm: loading, buffer layout, and running kernel passes on one thread (the
 * module as built, deterministic) or on several worker threads that share one WebAssembly.Memory
 * (Hogwild: unsynchronised updates to the same vectors, as in the original word2vec and GloVe tools).
 *
 * The built module defines its own memory and has zero imports. For threads, sharedMemoryModule() rewrites
 * the binary so that memory 0 is imported as a shared memory instead (no recompilation, one artifact);
 * the kernels never allocate, so each thread's instance only needs its own scratch area and seed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { embedKernelsPath } from '../../io/artefacts.js';

export interface EmbedExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  scratch_bytes(stride: number): number;
  init(scratch: number, seedLo: number, seedHi: number): void;
  w2v_pass(...args: number[]): number;
  glove_pass(...args: number[]): number;
}

export type EmbedKernelSource = Uint8Array | WebAssembly.Module | string;

const PAGE = 65536;

/** The package's build/embed.wasm (src/io/artefacts.ts), checked to exist. */
export function embedKernelPath(): string {
  const path = embedKernelsPath();
  if (!existsSync(path)) throw new Error(`embed kernel: ${path} not found; run \`npm run build:kernels\``);
  return path;
}

/** The module bytes (from a path, bytes, or the default build/embed.wasm). */
export function embedKernelBytes(source?: EmbedKernelSource): Uint8Array {
  if (source === undefined) return new Uint8Array(readFileSync(embedKernelPath()));
  if (typeof source === 'string') return new Uint8Array(readFileSync(source));
  if (source instanceof Uint8Array) return source;
  throw new TypeError('embed kernel: expected the module bytes (Uint8Array) or a path, got a WebAssembly.Module (bytes are needed to build the shared-memory variant)');
}

// ---- wasm binary rewriting: defined memory -> imported shared memory ----

function readU32(b: Uint8Array, p: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[p++];
    v += (x & 0x7f) * 2 ** shift;
    if ((x & 0x80) === 0) return [v, p];
    shift += 7;
  }
}

function u32Bytes(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

function nameBytes(s: string): number[] {
  const enc = new TextEncoder().encode(s);
  return [...u32Bytes(enc.length), ...enc];
}

/**
 * Rewrites a module that defines one memory and imports nothing else of kind memory into one that
 * imports `env.memory` as a shared memory with the given page limits. Section order stays valid: the
 * import section goes right after the type section.
 */
export function sharedMemoryModule(bytes: Uint8Array, minPages: number, maxPages: number): Uint8Array {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('sharedMemoryModule: expected a WebAssembly binary (\\0asm), got ' + bytes.length + ' bytes without the magic');
  }
  const sections: { id: number; body: Uint8Array }[] = [];
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    const [size, q] = readU32(bytes, p);
    sections.push({ id, body: bytes.subarray(q, q + size) });
    p = q + size;
  }
  const memory = sections.find((s) => s.id === 5);
  if (!memory) throw new Error('sharedMemoryModule: the module defines no memory');
  if (memory.body[0] !== 1) throw new Error('sharedMemoryModule: expected exactly one memory, got ' + memory.body[0]);
  const memImport = [...nameBytes('env'), ...nameBytes('memory'), 0x02, 0x03, ...u32Bytes(minPages), ...u32Bytes(maxPages)];
  const out: number[] = [...bytes.subarray(0, 8)];
  const push = (id: number, body: ArrayLike<number>) => {
    out.push(id, ...u32Bytes(body.length));
    for (let i = 0; i < body.length; i++) out.push(body[i]);
  };
  let importsDone = false;
  for (const s of sections) {
    if (s.id === 5) continue;
    if (s.id === 2) {
      // existing imports: append ours (memory imports do not shift function indices)
      const [count, q] = readU32(s.body, 0);
      push(2, [...u32Bytes(count + 1), ...s.body.subarray(q), ...memImport]);
      importsDone = true;
      continue;
    }
    if (!importsDone && s.id !== 0 && s.id !== 1) {
      push(2, [1, ...memImport]);
      importsDone = true;
    }
    push(s.id, s.body);
  }
  if (!importsDone) push(2, [1, ...memImport]);
  return new Uint8Array(out);
}

// ---- buffer layout ----

/** Bump allocator over wasm memory, planned before the memory exists. Offsets are 16-byte aligned. */
export class Layout {
  end: number;
  constructor(base: number) {
    this.end = align16(base);
  }
  take(bytes: number): number {
    const ptr = this.end;
    this.end = align16(ptr + bytes);
    return ptr;
  }
  get pages(): number {
    return Math.ceil(this.end / PAGE);
  }
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

/** Probes the constants of a module (heap base, scratch size) with a throwaway instance. */
export function probeKernel(bytes: Uint8Array, stride: number): { heapBase: number; scratchBytes: number } {
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {}).exports as unknown as EmbedExports;
  return { heapBase: ex.heap_base(), scratchBytes: ex.scratch_bytes(stride) };
}

// ---- runners ----

/** Calls a kernel export on thread t (each thread has its own instance, scratch and random state). */
export interface Runner {
  readonly threads: number;
  readonly memory: WebAssembly.Memory;
  call(thread: number, fn: 'w2v_pass' | 'glove_pass', args: number[]): Promise<number>;
  close(): Promise<void>;
}

/**
 * Creates a runner with `threads` instances over one memory of `pages` pages. `scratch[t]` is thread t's
 * scratch pointer, `seeds[t]` its 32-bit seed pair. threads = 1 runs in this thread on the module as built.
 */
export function createRunner(
  bytes: Uint8Array, pages: number, scratch: number[], seeds: [number, number][],
): Runner {
  const threads = scratch.length;
  if (threads === 1) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {});
    const ex = inst.exports as unknown as EmbedExports;
    const have = ex.memory.buffer.byteLength / PAGE;
    if (pages > have) ex.memory.grow(pages - have);
    ex.init(scratch[0], seeds[0][0], seeds[0][1]);
    return {
      threads,
      memory: ex.memory,
      call: async (_t, fn, args) => ex[fn](...args),
      close: async () => {},
    };
  }
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const module = new WebAssembly.Module(sharedMemoryModule(bytes, pages, pages) as BufferSource);
  const workers: Worker[] = [];
  const pending: ((v: number) => void)[][] = [];
  const failures: ((e: Error) => void)[][] = [];
  const dead: (Error | undefined)[] = [];
  for (let t = 0; t < threads; t++) {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory, scratch: scratch[t], seedLo: seeds[t][0], seedHi: seeds[t][1] },
    });
    pending.push([]);
    failures.push([]);
    w.on('message', (v: number) => {
      failures[t].shift();
      pending[t].shift()!(v);
    });
    w.on('error', (e: Error) => {
      dead[t] = e;
      pending[t].length = 0;
      for (const f of failures[t].splice(0)) f(e);
    });
    workers.push(w);
  }
  return {
    threads,
    memory,
    call: (t, fn, args) =>
      new Promise<number>((resolve, reject) => {
        const e = dead[t];
        if (e) return reject(e);
        pending[t].push(resolve);
        failures[t].push(reject);
        workers[t].postMessage({ fn, args });
      }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Worker body (plain JS, evaluated): one instance on the shared memory, answering kernel calls. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const inst = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
inst.exports.init(workerData.scratch, workerData.seedLo, workerData.seedHi);
parentPort.on('message', (m) => { parentPort.postMessage(inst.exports[m.fn](...m.args)); });
`;

/** Deterministic 32-bit PRNG (mulberry32) for host-side initialisation and shuffles: the corpus split's. */
import { mulberry32 } from '../../corpus/split.js';
export { mulberry32 };

/** Per-thread seed pairs derived from one user seed. */
export function threadSeeds(seed: number, threads: number): [number, number][] {
  const rand = mulberry32(seed ^ 0x5bd1e995);
  const out: [number, number][] = [];
  for (let t = 0; t < threads; t++) out.push([(rand() * 4294967296) >>> 0, ((rand() * 4294967296) >>> 0) | 1]);
  return out;
}
