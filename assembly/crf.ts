// Linear-chain CRF decoding over one sentence, in f64 (inputs f32).
//   em    f32 [T × K]  emissions, row-major;  trans f32 [K × K] (trans[i, j]: tag i at t−1 → tag j at t)
//   start f32 [K], end f32 [K]
//   score(y) = start[y0] + Σ_t em[t, y_t] + Σ_{t>0} trans[y_{t−1}, y_t] + end[y_{T−1}]
// Ties are broken towards the lower tag index (strict '>' comparisons) everywhere.
// T == 0: viterbi/kbest give the empty path with score 0.
// lattice: the scaled forward–backward lattice behind the entity scores (the host's reference and the scores
// themselves: src/model/crf.ts).

// @ts-ignore: decorator
@inline
function a16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}
// @ts-ignore: decorator
@inline
function ldf(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline
function ldd(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline
function std(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
// @ts-ignore: decorator
@inline
function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline
function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

export function viterbi_work_bytes(T: i32, K: i32): usize {
  return a16(<usize>K << 4) + a16(<usize>T * <usize>K << 2);
}

/** Best path into outPath (i32 [T]); returns its score. */
export function viterbi(em: usize, T: i32, K: i32, trans: usize, start: usize, end: usize, work: usize, outPath: usize): f64 {
  if (T <= 0) return 0;
  let prev = work; //                f64 [K]
  let cur = work + (<usize>K << 3); // f64 [K]
  const bp = work + a16(<usize>K << 4); // i32 [T × K] back-pointers
  for (let y = 0; y < K; y++) std(prev, y, ldf(start, y) + ldf(em, y));
  for (let t = 1; t < T; t++) {
    const e = t * K;
    for (let y = 0; y < K; y++) {
      let best = -Infinity;
      let arg = 0;
      for (let j = 0; j < K; j++) {
        const v = ldd(prev, j) + ldf(trans, j * K + y);
        if (v > best) {
          best = v;
          arg = j;
        }
      }
      std(cur, y, best + ldf(em, e + y));
      sti(bp, e + y, arg);
    }
    const tmp = prev;
    prev = cur;
    cur = tmp;
  }
  let best = -Infinity;
  let arg = 0;
  for (let y = 0; y < K; y++) {
    const v = ldd(prev, y) + ldf(end, y);
    if (v > best) {
      best = v;
      arg = y;
    }
  }
  sti(outPath, T - 1, arg);
  for (let t = T - 1; t > 0; t--) {
    arg = ldi(bp, t * K + arg);
    sti(outPath, t - 1, arg);
  }
  return best;
}

export function kbest_work_bytes(T: i32, K: i32, k: i32): usize {
  const tkk = <usize>T * <usize>K * <usize>k;
  return a16(tkk << 3) + a16(tkk << 2) + a16(<usize>T * <usize>K << 2) + a16(<usize>K << 2);
}

/**
 * The k best distinct paths (list Viterbi), best first: paths into outPaths (i32 [k × T], row i = i-th best),
 * scores into outScores (f64 [k]). Returns how many were found (min(k, K^T)).
 * Each (t, tag) keeps its k best prefixes sorted by score; a K-way merge picks the next step's k best.
 */
export function kbest(
  em: usize, T: i32, K: i32, trans: usize, start: usize, end: usize, k: i32,
  work: usize, outPaths: usize, outScores: usize,
): i32 {
  if (k <= 0) return 0;
  if (T <= 0) {
    std(outScores, 0, 0);
    return 1;
  }
  const tkk = <usize>T * <usize>K * <usize>k;
  const sc = work; //                        f64 [T × K × k] prefix scores, sorted best first
  const bp = sc + a16(tkk << 3); //           i32 [T × K × k] back-pointer: prevTag · k + prevRank
  const cnt = bp + a16(tkk << 2); //          i32 [T × K]     how many prefixes (t, tag) holds
  const ptr = cnt + a16(<usize>T * <usize>K << 2); // i32 [K] merge cursors
  const Kk = K * k;
  for (let y = 0; y < K; y++) {
    std(sc, y * k, ldf(start, y) + ldf(em, y));
    sti(cnt, y, 1);
  }
  for (let t = 1; t < T; t++) {
    const p = (t - 1) * Kk; // (t-1, j, r) → p + j·k + r
    for (let y = 0; y < K; y++) {
      for (let j = 0; j < K; j++) sti(ptr, j, 0);
      const o = t * Kk + y * k;
      const e = ldf(em, t * K + y);
      let n = 0;
      while (n < k) {
        let best = -Infinity;
        let bj = -1;
        for (let j = 0; j < K; j++) {
          const r = ldi(ptr, j);
          if (r >= ldi(cnt, (t - 1) * K + j)) continue;
          const v = ldd(sc, p + j * k + r) + ldf(trans, j * K + y);
          if (bj < 0 || v > best) {
            best = v;
            bj = j;
          }
        }
        if (bj < 0) break;
        const r = ldi(ptr, bj);
        std(sc, o + n, best + e);
        sti(bp, o + n, bj * k + r);
        sti(ptr, bj, r + 1);
        n++;
      }
      sti(cnt, t * K + y, n);
    }
  }
  // final merge with the end scores
  const p = (T - 1) * Kk;
  for (let j = 0; j < K; j++) sti(ptr, j, 0);
  let n = 0;
  while (n < k) {
    let best = -Infinity;
    let bj = -1;
    for (let j = 0; j < K; j++) {
      const r = ldi(ptr, j);
      if (r >= ldi(cnt, (T - 1) * K + j)) continue;
      const v = ldd(sc, p + j * k + r) + ldf(end, j);
      if (bj < 0 || v > best) {
        best = v;
        bj = j;
      }
    }
    if (bj < 0) break;
    let r = ldi(ptr, bj);
    sti(ptr, bj, r + 1);
    std(outScores, n, best);
    const path = outPaths + (<usize>n * <usize>T << 2);
    let y = bj;
    sti(path, T - 1, y);
    for (let t = T - 1; t > 0; t--) {
      const code = ldi(bp, t * Kk + y * k + r);
      y = code / k;
      r = code % k;
      sti(path, t - 1, y);
    }
    n++;
  }
  return n;
}

/** out[t, :] = log softmax(em[t, :]) (f32 [T × K]); used to decode crf=false models with the CRF routines. */
export function log_softmax(em: usize, T: i32, K: i32, out: usize): void {
  for (let t = 0; t < T; t++) {
    const e = t * K;
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = max(m, ldf(em, e + y));
    let s: f64 = 0;
    for (let y = 0; y < K; y++) s += Math.exp(ldf(em, e + y) - m);
    const lz = m + Math.log(s);
    for (let y = 0; y < K; y++) store<f32>(out + (<usize>(e + y) << 2), <f32>(ldf(em, e + y) - lz));
  }
}

/** out[t, :] = softmax(em[t, :]) (f32 [T × K]). */
export function softmax(em: usize, T: i32, K: i32, out: usize): void {
  for (let t = 0; t < T; t++) {
    const e = t * K;
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = max(m, ldf(em, e + y));
    let s: f64 = 0;
    for (let y = 0; y < K; y++) s += Math.exp(ldf(em, e + y) - m);
    for (let y = 0; y < K; y++) store<f32>(out + (<usize>(e + y) << 2), <f32>(Math.exp(ldf(em, e + y) - m) / s));
  }
}

/**
 * exp(x) in f64: AssemblyScript's Math.exp (NativeMath, ported from musl / ARM optimized-routines: x = k·ln2/128 + r
 * with |r| ≤ ln2/256, 2^(k/128) from a 128-entry table, e^r − 1 by a degree-5 polynomial; error ≤ 0.52 ulp, i.e.
 * relative ≤ 1.2e-16). Compiled into the module, no import. Exported for its accuracy test.
 */
export function exp_f64(x: f64): f64 {
  return Math.exp(x);
}

export function lattice_work_bytes(T: i32, K: i32): usize {
  const K4 = (K + 3) & ~3;
  return a16(<usize>T * <usize>K4 << 3) + a16(<usize>T * <usize>K << 3) + a16(<usize>T << 3) + a16(<usize>K4 << 4);
}

/**
 * The scaled forward–backward lattice of one sentence (Rabiner), in f64; the same arithmetic, in the same order,
 * as forwardBackward in src/model/crf.ts (its reference; the shapes and meaning of the rows are documented there).
 *   em     f32 [T × K]     emissions (T ≥ 1)
 *   et     f64 [K4 × K4]   exp(trans − transMax), zero-padded (K4 = K rounded up to a multiple of 4);  ett its transpose
 *   start, end  f64 [K]
 *   logSoftmax  ≠ 0: the potentials are log-softmax(em) per row (crf=false models, zero transitions)
 *   alphaTo ≥ betaFrom: the forward rows 0..alphaTo and the backward rows betaFrom..T−1 are computed (the rest are 0)
 *   out    f64 aHat [T × K] | bHat [T × K] | aLog [T] | bLog [T] (| the log-softmax potentials [T × K] with logSoftmax)
 *   work   lattice_work_bytes(T, K):  psi f64 [T × K4] = exp(pot − rowMax) | pot f64 [T × K] (without logSoftmax)
 *          | rowMax f64 [T] | v f64 [K4] | row f64 [K4]
 * Returns log Z. Two tags per f64x2 lane pair, four tags per step: each tag's sum runs over x in order, as on the host.
 */
export function lattice(
  em: usize, T: i32, K: i32, et: usize, ett: usize, transMax: f64, start: usize, end: usize, logSoftmax: i32,
  alphaTo: i32, betaFrom: i32, out: usize, work: usize,
): f64 {
  const K4 = (K + 3) & ~3;
  const TK = T * K;
  const aHat = out;
  const bHat = out + (<usize>TK << 3);
  const aLog = out + (<usize>(2 * TK) << 3);
  const bLog = aLog + (<usize>T << 3);
  const psi = work;
  const pot = logSoftmax ? bLog + (<usize>T << 3) : psi + a16(<usize>T * <usize>K4 << 3);
  const rowMax = psi + a16(<usize>T * <usize>K4 << 3) + a16(<usize>TK << 3);
  const v = rowMax + a16(<usize>T << 3);
  const row = v + (<usize>K4 << 3);
  memory.fill(out, 0, <usize>(2 * TK + 2 * T) << 3);
  // potentials, row maxima, psi (row 0's psi is never read)
  for (let t = 0; t < T; t++) {
    const o = t * K;
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = max(m, ldf(em, o + y));
    if (logSoftmax) {
      let z: f64 = 0;
      for (let y = 0; y < K; y++) z += Math.exp(ldf(em, o + y) - m);
      const lse = m + Math.log(z);
      for (let y = 0; y < K; y++) std(pot, o + y, ldf(em, o + y) - lse);
      m -= lse;
    } else {
      for (let y = 0; y < K; y++) std(pot, o + y, ldf(em, o + y));
    }
    std(rowMax, t, m);
    if (t > 0) {
      const ps = psi + (<usize>(t * K4) << 3);
      for (let y = 0; y < K; y++) {
        const e = ldd(pot, o + y);
        std(ps, y, e == m ? 1 : Math.exp(e - m));
      }
      for (let y = K; y < K4; y++) std(ps, y, 0);
    }
  }
  for (let y = K; y < K4; y++) std(v, y, 0);
  // forward: aHat[t] ∝ psi[t] ⊙ (aHat[t−1] · et)
  {
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = max(m, ldd(start, y) + ldd(pot, y));
    let c: f64 = 0;
    for (let y = 0; y < K; y++) {
      const a = Math.exp(ldd(start, y) + ldd(pot, y) - m);
      std(aHat, y, a);
      c += a;
    }
    for (let y = 0; y < K; y++) std(aHat, y, ldd(aHat, y) / c);
    std(aLog, 0, m + Math.log(c));
  }
  for (let t = 1; t <= alphaTo; t++) {
    const prev = aHat + (<usize>((t - 1) * K) << 3);
    const cur = aHat + (<usize>(t * K) << 3);
    const ps = psi + (<usize>(t * K4) << 3);
    for (let y = 0; y < K4; y += 4) {
      let s0 = f64x2.splat(0); // tags y, y+1
      let s1 = f64x2.splat(0); // tags y+2, y+3
      let w = et + (<usize>y << 3);
      for (let x = 0; x < K; x++) {
        const a = f64x2.splat(ldd(prev, x));
        s0 = f64x2.add(s0, f64x2.mul(a, v128.load(w)));
        s1 = f64x2.add(s1, f64x2.mul(a, v128.load(w, 16)));
        w += <usize>K4 << 3;
      }
      const ry = row + (<usize>y << 3);
      const py = ps + (<usize>y << 3);
      v128.store(ry, f64x2.mul(s0, v128.load(py)));
      v128.store(ry, f64x2.mul(s1, v128.load(py, 16)), 16);
    }
    let c: f64 = 0;
    for (let y = 0; y < K; y++) c += ldd(row, y);
    const inv = 1 / c;
    for (let y = 0; y < K; y++) std(cur, y, ldd(row, y) * inv);
    std(aLog, t, ldd(aLog, t - 1) + transMax + ldd(rowMax, t) + Math.log(c));
  }
  // backward: bHat[t] ∝ et · (psi[t+1] ⊙ bHat[t+1])
  {
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = max(m, ldd(end, y));
    const last = bHat + (<usize>((T - 1) * K) << 3);
    let c: f64 = 0;
    for (let y = 0; y < K; y++) {
      const b = Math.exp(ldd(end, y) - m);
      std(last, y, b);
      c += b;
    }
    for (let y = 0; y < K; y++) std(last, y, ldd(last, y) / c);
    std(bLog, T - 1, m + Math.log(c));
  }
  for (let t = T - 2; t >= betaFrom; t--) {
    const next = bHat + (<usize>((t + 1) * K) << 3);
    const cur = bHat + (<usize>(t * K) << 3);
    const ps = psi + (<usize>((t + 1) * K4) << 3);
    for (let x = 0; x < K; x++) std(v, x, ldd(ps, x) * ldd(next, x));
    for (let y = 0; y < K4; y += 4) {
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let w = ett + (<usize>y << 3);
      for (let x = 0; x < K; x++) {
        const a = f64x2.splat(ldd(v, x));
        s0 = f64x2.add(s0, f64x2.mul(v128.load(w), a));
        s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), a));
        w += <usize>K4 << 3;
      }
      const ry = row + (<usize>y << 3);
      v128.store(ry, s0);
      v128.store(ry, s1, 16);
    }
    let c: f64 = 0;
    for (let y = 0; y < K; y++) c += ldd(row, y);
    const inv = 1 / c;
    for (let y = 0; y < K; y++) std(cur, y, ldd(row, y) * inv);
    std(bLog, t, ldd(bLog, t + 1) + transMax + ldd(rowMax, t + 1) + Math.log(c));
  }
  // log Z: at the end, Σ_y alpha[T−1, y] + end[y]; where the passes meet earlier, Σ_y alpha[t, y] + beta[t, y]
  let z: f64 = 0;
  if (alphaTo == T - 1) {
    let endMax = -Infinity;
    for (let y = 0; y < K; y++) endMax = max(endMax, ldd(end, y));
    for (let y = 0; y < K; y++) z += ldd(aHat, (T - 1) * K + y) * Math.exp(ldd(end, y) - endMax);
    return ldd(aLog, T - 1) + endMax + Math.log(z);
  }
  for (let y = 0; y < K; y++) z += ldd(aHat, alphaTo * K + y) * ldd(bHat, alphaTo * K + y);
  return ldd(aLog, alphaTo) + ldd(bLog, alphaTo) + Math.log(z);
}
