/**
 * The linear-chain CRF's probabilities on the host side (f64, plain loops): the scaled forward–backward lattice of
 * one sentence, the probability of one entity span under conlleval decoding, and per-tag marginals. The tagger
 * (src/tagger.ts) turns them into entity scores; decoding (Viterbi, k-best) runs in the kernels (network.ts).
 *
 * Entity score: the model's probability that the text holds exactly this entity — P(y_s = B-X, or y_s = I-X
 * after a non-X tag; y_{s+1..e-1} = I-X; y_e ≠ I-X), i.e. the probability mass of all tag paths whose
 * conlleval decoding contains the span [s, e) with type X. For crf=false models the same formula runs over the
 * per-step softmax (zero transitions).
 *
 * Shapes: T tokens, K tags; emissions [T × K] row-major, trans [K × K] (from × to), start/end [K].
 */

/** CRF parameters of a model (crf=false: zero transitions over log-softmax emissions). */
export interface CrfParams {
  crf: boolean;
  K: number;
  trans: Float64Array; // [K × K]
  start: Float64Array; // [K]
  end: Float64Array; // [K]
}

/**
 * The forward–backward lattice of one sentence, scaled (Rabiner): the forward values are
 * alpha[t, y] = log Σ_{paths y_0..y_t = y} exp(score) = log(aHat[t, y]) + aLog[t], the backward values
 * beta[t, y] = log Σ_{continuations after t | y_t = y} exp(score, end included) = log(bHat[t, y]) + bLog[t].
 * Each row of aHat and bHat sums to 1, so nothing overflows or underflows for any sentence length.
 */
export interface Lattice {
  T: number;
  K: number;
  p: CrfParams;
  /** log potentials (the emissions, or their log-softmax for crf=false)  [T × K] */
  em: Float64Array;
  /** exp(trans - transMax)  [K × K] */
  expTrans: Float64Array;
  transMax: number;
  aHat: Float64Array; // [T × K]
  aLog: Float64Array; // [T]
  bHat: Float64Array; // [T × K]
  bLog: Float64Array; // [T]
  logZ: number;
}

/** exp(trans − max trans) of a CrfParams, computed once per params object (a model's CRF never changes). */
const expTransCache = new WeakMap<CrfParams, { expTrans: Float64Array; transMax: number }>();

function expTransOf(p: CrfParams): { expTrans: Float64Array; transMax: number } {
  let e = expTransCache.get(p);
  if (e === undefined || e.expTrans.length !== p.K * p.K) {
    const n = p.K * p.K;
    let transMax = -Infinity;
    for (let i = 0; i < n; i++) transMax = Math.max(transMax, p.trans[i]);
    const expTrans = new Float64Array(n); // [K × K]
    for (let i = 0; i < n; i++) expTrans[i] = Math.exp(p.trans[i] - transMax);
    e = { expTrans, transMax };
    expTransCache.set(p, e);
  }
  return e;
}

