// Embedding pre-training kernels: word2vec skip-gram with negative sampling, and GloVe (AdaGrad).
//
// Built by scripts/build-kernels.mjs to build/embed.wasm with `--enable simd --runtime stub --use abort=`
// (zero imports). The host (src/train/embed/) lays out every buffer itself from heap_base() upwards and
// passes pointers; nothing here allocates, so the same module also runs Hogwild-style in several worker
// threads once the host rewrites its memory into an imported shared memory (src/train/embed/kernel.ts).
//
// Vectors are rows of `stride` f32 (stride = dim rounded up to a multiple of 4, padding lanes kept at 0),
// so every row is a whole number of f32x4 lanes. Each instance (thread) has its own random state.

const MAX_EXP: f32 = 6.0;
const EXP_TABLE_SIZE: i32 = 1000;
const MAX_SENTENCE: i32 = 1000;

/** u64 linear congruential generator of the original word2vec (per instance). */
let rng: u64 = 1;
/** f32[EXP_TABLE_SIZE]: sigmoid on [-MAX_EXP, MAX_EXP) */
let expTable: usize = 0;

/** First byte the host may use. */
export function heap_base(): usize {
  return __heap_base;
}

/** Bytes of scratch the kernels need (exp table + sentence buffer + one gradient row). */
export function scratch_bytes(stride: i32): i32 {
  return EXP_TABLE_SIZE * 4 + MAX_SENTENCE * 4 + stride * 4 + 64;
}

let sentence: usize = 0; // i32[MAX_SENTENCE]
let neu1e: usize = 0; // f32[stride]

/** Sets this instance's scratch area (scratch_bytes(stride) bytes at `scratch`, 16-aligned) and seed. */
export function init(scratch: usize, seedLo: u32, seedHi: u32): void {
  expTable = scratch;
  sentence = scratch + <usize>(EXP_TABLE_SIZE * 4);
  neu1e = (sentence + <usize>(MAX_SENTENCE * 4) + 15) & ~<usize>15;
  rng = ((<u64>seedHi) << 32) | <u64>seedLo;
  for (let i = 0; i < EXP_TABLE_SIZE; i++) {
    const e = Mathf.exp(((<f32>i / <f32>EXP_TABLE_SIZE) * <f32>2.0 - <f32>1.0) * MAX_EXP);
    store<f32>(expTable + (<usize>i << 2), e / (e + <f32>1.0));
  }
}

// @ts-ignore: decorator
@inline function nextRandom(): u64 {
  rng = rng * 25214903917 + 11;
  return rng;
}

/** Uniform integer in [0, n) from the high 32 bits of the generator. */
// @ts-ignore: decorator
@inline function randomBelow(n: i32): i32 {
  return <i32>(((nextRandom() >> 32) * <u64>n) >> 32);
}

// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, stride: i32): f32 {
  let acc = f32x4.splat(0);
  for (let k = 0; k < stride; k += 4) {
    const off = <usize>k << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + off), v128.load(b + off)));
  }
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
}

/** One noise token from the unigram^0.75 alias table: bucket from the high word, acceptance from the low word. */
// @ts-ignore: decorator
@inline function drawNoise(vocabSize: i32, aliasProb: usize, aliasIdx: usize): i32 {
  const r = (nextRandom() >> 32) * <u64>vocabSize;
  const bucket = <i32>(r >> 32);
  const frac = <f32>(<u32>r) * <f32>2.3283064e-10; // / 2^32
  return frac < load<f32>(aliasProb + (<usize>bucket << 2)) ? bucket : load<i32>(aliasIdx + (<usize>bucket << 2));
}

