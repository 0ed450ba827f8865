// Bump allocator over linear memory (no AssemblyScript runtime objects are ever created by the kernels).
// Every block is 16-byte aligned; memory grows on demand. Growth detaches the JS ArrayBuffer: the TS
// wrapper re-creates its views after any call that may allocate.

let top: usize = 0;

function start(): void {
  if (top == 0) top = (__heap_base + 15) & ~(<usize>15);
}

/** Allocates `bytes` bytes (16-byte aligned, NOT zeroed). Returns 0 when memory cannot grow. */
export function alloc(bytes: usize): usize {
  start();
  const p = top;
  const end = (p + bytes + 15) & ~(<usize>15);
  if (end < p) return 0; // wrapped past 4 GiB
  const pages = <usize>memory.size();
  const need = (end + 0xffff) >>> 16;
  if (need > pages) {
    if (memory.grow(<i32>(need - pages)) < 0) return 0;
  }
  top = end;
  return p;
}

/** Current top of the heap; pass to reset() to free everything allocated since. */
export function mark(): usize {
  start();
  return top;
}

/** Frees every block allocated after `m` (a value returned by mark()). */
export function reset(m: usize): void {
  start();
  if (m >= ((__heap_base + 15) & ~(<usize>15)) && m <= top) top = m;
}

/** Zero `bytes` bytes at `p`. */
export function zero(p: usize, bytes: usize): void {
  memory.fill(p, 0, bytes);
}