/** Forward–backward over one emission matrix [T × K] (T ≥ 1). */
export function forwardBackward(em32: Float32Array, T: number, p: CrfParams): Lattice {
  const K = p.K;
  if (!Number.isInteger(T) || T < 1 || em32.length !== T * K) {
    throw new RangeError(`forwardBackward: expected T ≥ 1 and T × K = ${T} × ${K} emissions, got ${em32.length}`);
  }
  // one allocation for the lattice and its scratch
  const TK = T * K;
  const buf = new Float64Array(4 * TK + 3 * T);
  const em = buf.subarray(0, TK); // [T × K]
  const psi = buf.subarray(TK, 2 * TK); // exp(em - rowMax)  [T × K]
  const aHat = buf.subarray(2 * TK, 3 * TK); // [T × K]
  const bHat = buf.subarray(3 * TK, 4 * TK); // [T × K]
  const rowMax = buf.subarray(4 * TK, 4 * TK + T); // [T]
  const aLog = buf.subarray(4 * TK + T, 4 * TK + 2 * T); // [T]
  const bLog = buf.subarray(4 * TK + 2 * T); // [T]
  for (let t = 0, o = 0; t < T; t++, o += K) {
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = Math.max(m, (em[o + y] = em32[o + y]));
    if (!p.crf) {
      // log-softmax: em -= m + log Σ exp(em − m); the row maximum becomes −log Σ exp(em − m)
      let z = 0;
      for (let y = 0; y < K; y++) z += Math.exp(em[o + y] - m);
      const lse = m + Math.log(z);
      for (let y = 0; y < K; y++) em[o + y] -= lse;
      m -= lse;
    }
    rowMax[t] = m;
    // psi of row 0 is never read (the forward starts from start + em); exp(0) is exactly 1
    if (t > 0) for (let y = 0; y < K; y++) psi[o + y] = em[o + y] === m ? 1 : Math.exp(em[o + y] - m);
  }
  const { expTrans, transMax } = expTransOf(p);
  // forward
  {
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = Math.max(m, p.start[y] + em[y]);
    let c = 0;
    for (let y = 0; y < K; y++) c += aHat[y] = Math.exp(p.start[y] + em[y] - m);
    for (let y = 0; y < K; y++) aHat[y] /= c;
    aLog[0] = m + Math.log(c);
  }
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * K;
    const cur = t * K;
    let c = 0;
    let y = 0;
    // four tags at a time: four independent sums (each still over x in order, so the results are the same bits)
    for (; y + 4 <= K; y += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let x = 0, xy = y; x < K; x++, xy += K) {
        const a = aHat[prev + x];
        s0 += a * expTrans[xy];
        s1 += a * expTrans[xy + 1];
        s2 += a * expTrans[xy + 2];
        s3 += a * expTrans[xy + 3];
      }
      c += aHat[cur + y] = s0 * psi[cur + y];
      c += aHat[cur + y + 1] = s1 * psi[cur + y + 1];
      c += aHat[cur + y + 2] = s2 * psi[cur + y + 2];
      c += aHat[cur + y + 3] = s3 * psi[cur + y + 3];
    }
    for (; y < K; y++) {
      let s = 0;
      for (let x = 0, xy = y; x < K; x++, xy += K) s += aHat[prev + x] * expTrans[xy];
      c += aHat[cur + y] = s * psi[cur + y];
    }
    for (let y = 0; y < K; y++) aHat[cur + y] /= c;
    aLog[t] = aLog[t - 1] + transMax + rowMax[t] + Math.log(c);
  }
  // backward
  {
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = Math.max(m, p.end[y]);
    const last = (T - 1) * K;
    let c = 0;
    for (let y = 0; y < K; y++) c += bHat[last + y] = Math.exp(p.end[y] - m);
    for (let y = 0; y < K; y++) bHat[last + y] /= c;
    bLog[T - 1] = m + Math.log(c);
  }
  for (let t = T - 2; t >= 0; t--) {
    const next = (t + 1) * K;
    const cur = t * K;
    let c = 0;
    let y = 0;
    for (; y + 4 <= K; y += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let x = 0, yx = y * K; x < K; x++, yx++) {
        const px = psi[next + x];
        const bx = bHat[next + x];
        s0 += expTrans[yx] * px * bx;
        s1 += expTrans[yx + K] * px * bx;
        s2 += expTrans[yx + 2 * K] * px * bx;
        s3 += expTrans[yx + 3 * K] * px * bx;
      }
      c += bHat[cur + y] = s0;
      c += bHat[cur + y + 1] = s1;
      c += bHat[cur + y + 2] = s2;
      c += bHat[cur + y + 3] = s3;
    }
    for (; y < K; y++) {
      let s = 0;
      for (let x = 0, yx = y * K; x < K; x++, yx++) s += expTrans[yx] * psi[next + x] * bHat[next + x];
      c += bHat[cur + y] = s;
    }
    for (let y = 0; y < K; y++) bHat[cur + y] /= c;
    bLog[t] = bLog[t + 1] + transMax + rowMax[t + 1] + Math.log(c);
  }
  // log Z = log Σ_y alpha[T-1, y] + end[y]
  let z = 0;
  let endMax = -Infinity;
  for (let y = 0; y < K; y++) endMax = Math.max(endMax, p.end[y]);
  for (let y = 0; y < K; y++) z += aHat[(T - 1) * K + y] * Math.exp(p.end[y] - endMax);
  const logZ = aLog[T - 1] + endMax + Math.log(z);
  return { T, K, p, em, expTrans, transMax, aHat, aLog, bHat, bLog, logZ };
}

