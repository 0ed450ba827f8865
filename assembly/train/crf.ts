// Output layers of training: linear-chain CRF negative log-likelihood with its gradient (scaled forward–backward
// in f64), per-step softmax cross-entropy (the crf=false baseline) and decoding (Viterbi / argmax).
//
// E [T·B, K] emissions, time-major (row t·B + b). tags: i32 [T·B] gold tag ids. lengths: i32 [B].
// CRF parameters (src/model/layout.ts): start [K], end [K], trans [K, K] with trans[i, j] = score of i → j.

/** f64 scratch the CRF needs: (3·T·K + T + K·K) doubles. */
export function crf_work_size(T: i32, K: i32): i32 {
  return 3 * T * K + T + K * K;
}

// @ts-ignore: decorator
@inline
function f(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline
function d(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline
function setd(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

/**
 * Σ_b −log p(tags_b | E_b) over the batch; writes dE = ∂/∂E (posterior − gold indicator, zero past each end)
 * and adds ∂/∂start, ∂/∂end, ∂/∂trans into dStart, dEnd, dTrans. work: crf_work_size(T, K) doubles.
 */
export function crf_nll(
  E: usize, tags: usize, lengths: usize, B: i32, T: i32, K: i32,
  start: usize, end: usize, trans: usize,
  dE: usize, dStart: usize, dEnd: usize, dTrans: usize, work: usize,
): f64 {
  const alpha = work;                               // [T, K] normalised forward variables
  const eh = alpha + (<usize>(T * K) << 3);          // [T, K] exp(E - rowmax)
  const beta = eh + (<usize>(T * K) << 3);           // [T, K] scaled backward variables
  const scale = beta + (<usize>(T * K) << 3);        // [T] per-step normalisers
  const expT = scale + (<usize>T << 3);              // [K, K] exp(trans)
  for (let i = 0; i < K * K; i++) setd(expT, i, Math.exp(<f64>f(trans, i)));
  memory.fill(dE, 0, <usize>T * <usize>B * <usize>K << 2);
  let total: f64 = 0;
  for (let b = 0; b < B; b++) {
    const L = load<i32>(lengths + (<usize>b << 2));
    if (L <= 0) continue;
    let logZ: f64 = 0;
    // forward
    for (let t = 0; t < L; t++) {
      const e = E + ((<usize>t * <usize>B + <usize>b) * <usize>K << 2);
      let mx: f64 = -Infinity;
      for (let k = 0; k < K; k++) mx = max(mx, <f64>f(e, k));
      let s: f64 = 0;
      for (let k = 0; k < K; k++) {
        const x = Math.exp(<f64>f(e, k) - mx);
        setd(eh, t * K + k, x);
        let a: f64;
        if (t == 0) {
          a = Math.exp(<f64>f(start, k)) * x;
        } else {
          a = 0;
          for (let j = 0; j < K; j++) a += d(alpha, (t - 1) * K + j) * d(expT, j * K + k);
          a *= x;
        }
        setd(alpha, t * K + k, a);
        s += a;
      }
      const inv = 1 / s;
      for (let k = 0; k < K; k++) setd(alpha, t * K + k, d(alpha, t * K + k) * inv);
      setd(scale, t, s);
      logZ += mx + Math.log(s);
    }
    let zEnd: f64 = 0;
    for (let k = 0; k < K; k++) zEnd += d(alpha, (L - 1) * K + k) * Math.exp(<f64>f(end, k));
    logZ += Math.log(zEnd);
    // gold path score
    const y0 = load<i32>(tags + (<usize>b << 2));
    let gold: f64 = <f64>f(start, y0);
    let prev = -1;
    for (let t = 0; t < L; t++) {
      const y = load<i32>(tags + ((<usize>t * <usize>B + <usize>b) << 2));
      gold += <f64>f(E + ((<usize>t * <usize>B + <usize>b) * <usize>K << 2), y);
      if (prev >= 0) gold += <f64>f(trans, prev * K + y);
      prev = y;
    }
    gold += <f64>f(end, prev);
    total += logZ - gold;
    // backward: beta_t = β_t / (Π_{τ>t} s_τ e^{m_τ} · zEnd), so P(y_t = k) = alpha[t, k] · beta[t, k]
    for (let k = 0; k < K; k++) setd(beta, (L - 1) * K + k, Math.exp(<f64>f(end, k)) / zEnd);
    for (let t = L - 2; t >= 0; t--) {
      const inv = 1 / d(scale, t + 1);
      for (let j = 0; j < K; j++) {
        let s: f64 = 0;
        for (let k = 0; k < K; k++) s += d(expT, j * K + k) * d(eh, (t + 1) * K + k) * d(beta, (t + 1) * K + k);
        setd(beta, t * K + j, s * inv);
      }
    }
    // gradients
    for (let t = 0; t < L; t++) {
      const row = (<usize>t * <usize>B + <usize>b) * <usize>K << 2;
      const y = load<i32>(tags + ((<usize>t * <usize>B + <usize>b) << 2));
      for (let k = 0; k < K; k++) {
        const pk = <f32>(d(alpha, t * K + k) * d(beta, t * K + k));
        store<f32>(dE + row + (<usize>k << 2), pk - (k == y ? <f32>1 : <f32>0));
        if (t == 0) store<f32>(dStart + (<usize>k << 2), f(dStart, k) + pk - (k == y ? <f32>1 : <f32>0));
        if (t == L - 1) store<f32>(dEnd + (<usize>k << 2), f(dEnd, k) + pk - (k == y ? <f32>1 : <f32>0));
      }
      if (t + 1 < L) {
        const y1 = load<i32>(tags + ((<usize>(t + 1) * <usize>B + <usize>b) << 2));
        const inv = 1 / d(scale, t + 1);
        for (let j = 0; j < K; j++) {
          const aj = d(alpha, t * K + j) * inv;
          for (let k = 0; k < K; k++) {
            const pjk = <f32>(aj * d(expT, j * K + k) * d(eh, (t + 1) * K + k) * d(beta, (t + 1) * K + k));
            const g: f32 = pjk - (j == y && k == y1 ? <f32>1 : <f32>0);
            store<f32>(dTrans + (<usize>(j * K + k) << 2), f(dTrans, j * K + k) + g);
          }
        }
      }
    }
  }
  return total;
}

/** Σ −log softmax(E_t)[tag_t] over running rows; dE = softmax − one-hot (zero past each end). */
export function softmax_xent(E: usize, tags: usize, lengths: usize, B: i32, T: i32, K: i32, dE: usize): f64 {
  memory.fill(dE, 0, <usize>T * <usize>B * <usize>K << 2);
  let total: f64 = 0;
  for (let b = 0; b < B; b++) {
    const L = load<i32>(lengths + (<usize>b << 2));
    for (let t = 0; t < L; t++) {
      const m = <usize>t * <usize>B + <usize>b;
      const e = E + (m * <usize>K << 2);
      const de = dE + (m * <usize>K << 2);
      const y = load<i32>(tags + (m << 2));
      let mx: f64 = -Infinity;
      for (let k = 0; k < K; k++) mx = max(mx, <f64>f(e, k));
      let s: f64 = 0;
      for (let k = 0; k < K; k++) s += Math.exp(<f64>f(e, k) - mx);
      const logS = Math.log(s);
      total += logS + mx - <f64>f(e, y);
      for (let k = 0; k < K; k++) {
        const pk = <f32>Math.exp(<f64>f(e, k) - mx - logS);
        store<f32>(de + (<usize>k << 2), pk - (k == y ? <f32>1 : <f32>0));
      }
    }
  }
  return total;
}

/** i32 scratch viterbi needs: T·K + 2·K (back-pointers, two score rows stored as f32). */
export function viterbi_work_size(T: i32, K: i32): i32 {
  return T * K + 2 * K;
}

/** Best tag path per sentence into out: i32 [T·B] (−1 past each end). work: viterbi_work_size(T, K) words. */
export function viterbi(E: usize, lengths: usize, B: i32, T: i32, K: i32, start: usize, end: usize, trans: usize, out: usize, work: usize): void {
  const bp = work;                                   // i32 [T, K]
  let cur = bp + (<usize>(T * K) << 2);              // f32 [K]
  let nxt = cur + (<usize>K << 2);                   // f32 [K]
  for (let b = 0; b < B; b++) {
    const L = load<i32>(lengths + (<usize>b << 2));
    for (let t = L; t < T; t++) store<i32>(out + ((<usize>t * <usize>B + <usize>b) << 2), -1);
    if (L <= 0) continue;
    for (let k = 0; k < K; k++) store<f32>(cur + (<usize>k << 2), f(start, k) + f(E + (<usize>b * <usize>K << 2), k));
    for (let t = 1; t < L; t++) {
      const e = E + ((<usize>t * <usize>B + <usize>b) * <usize>K << 2);
      for (let k = 0; k < K; k++) {
        let best: f32 = -Infinity;
        let arg = 0;
        for (let j = 0; j < K; j++) {
          const s = f(cur, j) + f(trans, j * K + k);
          if (s > best) { best = s; arg = j; }
        }
        store<f32>(nxt + (<usize>k << 2), best + f(e, k));
        store<i32>(bp + (<usize>(t * K + k) << 2), arg);
      }
      const tmp = cur; cur = nxt; nxt = tmp;
    }
    let best: f32 = -Infinity;
    let arg = 0;
    for (let k = 0; k < K; k++) {
      const s = f(cur, k) + f(end, k);
      if (s > best) { best = s; arg = k; }
    }
    for (let t = L - 1; t >= 0; t--) {
      store<i32>(out + ((<usize>t * <usize>B + <usize>b) << 2), arg);
      if (t > 0) arg = load<i32>(bp + (<usize>(t * K + arg) << 2));
    }
  }
}

/** Per-step argmax (the crf=false decoder) into out: i32 [T·B] (−1 past each end). */
export function argmax_rows(E: usize, lengths: usize, B: i32, T: i32, K: i32, out: usize): void {
  for (let b = 0; b < B; b++) {
    const L = load<i32>(lengths + (<usize>b << 2));
    for (let t = 0; t < T; t++) {
      const m = <usize>t * <usize>B + <usize>b;
      if (t >= L) {
        store<i32>(out + (m << 2), -1);
        continue;
      }
      const e = E + (m * <usize>K << 2);
      let best: f32 = -Infinity;
      let arg = 0;
      for (let k = 0; k < K; k++) {
        if (f(e, k) > best) { best = f(e, k); arg = k; }
      }
      store<i32>(out + (m << 2), arg);
    }
  }
}
