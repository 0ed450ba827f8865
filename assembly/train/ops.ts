// Element-wise and data-movement kernels of training: embeddings, time reversal, dropout, vector arithmetic,
// gradient norm and Adam. Buffers are time-major [T·B, D] (row t·B + b); lengths: i32 [B], sorted descending.

/**
 * One embedding channel into columns [col, col + dim) of X [T·B, ld]: X[m, col:col+dim] = table[ids[m·stride]]
 * for running rows m = t·B + b (b < active[t]); finished rows get zeros there. table: f32 [rows, dim];
 * ids: i32 [T·B·stride] (stride 1 for chars and words; the number of lexicon types for the lexicon channel,
 * with `ids` pointing at type k's first id); active: i32 [T].
 */
export function embed_gather(X: usize, ld: i32, col: i32, table: usize, dim: i32, ids: usize, stride: i32, active: usize, T: i32, B: i32): void {
  const bytes = <usize>dim << 2;
  for (let t = 0; t < T; t++) {
    const n = load<i32>(active + (<usize>t << 2));
    for (let b = 0; b < B; b++) {
      const m = <usize>t * <usize>B + <usize>b;
      const x = X + ((m * <usize>ld + <usize>col) << 2);
      if (b >= n) {
        memory.fill(x, 0, bytes);
        continue;
      }
      const id = <usize>load<i32>(ids + ((m * <usize>stride) << 2));
      memory.copy(x, table + id * bytes, bytes);
    }
  }
}

/** The gradient of embed_gather: dTable[ids[m·stride]] += dX[m, col:col+dim] for running rows. */
export function embed_scatter(dTable: usize, dim: i32, dX: usize, ld: i32, col: i32, ids: usize, stride: i32, active: usize, T: i32, B: i32): void {
  const bytes = <usize>dim << 2;
  for (let t = 0; t < T; t++) {
    const n = load<i32>(active + (<usize>t << 2));
    for (let b = 0; b < n; b++) {
      const m = <usize>t * <usize>B + <usize>b;
      const id = <usize>load<i32>(ids + ((m * <usize>stride) << 2));
      vadd(dTable + id * bytes, dX + ((m * <usize>ld + <usize>col) << 2), dim);
    }
  }
}

/**
 * For every sentence b and step t < lengths[b]: dst[t·B + b, 0:D] (+)= src[s·B + b, 0:D] with s = t, or
 * s = lengths[b]-1-t when reverse != 0. Rows past a sentence's end are zeroed when acc = 0.
 * Row strides ldDst / ldSrc (floats) let it read or write one half of a concat(fw, bw) buffer.
 */
export function seq_copy(dst: usize, ldDst: i32, src: usize, ldSrc: i32, lengths: usize, T: i32, B: i32, D: i32, reverse: i32, acc: i32): void {
  const bytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    const L = load<i32>(lengths + (<usize>b << 2));
    for (let t = 0; t < T; t++) {
      const d = dst + ((<usize>t * <usize>B + <usize>b) * <usize>ldDst << 2);
      if (t >= L) {
        if (acc == 0) memory.fill(d, 0, bytes);
        continue;
      }
      const s = reverse != 0 ? L - 1 - t : t;
      const sp = src + ((<usize>s * <usize>B + <usize>b) * <usize>ldSrc << 2);
      if (acc != 0) vadd(d, sp, D);
      else memory.copy(d, sp, bytes);
    }
  }
}

// @ts-ignore: decorator
@inline
function mix32(x: u32): u32 {
  // lowbias32 (Chris Wellons): a strong 32-bit integer hash
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

// @ts-ignore: decorator
@inline
function vmix32(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(<i32>0x846ca68b));
  x = v128.xor(x, i32x4.shr_u(x, 16));
  return x;
}

/**
 * Inverted dropout mask [T·B, D]: 0 with probability p, else 1/(1-p); rows past a sentence's end are 0.
 * The draw for element (sentence key keys[b], step t, unit d) is a hash of (seed, key, t, d) alone, so the
 * mask of a sentence does not depend on which batch, worker or position in the batch it landed in.
 */