/**
 * log P(the conlleval decoding contains exactly the entity [s, e) with tags B = bId, I = iId), see the
 * file comment. 0 ≤ s < e ≤ T.
 */
export function entityLogProb(lat: Lattice, s: number, e: number, bId: number, iId: number): number {
  const { K, em, expTrans, transMax, aHat, aLog, bHat, bLog, p } = lat;
  const trans = p.trans;
  // at s: B-X, or I-X whose previous tag is not of type X
  let vB = Math.log(aHat[s * K + bId]) + aLog[s];
  let vI: number;
  if (s === 0) vI = p.start[iId] + em[iId];
  else {
    let sum = 0;
    for (let x = 0; x < K; x++) if (x !== bId && x !== iId) sum += aHat[(s - 1) * K + x] * expTrans[x * K + iId];
    vI = Math.log(sum) + transMax + aLog[s - 1] + em[s * K + iId];
  }
  // inside: I-X
  for (let t = s + 1; t < e; t++) {
    vI = logAdd(vB + trans[bId * K + iId], vI + trans[iId * K + iId]) + em[t * K + iId];
    vB = -Infinity;
  }
  // after: anything but I-X, or the end of the sentence
  const close = (last: number): number => {
    if (e === lat.T) return p.end[last];
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = Math.max(m, em[e * K + y]);
    let sum = 0;
    for (let y = 0; y < K; y++) {
      if (y !== iId) sum += expTrans[last * K + y] * Math.exp(em[e * K + y] - m) * bHat[e * K + y];
    }
    return Math.log(sum) + transMax + m + bLog[e];
  };
  const total = logAdd(vB === -Infinity ? -Infinity : vB + close(bId), vI + close(iId));
  return Math.min(0, total - lat.logZ);
}

/** log P(y_t = y) from a lattice. */
export function logMarginal(lat: Lattice, t: number, y: number): number {
  const i = t * lat.K + y;
  return Math.min(0, Math.log(lat.aHat[i] * lat.bHat[i]) + lat.aLog[t] + lat.bLog[t] - lat.logZ);
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * The `keep` best ways to take one entry from each list, by the sum of their log-probabilities, best first (ties: in
 * the order of the lists' entries); `picks[i]` is the entry taken from list i. Each list is sorted best first. For
 * independent parts (the sentences of a text, the windows of a sentence) this is the k-best of the whole: the top k
 * of a sum only use top-k prefixes of its parts, so every round keeps `keep` partial sums. No lists: one empty pick.
 */
export function combineKBest(
  lists: readonly (readonly number[])[],
  keep: number,
): { logProb: number; picks: number[] }[] {
  if (!(Number.isInteger(keep) && keep >= 1)) throw new RangeError(`combineKBest: expected keep ≥ 1, got ${keep}`);
  type Pick = { pick: number; prev: Pick | null };
  let combos: { logProb: number; node: Pick | null }[] = [{ logProb: 0, node: null }];
  for (const list of lists) {
    const next: typeof combos = [];
    for (const c of combos)
      list.forEach((logProb, pick) => next.push({ logProb: c.logProb + logProb, node: { pick, prev: c.node } }));
    next.sort((a, b) => b.logProb - a.logProb);
    combos = next.slice(0, keep);
  }
  return combos.map((c) => {
    const picks: number[] = [];
    for (let n = c.node; n !== null; n = n.prev) picks.push(n.pick);
    return { logProb: c.logProb, picks: picks.reverse() };
  });
}
