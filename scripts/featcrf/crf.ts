/**
 * Linear-chain CRF over sparse binary features (the CRF++-style baseline).
 *
 * All parameters live in one flat vector θ so that an optimiser can treat them alike:
 *   θ = [ w (F·K) | trans (K·K) | start (K) | end (K) ]
 *   w[f·K + y]        weight of observation feature f with label y
 *   trans[a·K + b]    score of label a at t-1 followed by label b at t
 *   score(x, y) = start[y_0] + Σ_t Σ_{f ∈ x_t} w[f, y_t] + Σ_{t>0} trans[y_{t-1}, y_t] + end[y_{T-1}]
 *
 * Forward–backward keeps α and β in log space. Each step shifts by the previous step's maximum and
 * multiplies by exp(trans) (exponentiated once per call), so a step costs 2K exponentials instead of K²;
 * a step whose sum underflows falls back to an exact log-sum-exp.
 */

export interface CrfShape {
  /** number of observation features F */
  numFeatures: number;
  /** number of labels K */
  numLabels: number;
}

/** One sequence: the active feature ids of each position in compressed rows, and optionally its gold labels. */
export interface CrfSequence {
  /** [T + 1] — features of position t are featIds[featStart[t] .. featStart[t+1]) */
  featStart: Int32Array;
  /** [featStart[T]] — ids in [0, F) */
  featIds: Int32Array;
  /** [T] — gold label ids in [0, K); needed for the likelihood, not for decoding */
  labels?: Int32Array;
}

export function seqLength(seq: CrfSequence): number {
  return seq.featStart.length - 1;
}

export function paramCount(shape: CrfShape): number {
  const { numFeatures: F, numLabels: K } = shape;
  return F * K + K * K + 2 * K;
}

/** Offsets of the parameter blocks in θ. */
export function paramOffsets(shape: CrfShape): { trans: number; start: number; end: number; total: number } {
  const { numFeatures: F, numLabels: K } = shape;
  const trans = F * K;
  const start = trans + K * K;
  const end = start + K;
  return { trans, start, end, total: end + K };
}

/** Throws unless seq is well formed for this shape (ids in range, monotone row starts, labels in range). */
export function checkSequence(shape: CrfShape, seq: CrfSequence, name = 'sequence'): void {
  const { numFeatures: F, numLabels: K } = shape;
  const T = seqLength(seq);
  if (T < 0) throw new Error(`${name}: featStart must have length T+1 >= 1, got 0`);
  if (seq.featStart[0] !== 0) throw new Error(`${name}: featStart[0] must be 0, got ${seq.featStart[0]}`);
  for (let t = 0; t < T; t++) {
    if (seq.featStart[t + 1] < seq.featStart[t]) throw new Error(`${name}: featStart must not decrease (at ${t})`);
  }
  if (seq.featStart[T] !== seq.featIds.length) {
    throw new Error(`${name}: featStart[T] = ${seq.featStart[T]} must equal featIds.length = ${seq.featIds.length}`);
  }
  for (let i = 0; i < seq.featIds.length; i++) {
    const f = seq.featIds[i];
    if (!(f >= 0 && f < F)) throw new Error(`${name}: feature id at ${i} must be in [0, ${F}), got ${f}`);
  }
  if (seq.labels) {
    if (seq.labels.length !== T) throw new Error(`${name}: labels length must be T = ${T}, got ${seq.labels.length}`);
    for (let t = 0; t < T; t++) {
      const y = seq.labels[t];
      if (!(y >= 0 && y < K)) throw new Error(`${name}: label at ${t} must be in [0, ${K}), got ${y}`);
    }
  }
}

/** Reusable work buffers; grow on demand. */
export class CrfScratch {
  emit = new Float64Array(0); // [T·K]
  alpha = new Float64Array(0); // [T·K]
  beta = new Float64Array(0); // [T·K]
  expTrans = new Float64Array(0); // [K·K]
  a = new Float64Array(0); // [K]
  b = new Float64Array(0); // [K]
  back = new Int32Array(0); // [T·K] Viterbi back-pointers

  ensure(T: number, K: number): void {
    const n = Math.max(1, T) * K;
    if (this.emit.length < n) {
      const size = Math.max(n, this.emit.length * 2);
      this.emit = new Float64Array(size);
      this.alpha = new Float64Array(size);
      this.beta = new Float64Array(size);
      this.back = new Int32Array(size);
    }
    if (this.expTrans.length !== K * K) {
      this.expTrans = new Float64Array(K * K);
      this.a = new Float64Array(K);
      this.b = new Float64Array(K);
    }
  }
}