/** (label − σ(f))·alpha with the word2vec clamping at ±MAX_EXP. */
// @ts-ignore: decorator
@inline function gradient(f: f32, label: f32, alpha: f32): f32 {
  if (f > MAX_EXP) return (label - <f32>1.0) * alpha;
  if (f < -MAX_EXP) return label * alpha;
  const idx = <i32>((f + MAX_EXP) * (<f32>EXP_TABLE_SIZE / MAX_EXP / <f32>2.0));
  return (label - load<f32>(expTable + (<usize>idx << 2))) * alpha;
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * One (context row l1, centre word) pair with 5 negatives, fused: the six dot products in one sweep over
 * the lanes, then one sweep that updates the six output rows and l1 (its gradient summed in a register).
 * Dots see the rows before this pair's updates (word2vec.c updates them one after another; the
 * difference only shows when a noise token repeats within the pair).
 */
function pairSix(l1: usize, word: i32, syn1: usize, stride: i32, vocabSize: i32, aliasProb: usize, aliasIdx: usize, alpha: f32): void {
  const rowBytes = <usize>stride << 2;
  const t1 = drawNoise(vocabSize, aliasProb, aliasIdx);
  const t2 = drawNoise(vocabSize, aliasProb, aliasIdx);
  const t3 = drawNoise(vocabSize, aliasProb, aliasIdx);
  const t4 = drawNoise(vocabSize, aliasProb, aliasIdx);
  const t5 = drawNoise(vocabSize, aliasProb, aliasIdx);
  const p0 = syn1 + <usize>word * rowBytes;
  const p1 = syn1 + <usize>t1 * rowBytes;
  const p2 = syn1 + <usize>t2 * rowBytes;
  const p3 = syn1 + <usize>t3 * rowBytes;
  const p4 = syn1 + <usize>t4 * rowBytes;
  const p5 = syn1 + <usize>t5 * rowBytes;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
  for (let off: usize = 0; off < rowBytes; off += 16) {
    const v = v128.load(l1 + off);
    a0 = f32x4.add(a0, f32x4.mul(v, v128.load(p0 + off)));
    a1 = f32x4.add(a1, f32x4.mul(v, v128.load(p1 + off)));
    a2 = f32x4.add(a2, f32x4.mul(v, v128.load(p2 + off)));
    a3 = f32x4.add(a3, f32x4.mul(v, v128.load(p3 + off)));
    a4 = f32x4.add(a4, f32x4.mul(v, v128.load(p4 + off)));
    a5 = f32x4.add(a5, f32x4.mul(v, v128.load(p5 + off)));
  }
  // a noise draw equal to the centre word is skipped (g = 0), as in word2vec.c
  const g0 = f32x4.splat(gradient(hsum(a0), 1, alpha));
  const g1 = f32x4.splat(t1 == word ? 0 : gradient(hsum(a1), 0, alpha));
  const g2 = f32x4.splat(t2 == word ? 0 : gradient(hsum(a2), 0, alpha));
  const g3 = f32x4.splat(t3 == word ? 0 : gradient(hsum(a3), 0, alpha));
  const g4 = f32x4.splat(t4 == word ? 0 : gradient(hsum(a4), 0, alpha));
  const g5 = f32x4.splat(t5 == word ? 0 : gradient(hsum(a5), 0, alpha));
  for (let off: usize = 0; off < rowBytes; off += 16) {
    const v = v128.load(l1 + off);
    let s = v128.load(p0 + off);
    let e = f32x4.mul(g0, s);
    v128.store(p0 + off, f32x4.add(s, f32x4.mul(g0, v)));
    s = v128.load(p1 + off);
    e = f32x4.add(e, f32x4.mul(g1, s));
    v128.store(p1 + off, f32x4.add(s, f32x4.mul(g1, v)));
    s = v128.load(p2 + off);
    e = f32x4.add(e, f32x4.mul(g2, s));
    v128.store(p2 + off, f32x4.add(s, f32x4.mul(g2, v)));
    s = v128.load(p3 + off);
    e = f32x4.add(e, f32x4.mul(g3, s));
    v128.store(p3 + off, f32x4.add(s, f32x4.mul(g3, v)));
    s = v128.load(p4 + off);
    e = f32x4.add(e, f32x4.mul(g4, s));
    v128.store(p4 + off, f32x4.add(s, f32x4.mul(g4, v)));
    s = v128.load(p5 + off);
    e = f32x4.add(e, f32x4.mul(g5, s));
    v128.store(p5 + off, f32x4.add(s, f32x4.mul(g5, v)));
    v128.store(l1 + off, f32x4.add(v, e));
  }
}

