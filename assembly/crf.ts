// Linear-chain CRF decoding over one sentence, in f64 (inputs f32).
//   em    f32 [T × K]  emissions, row-major;  trans f32 [K × K] (trans[i, j]: tag i at t−1 → tag j at t)
//   start f32 [K], end f32 [K]
//   score(y) = start[y0] + Σ_t em[t, y_t] + Σ_{t>0} trans[y_{t−1}, y_t] + end[y_{T−1}]
// Ties are broken towards the lower tag index (strict '>' comparisons) everywhere.
// T == 0: viterbi/kbest give the empty path with score 0.
// (Probabilities — forward–backward, entity scores — are computed on the host: src/model/crf.ts.)

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