/** emit[t·K + y] = Σ_{f ∈ x_t} w[f·K + y] */
function computeEmissions(theta: Float64Array, K: number, seq: CrfSequence, emit: Float64Array): void {
  const T = seqLength(seq);
  const { featStart, featIds } = seq;
  for (let t = 0; t < T; t++) {
    const row = t * K;
    for (let y = 0; y < K; y++) emit[row + y] = 0;
    for (let i = featStart[t]; i < featStart[t + 1]; i++) {
      const base = featIds[i] * K;
      for (let y = 0; y < K; y++) emit[row + y] += theta[base + y];
    }
  }
}

/** Score of one label path (unnormalised log-potential). */
export function scorePath(theta: Float64Array, shape: CrfShape, seq: CrfSequence, path: ArrayLike<number>): number {
  const K = shape.numLabels;
  const T = seqLength(seq);
  if (path.length !== T) throw new Error(`scorePath: path length must be T = ${T}, got ${path.length}`);
  if (T === 0) return 0;
  const off = paramOffsets(shape);
  let s = theta[off.start + path[0]] + theta[off.end + path[T - 1]];
  for (let t = 0; t < T; t++) {
    const y = path[t];
    for (let i = seq.featStart[t]; i < seq.featStart[t + 1]; i++) s += theta[seq.featIds[i] * K + y];
    if (t > 0) s += theta[off.trans + path[t - 1] * K + y];
  }
  return s;
}

/**
 * Forward pass: fills scratch.alpha ([T·K], log space) and returns log Z.
 * Assumes scratch.emit and scratch.expTrans are filled.
 */
function forward(theta: Float64Array, shape: CrfShape, T: number, sc: CrfScratch): number {
  const K = shape.numLabels;
  const off = paramOffsets(shape);
  const { emit, alpha, expTrans, a } = sc;
  for (let y = 0; y < K; y++) alpha[y] = theta[off.start + y] + emit[y];
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * K;
    const row = t * K;
    let m = -Infinity;
    for (let y = 0; y < K; y++) if (alpha[prev + y] > m) m = alpha[prev + y];
    for (let y = 0; y < K; y++) a[y] = Math.exp(alpha[prev + y] - m);
    for (let y = 0; y < K; y++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += a[p] * expTrans[p * K + y];
      if (s > 0 && Number.isFinite(s)) {
        alpha[row + y] = m + Math.log(s) + emit[row + y];
      } else {
        // exact fallback: log Σ_p exp(alpha[p] + trans[p, y])
        let mm = -Infinity;
        for (let p = 0; p < K; p++) mm = Math.max(mm, alpha[prev + p] + theta[off.trans + p * K + y]);
        let ss = 0;
        for (let p = 0; p < K; p++) ss += Math.exp(alpha[prev + p] + theta[off.trans + p * K + y] - mm);
        alpha[row + y] = mm + Math.log(ss) + emit[row + y];
      }
    }
  }
  const last = (T - 1) * K;
  let m = -Infinity;
  for (let y = 0; y < K; y++) m = Math.max(m, alpha[last + y] + theta[off.end + y]);
  let s = 0;
  for (let y = 0; y < K; y++) s += Math.exp(alpha[last + y] + theta[off.end + y] - m);
  return m + Math.log(s);
}

/** Backward pass: fills scratch.beta ([T·K], log space); beta[T-1, y] = end[y]. */
function backward(theta: Float64Array, shape: CrfShape, T: number, sc: CrfScratch): void {
  const K = shape.numLabels;
  const off = paramOffsets(shape);
  const { emit, beta, expTrans, b } = sc;
  const last = (T - 1) * K;
  for (let y = 0; y < K; y++) beta[last + y] = theta[off.end + y];
  for (let t = T - 2; t >= 0; t--) {
    const next = (t + 1) * K;
    const row = t * K;
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = Math.max(m, emit[next + y] + beta[next + y]);
    for (let y = 0; y < K; y++) b[y] = Math.exp(emit[next + y] + beta[next + y] - m);
    for (let y = 0; y < K; y++) {
      let s = 0;
      for (let n = 0; n < K; n++) s += expTrans[y * K + n] * b[n];
      if (s > 0 && Number.isFinite(s)) {
        beta[row + y] = m + Math.log(s);
      } else {
        let mm = -Infinity;
        for (let n = 0; n < K; n++) mm = Math.max(mm, theta[off.trans + y * K + n] + emit[next + n] + beta[next + n]);
        let ss = 0;
        for (let n = 0; n < K; n++) ss += Math.exp(theta[off.trans + y * K + n] + emit[next + n] + beta[next + n] - mm);
        beta[row + y] = mm + Math.log(ss);
      }
    }
  }
}

function fillExpTrans(theta: Float64Array, shape: CrfShape, sc: CrfScratch): void {
  const K = shape.numLabels;
  const off = paramOffsets(shape);
  for (let i = 0; i < K * K; i++) sc.expTrans[i] = Math.exp(theta[off.trans + i]);
}