/** One (context row l1, centre word) pair with any number of negatives, one target after another (word2vec.c order). */
function pairAny(l1: usize, word: i32, syn1: usize, stride: i32, vocabSize: i32, aliasProb: usize, aliasIdx: usize, negative: i32, alpha: f32): void {
  for (let k = 0; k < stride; k += 4) v128.store(neu1e + (<usize>k << 2), f32x4.splat(0));
  for (let d = 0; d <= negative; d++) {
    let target = word;
    let label: f32 = 1;
    if (d > 0) {
      target = drawNoise(vocabSize, aliasProb, aliasIdx);
      if (target == word) continue;
      label = 0;
    }
    const l2 = syn1 + ((<usize>target * <usize>stride) << 2);
    const gv = f32x4.splat(gradient(dot(l1, l2, stride), label, alpha));
    for (let k = 0; k < stride; k += 4) {
      const off = <usize>k << 2;
      const v1 = v128.load(l1 + off);
      const v2 = v128.load(l2 + off);
      v128.store(neu1e + off, f32x4.add(v128.load(neu1e + off), f32x4.mul(gv, v2)));
      v128.store(l2 + off, f32x4.add(v2, f32x4.mul(gv, v1)));
    }
  }
  for (let k = 0; k < stride; k += 4) {
    const off = <usize>k << 2;
    v128.store(l1 + off, f32x4.add(v128.load(l1 + off), v128.load(neu1e + off)));
  }
}

/**
 * Skip-gram with negative sampling over corpus[start, end) (i32 token ids, -1 = sentence break),
 * one pass. Returns the number of tokens read (before subsampling).
 *   syn0, syn1: f32[V × stride]          input and output vectors
 *   keep: f32[V]                         probability of keeping a token (subsampling; ≥ 1 = always)
 *   aliasProb: f32[V], aliasIdx: i32[V]  Walker alias table of the unigram^0.75 distribution
 *   alpha = alpha0 · max(1e-4, 1 − (done + tokens read so far) / total), refreshed per sentence
 */
export function w2v_pass(
  syn0: usize, syn1: usize, stride: i32, vocabSize: i32,
  corpus: usize, start: i32, end: i32,
  keep: usize, aliasProb: usize, aliasIdx: usize,
  window: i32, negative: i32,
  alpha0: f32, done: f64, total: f64,
): f64 {
  let pos = start;
  let read: f64 = 0;
  while (pos < end) {
    // gather one sentence (subsampled), at most MAX_SENTENCE tokens
    let len = 0;
    while (pos < end && len < MAX_SENTENCE) {
      const id = load<i32>(corpus + (<usize>pos << 2));
      pos++;
      if (id < 0) break;
      read += 1;
      const p = load<f32>(keep + (<usize>id << 2));
      if (p < <f32>1.0) {
        const r = <f32>(<u32>(nextRandom() >> 40)) * <f32>5.9604645e-8; // / 2^24
        if (r >= p) continue;
      }
      store<i32>(sentence + (<usize>len << 2), id);
      len++;
    }
    if (len == 0) continue;
    let progress = <f32>(1.0 - (done + read) / total);
    if (progress < <f32>0.0001) progress = <f32>0.0001;
    const alpha = alpha0 * progress;

    for (let i = 0; i < len; i++) {
      const word = load<i32>(sentence + (<usize>i << 2));
      const b = randomBelow(window); // reduced window: w - b on each side
      const lo = i - window + b;
      const hi = i + window - b;
      for (let c = lo; c <= hi; c++) {
        if (c == i || c < 0 || c >= len) continue;
        const l1 = syn0 + ((<usize>load<i32>(sentence + (<usize>c << 2)) * <usize>stride) << 2);
        if (negative == 5) pairSix(l1, word, syn1, stride, vocabSize, aliasProb, aliasIdx, alpha);
        else pairAny(l1, word, syn1, stride, vocabSize, aliasProb, aliasIdx, negative, alpha);
      }
    }
  }
  return read;
}