export function dropout_mask(mask: usize, lengths: usize, keys: usize, T: i32, B: i32, D: i32, p: f32, seed: u32): void {
  const keep: f32 = 1 - p;
  const scale: f32 = keep > 0 ? 1 / keep : 0;
  const threshold = <u32>(<f64>p * 16777216.0); // keep when 24-bit uniform >= p·2^24
  for (let b = 0; b < B; b++) {
    const L = load<i32>(lengths + (<usize>b << 2));
    const key = <u32>load<i32>(keys + (<usize>b << 2));
    const kh = mix32(seed ^ mix32(key * 0x9e3779b1 + 0x632be5ab));
    for (let t = 0; t < T; t++) {
      const row = mask + ((<usize>t * <usize>B + <usize>b) * <usize>D << 2);
      if (t >= L) {
        memory.fill(row, 0, <usize>D << 2);
        continue;
      }
      const th = mix32(kh ^ (<u32>t * 0x85ebca77 + 0x165667b1));
      let d = 0;
      // four units at a time: the same hash on i32x4 lanes
      let vx = i32x4.add(i32x4.splat(th), i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(0xc2b2ae3d)));
      const vstep = i32x4.splat(<i32>(<u32>4 * 0xc2b2ae3d));
      const vth = i32x4.splat(threshold);
      const vscale = f32x4.splat(scale);
      for (; d + 4 <= D; d += 4) {
        const u = i32x4.shr_u(vmix32(vx), 8);
        v128.store(row + (<usize>d << 2), v128.and(i32x4.ge_u(u, vth), vscale));
        vx = i32x4.add(vx, vstep);
      }
      for (; d < D; d++) {
        const u = mix32(th + <u32>d * 0xc2b2ae3d) >> 8;
        store<f32>(row + (<usize>d << 2), u >= threshold ? scale : 0);
      }
    }
  }
}

/** dst[i] += src[i], i < n. */
export function vadd(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/** dst[i] *= src[i], i < n. */
export function vmul(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.mul(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) * load<f32>(src + o));
  }
}

/** dst[i] *= s, i < n. */
export function vscale(dst: usize, n: i32, s: f32): void {
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.mul(v128.load(dst + o), vs));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) * s);
  }
}

/** Zero n bytes. */
export function zero(dst: usize, bytes: usize): void {
  memory.fill(dst, 0, bytes);
}

/** Σ x[i]² in f64 (f32x4 partial sums over blocks of 1024, folded into f64). */
export function sumsq(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    const end = min(n & ~3, i + 1024);
    let s = f32x4.splat(0);
    for (; i < end; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      s = f32x4.add(s, f32x4.mul(v, v));
    }
    total += <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  return total;
}

/**
 * Adam (Kingma & Ba, with bias correction, PyTorch's form) on n parameters; the gradient is first multiplied
 * by gscale (1/batch and the clipping factor):
 *   g = gscale·grad; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; p -= lr · (m / bc1) / (sqrt(v / bc2) + ε)
 * with bc1 = 1 - β1^step, bc2 = 1 - β2^step computed by the caller.
 */
export function adam(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32, gscale: f32): void {
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2);
  const vb1c = f32x4.splat(1 - b1), vb2c = f32x4.splat(1 - b2);
  const vgs = f32x4.splat(gscale), vlr = f32x4.splat(lr / bc1), vbc2 = f32x4.splat(1 / bc2), veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gr = f32x4.mul(v128.load(g + o), vgs);
    const mm = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vb1c, gr));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vb2c, f32x4.mul(gr, gr)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vv, vbc2)), veps);
    v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.div(f32x4.mul(vlr, mm), den)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gr = load<f32>(g + o) * gscale;
    const mm = b1 * load<f32>(m + o) + (1 - b1) * gr;
    const vv = b2 * load<f32>(v + o) + (1 - b2) * gr * gr;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(p + o, load<f32>(p + o) - (lr / bc1) * mm / (Mathf.sqrt(vv / bc2) + eps));
  }
}