/** log Z(x): the log partition function of one sequence. */
export function logPartition(theta: Float64Array, shape: CrfShape, seq: CrfSequence, sc = new CrfScratch()): number {
  const T = seqLength(seq);
  if (T === 0) return 0;
  sc.ensure(T, shape.numLabels);
  computeEmissions(theta, shape.numLabels, seq, sc.emit);
  fillExpTrans(theta, shape, sc);
  return forward(theta, shape, T, sc);
}

/**
 * Negative log-likelihood −log p(y | x) of the sequence's gold labels. When grad is given, adds
 * ∂NLL/∂θ into it (expected feature counts minus observed ones).
 */
export function sequenceNll(
  theta: Float64Array,
  shape: CrfShape,
  seq: CrfSequence,
  grad: Float64Array | null,
  sc: CrfScratch,
): number {
  const K = shape.numLabels;
  const T = seqLength(seq);
  const labels = seq.labels;
  if (!labels) throw new Error('sequenceNll: the sequence has no gold labels');
  if (T === 0) return 0;
  sc.ensure(T, K);
  computeEmissions(theta, K, seq, sc.emit);
  fillExpTrans(theta, shape, sc);
  const logZ = forward(theta, shape, T, sc);
  const nll = logZ - scorePath(theta, shape, seq, labels);
  if (!grad) return nll;

  backward(theta, shape, T, sc);
  const off = paramOffsets(shape);
  const { emit, alpha, beta, expTrans, a, b } = sc;
  const { featStart, featIds } = seq;
  for (let t = 0; t < T; t++) {
    const row = t * K;
    // unary marginals p(y_t = y) into a[]
    for (let y = 0; y < K; y++) a[y] = Math.exp(alpha[row + y] + beta[row + y] - logZ);
    a[labels[t]] -= 1; // expected − observed
    for (let i = featStart[t]; i < featStart[t + 1]; i++) {
      const base = featIds[i] * K;
      for (let y = 0; y < K; y++) grad[base + y] += a[y];
    }
    if (t === 0) for (let y = 0; y < K; y++) grad[off.start + y] += a[y];
    if (t === T - 1) for (let y = 0; y < K; y++) grad[off.end + y] += a[y];
  }
  // pairwise marginals p(y_{t-1} = p, y_t = n) = exp(alpha[t-1,p] + trans[p,n] + emit[t,n] + beta[t,n] − logZ)
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * K;
    const row = t * K;
    let ma = -Infinity;
    let mb = -Infinity;
    for (let y = 0; y < K; y++) {
      ma = Math.max(ma, alpha[prev + y]);
      mb = Math.max(mb, emit[row + y] + beta[row + y]);
    }
    const scale = Math.exp(ma + mb - logZ);
    if (Number.isFinite(scale)) {
      for (let y = 0; y < K; y++) {
        a[y] = Math.exp(alpha[prev + y] - ma) * scale;
        b[y] = Math.exp(emit[row + y] + beta[row + y] - mb);
      }
      for (let p = 0; p < K; p++) {
        const ap = a[p];
        for (let n = 0; n < K; n++) grad[off.trans + p * K + n] += ap * expTrans[p * K + n] * b[n];
      }
    } else {
      for (let p = 0; p < K; p++) {
        for (let n = 0; n < K; n++) {
          grad[off.trans + p * K + n] += Math.exp(
            alpha[prev + p] + theta[off.trans + p * K + n] + emit[row + n] + beta[row + n] - logZ,
          );
        }
      }
    }
    grad[off.trans + labels[t - 1] * K + labels[t]] -= 1;
  }
  return nll;
}

/** Most probable label path (ties go to the lower label id). */
export function viterbi(theta: Float64Array, shape: CrfShape, seq: CrfSequence, sc = new CrfScratch()): Int32Array {
  const K = shape.numLabels;
  const T = seqLength(seq);
  const path = new Int32Array(T); // [T]
  if (T === 0) return path;
  sc.ensure(T, K);
  const off = paramOffsets(shape);
  const { emit, alpha: delta, back } = sc;
  computeEmissions(theta, K, seq, emit);
  for (let y = 0; y < K; y++) delta[y] = theta[off.start + y] + emit[y];
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * K;
    const row = t * K;
    for (let y = 0; y < K; y++) {
      let best = -Infinity;
      let arg = 0;
      for (let p = 0; p < K; p++) {
        const v = delta[prev + p] + theta[off.trans + p * K + y];
        if (v > best) {
          best = v;
          arg = p;
        }
      }
      delta[row + y] = best + emit[row + y];
      back[row + y] = arg;
    }
  }
  const last = (T - 1) * K;
  let best = -Infinity;
  let arg = 0;
  for (let y = 0; y < K; y++) {
    const v = delta[last + y] + theta[off.end + y];
    if (v > best) {
      best = v;
      arg = y;
    }
  }
  path[T - 1] = arg;
  for (let t = T - 1; t > 0; t--) path[t - 1] = back[t * K + path[t]];
  return path;
}