/**
 * GloVe: one AdaGrad pass over co-occurrence records [start, end). Returns the summed weighted cost
 * Σ ½·f(x)·(wᵢ·w̃ⱼ + bᵢ + b̃ⱼ − log x)².
 *   w: f32[2V × stride]  rows 0..V-1 word vectors wᵢ, rows V..2V-1 context vectors w̃ⱼ
 *   bias: f32[2V]; gradW: f32[2V × stride], gradB: f32[2V]  AdaGrad sums of squared gradients (start at 1)
 *   recI, recJ: i32[n]; logX, weight: f32[n]  (weight = min(1, (x / xMax)^alpha), precomputed)
 */
export function glove_pass(
  w: usize, bias: usize, gradW: usize, gradB: usize, stride: i32, vocabSize: i32,
  recI: usize, recJ: usize, logX: usize, weight: usize, start: i32, end: i32,
  eta: f32,
): f64 {
  let cost: f64 = 0;
  for (let r = start; r < end; r++) {
    const ro = <usize>r << 2;
    const i = load<i32>(recI + ro);
    const j = load<i32>(recJ + ro) + vocabSize;
    const o1 = (<usize>i * <usize>stride) << 2;
    const o2 = (<usize>j * <usize>stride) << 2;
    const w1 = w + o1;
    const w2 = w + o2;
    const b1 = bias + (<usize>i << 2);
    const b2 = bias + (<usize>j << 2);
    const diff = dot(w1, w2, stride) + load<f32>(b1) + load<f32>(b2) - load<f32>(logX + ro);
    if (!isFinite(diff)) continue;
    let fdiff = load<f32>(weight + ro) * diff;
    cost += <f64>(<f32>0.5 * fdiff * diff);
    fdiff *= eta;
    const fv = f32x4.splat(fdiff);
    const g1 = gradW + o1;
    const g2 = gradW + o2;
    for (let k = 0; k < stride; k += 4) {
      const off = <usize>k << 2;
      const v1 = v128.load(w1 + off);
      const v2 = v128.load(w2 + off);
      const t1 = f32x4.mul(fv, v2); // gradient for w1
      const t2 = f32x4.mul(fv, v1); // gradient for w2
      const s1 = v128.load(g1 + off);
      const s2 = v128.load(g2 + off);
      v128.store(w1 + off, f32x4.sub(v1, f32x4.div(t1, f32x4.sqrt(s1))));
      v128.store(w2 + off, f32x4.sub(v2, f32x4.div(t2, f32x4.sqrt(s2))));
      v128.store(g1 + off, f32x4.add(s1, f32x4.mul(t1, t1)));
      v128.store(g2 + off, f32x4.add(s2, f32x4.mul(t2, t2)));
    }
    const gb1 = gradB + (<usize>i << 2);
    const gb2 = gradB + (<usize>j << 2);
    store<f32>(b1, load<f32>(b1) - fdiff / Mathf.sqrt(load<f32>(gb1)));
    store<f32>(b2, load<f32>(b2) - fdiff / Mathf.sqrt(load<f32>(gb2)));
    const f2 = fdiff * fdiff;
    store<f32>(gb1, load<f32>(gb1) + f2);
    store<f32>(gb2, load<f32>(gb2) + f2);
  }
  return cost;
}
