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
 *
 * The tagger builds its lattices on the kernels (forwardBackwardKernels, assembly/crf.ts `lattice`); forwardBackward
 * here is the reference the kernel is tested against.
 */

import type { Kernels } from './kernels.js';

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
 *
 * A lattice built for some spans (forwardBackward's `spans`) holds only the rows their scores read: the forward
 * rows t ≤ alphaTo and the backward rows t ≥ betaFrom (alphaTo ≥ betaFrom; the other rows stay 0). A full
 * lattice has alphaTo = T − 1 and betaFrom = 0.
 */
export interface Lattice {
  T: number;
  K: number;
  p: CrfParams;
  /** log potentials: the emissions themselves, or their log-softmax for crf=false  [T × K] */
  em: Float32Array | Float64Array;
  /** exp(trans - transMax)  [K × K] */
  expTrans: Float64Array;
  transMax: number;
  aHat: Float64Array; // [T × K]
  aLog: Float64Array; // [T]
  bHat: Float64Array; // [T × K]
  bLog: Float64Array; // [T]
  logZ: number;
  /** the last forward row computed */
  alphaTo: number;
  /** the first backward row computed */
  betaFrom: number;
}

/**
 * exp(trans − max trans) of a CrfParams, computed once per params object (a model's CRF never changes): [K × K],
 * and the same zero-padded to K4 × K4 (K4 = K rounded up to a multiple of 4) for the lattice's loops, which take
 * four tags at a time with no remainder loop (the padding adds exact zeros).
 */
interface ExpTrans {
  expTrans: Float64Array; // [K × K]
  transMax: number;
  K4: number;
  padded: Float64Array; // [K4 × K4]
}
const expTransCache = new WeakMap<CrfParams, ExpTrans>();

function expTransOf(p: CrfParams): ExpTrans {
  let e = expTransCache.get(p);
  if (e === undefined || e.expTrans.length !== p.K * p.K) {
    const K = p.K;
    let transMax = -Infinity;
    for (let i = 0; i < K * K; i++) transMax = Math.max(transMax, p.trans[i]);
    const expTrans = new Float64Array(K * K); // [K × K]
    for (let i = 0; i < K * K; i++) expTrans[i] = Math.exp(p.trans[i] - transMax);
    const K4 = (K + 3) & ~3;
    const padded = new Float64Array(K4 * K4); // [K4 × K4]
    for (let x = 0; x < K; x++) for (let y = 0; y < K; y++) padded[x * K4 + y] = expTrans[x * K + y];
    e = { expTrans, transMax, K4, padded };
    expTransCache.set(p, e);
  }
  return e;
}

/**
 * Scratch of forwardBackward that no lattice keeps (psi, the row maxima, one row of products), reused from call to
 * call up to SCRATCH_KEEP numbers; a longer sentence gets its own for the call.
 */
const SCRATCH_KEEP = 1 << 16;
let scratch = new Float64Array(0);

/**
 * Forward–backward over one emission matrix [T × K] (T ≥ 1). With `spans` (token ranges [start, end) of the entities
 * to be scored, 0 ≤ start < end ≤ T), only the rows their scores need: the forward up to the last start, the
 * backward down to the first end, each carried on until they meet, where log Z is taken; with no spans ([]) the
 * forward alone (log Z for k-best). Without `spans`, the whole lattice.
 */
export function forwardBackward(
  em32: Float32Array,
  T: number,
  p: CrfParams,
  spans?: readonly { start: number; end: number }[],
): Lattice {
  const K = p.K;
  const { alphaTo, betaFrom } = latticeRows('forwardBackward', em32, T, K, spans);
  const TK = T * K;
  // the lattice: one allocation (plus the log-softmax of the emissions for crf=false)
  const { aHat, bHat, aLog, bLog, em } = latticeViews(new Float64Array(latticeNumbers(T, p)), T, p, em32);
  // the scratch: psi = exp(em − rowMax) [T × K], rowMax [T], v [K]
  const need = TK + T + K;
  if (scratch.length < need && need <= SCRATCH_KEEP) scratch = new Float64Array(SCRATCH_KEEP);
  const work = scratch.length >= need ? scratch : new Float64Array(need);
  const psi = work.subarray(0, TK);
  const rowMax = work.subarray(TK, TK + T);
  const v = work.subarray(TK + T, need);
  for (let t = 0, o = 0; t < T; t++, o += K) {
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = Math.max(m, em32[o + y]);
    if (!p.crf) {
      // log-softmax: em = em32 − (m + log Σ exp(em32 − m)); the row maximum becomes −log Σ exp(em32 − m)
      let z = 0;
      for (let y = 0; y < K; y++) z += Math.exp(em32[o + y] - m);
      const lse = m + Math.log(z);
      for (let y = 0; y < K; y++) em[o + y] = em32[o + y] - lse;
      m -= lse;
    }
    rowMax[t] = m;
    // psi of row 0 is never read (the forward starts from start + em); exp(0) is exactly 1
    if (t > 0) for (let y = 0; y < K; y++) psi[o + y] = em[o + y] === m ? 1 : Math.exp(em[o + y] - m);
  }
  const { expTrans, transMax, K4, padded } = expTransOf(p);
  // forward: aHat[t] ∝ psi[t] ⊙ (aHat[t−1] · expTrans), four tags at a time (four independent sums, each over x in
  // order; the padded tags y ≥ K come out 0 and are not stored)
  {
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = Math.max(m, p.start[y] + em[y]);
    let c = 0;
    for (let y = 0; y < K; y++) c += aHat[y] = Math.exp(p.start[y] + em[y] - m);
    for (let y = 0; y < K; y++) aHat[y] /= c;
    aLog[0] = m + Math.log(c);
  }
  for (let t = 1; t <= alphaTo; t++) {
    const prev = (t - 1) * K;
    const cur = t * K;
    let c = 0;
    for (let y = 0; y < K; y += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let x = 0, xy = y; x < K; x++, xy += K4) {
        const a = aHat[prev + x];
        s0 += a * padded[xy];
        s1 += a * padded[xy + 1];
        s2 += a * padded[xy + 2];
        s3 += a * padded[xy + 3];
      }
      c += aHat[cur + y] = s0 * psi[cur + y];
      if (y + 1 < K) c += aHat[cur + y + 1] = s1 * psi[cur + y + 1];
      if (y + 2 < K) c += aHat[cur + y + 2] = s2 * psi[cur + y + 2];
      if (y + 3 < K) c += aHat[cur + y + 3] = s3 * psi[cur + y + 3];
    }
    const inv = 1 / c;
    for (let y = 0; y < K; y++) aHat[cur + y] *= inv;
    aLog[t] = aLog[t - 1] + transMax + rowMax[t] + Math.log(c);
  }
  // backward: bHat[t] ∝ expTrans · (psi[t+1] ⊙ bHat[t+1]), four tags at a time
  {
    let m = -Infinity;
    for (let y = 0; y < K; y++) m = Math.max(m, p.end[y]);
    const last = (T - 1) * K;
    let c = 0;
    for (let y = 0; y < K; y++) c += bHat[last + y] = Math.exp(p.end[y] - m);
    for (let y = 0; y < K; y++) bHat[last + y] /= c;
    bLog[T - 1] = m + Math.log(c);
  }
  for (let t = T - 2; t >= betaFrom; t--) {
    const next = (t + 1) * K;
    const cur = t * K;
    for (let x = 0; x < K; x++) v[x] = psi[next + x] * bHat[next + x];
    let c = 0;
    for (let y = 0; y < K; y += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let x = 0, yx = y * K4; x < K; x++, yx++) {
        const vx = v[x];
        s0 += padded[yx] * vx;
        s1 += padded[yx + K4] * vx;
        s2 += padded[yx + 2 * K4] * vx;
        s3 += padded[yx + 3 * K4] * vx;
      }
      c += bHat[cur + y] = s0;
      if (y + 1 < K) c += bHat[cur + y + 1] = s1;
      if (y + 2 < K) c += bHat[cur + y + 2] = s2;
      if (y + 3 < K) c += bHat[cur + y + 3] = s3;
    }
    const inv = 1 / c;
    for (let y = 0; y < K; y++) bHat[cur + y] *= inv;
    bLog[t] = bLog[t + 1] + transMax + rowMax[t + 1] + Math.log(c);
  }
  // log Z: at the end, Σ_y alpha[T-1, y] + end[y]; where the passes meet earlier, Σ_y alpha[t, y] + beta[t, y]
  let logZ: number;
  if (alphaTo === T - 1) {
    let z = 0;
    let endMax = -Infinity;
    for (let y = 0; y < K; y++) endMax = Math.max(endMax, p.end[y]);
    for (let y = 0; y < K; y++) z += aHat[(T - 1) * K + y] * Math.exp(p.end[y] - endMax);
    logZ = aLog[T - 1] + endMax + Math.log(z);
  } else {
    let z = 0;
    for (let y = 0, o = alphaTo * K; y < K; y++) z += aHat[o + y] * bHat[o + y];
    logZ = aLog[alphaTo] + bLog[alphaTo] + Math.log(z);
  }
  return { T, K, p, em, expTrans, transMax, aHat, aLog, bHat, bLog, logZ, alphaTo, betaFrom };
}

/**
 * Checks forwardBackward's arguments and gives the rows to compute: forward 0..alphaTo, backward betaFrom..T−1,
 * alphaTo ≥ betaFrom (see forwardBackward).
 */
function latticeRows(
  who: string,
  em32: Float32Array,
  T: number,
  K: number,
  spans: readonly { start: number; end: number }[] | undefined,
): { alphaTo: number; betaFrom: number } {
  if (!Number.isInteger(T) || T < 1 || em32.length !== T * K) {
    throw new RangeError(`${who}: expected T ≥ 1 and T × K = ${T} × ${K} emissions, got ${em32.length}`);
  }
  if (spans === undefined) return { alphaTo: T - 1, betaFrom: 0 };
  let lastStart = 0;
  let betaFrom = T - 1;
  for (const s of spans) {
    if (!(Number.isInteger(s.start) && Number.isInteger(s.end) && 0 <= s.start && s.start < s.end && s.end <= T)) {
      throw new RangeError(`${who}: expected spans with 0 ≤ start < end ≤ ${T}, got [${s.start}, ${s.end})`);
    }
    lastStart = Math.max(lastStart, s.start);
    betaFrom = Math.min(betaFrom, s.end);
  }
  return { alphaTo: Math.max(lastStart, betaFrom), betaFrom };
}

/** A CrfParams in a kernels' memory, for `lattice`: pointers to et, ett f64 [K4 × K4], start, end f64 [K]. */
interface KernelCrf {
  et: number;
  ett: number;
  start: number;
  end: number;
}
const kernelCrfCache = new WeakMap<Kernels, WeakMap<CrfParams, KernelCrf>>();

/**
 * The CRF parameters copied into the kernels' memory once per (kernels, params). They stay for the kernels' life:
 * the first call must not come between a mark() and its reset() (the tagger calls it only between network calls).
 */
function kernelCrfOf(k: Kernels, p: CrfParams): KernelCrf {
  let byParams = kernelCrfCache.get(k);
  if (byParams === undefined) kernelCrfCache.set(k, (byParams = new WeakMap()));
  let c = byParams.get(p);
  if (c === undefined) {
    const { K4, padded } = expTransOf(p);
    const transposed = new Float64Array(K4 * K4); // [K4 × K4]
    for (let x = 0; x < K4; x++) for (let y = 0; y < K4; y++) transposed[y * K4 + x] = padded[x * K4 + y];
    c = { et: k.allocCopy(padded), ett: k.allocCopy(transposed), start: k.allocCopy(p.start), end: k.allocCopy(p.end) };
    byParams.set(p, c);
  }
  return c;
}

/**
 * forwardBackward on the wasm kernels (assembly/crf.ts `lattice`): the same lattice, the same arithmetic in the same
 * order (f64, four tags at a time), so it differs from forwardBackward only where the kernels' exp and log round
 * differently from Math.exp and Math.log (≤ 1 ulp each). Same arguments and contract (`spans`: only the rows their
 * scores need). The lattice is copied out of wasm memory: into a new buffer, or with `into` (at least
 * latticeNumbers(T, p) numbers) into that one, whose views it then holds (valid while the caller leaves `into` alone:
 * a scratch reused from sentence to sentence).
 */
export function forwardBackwardKernels(
  k: Kernels,
  em32: Float32Array,
  T: number,
  p: CrfParams,
  spans?: readonly { start: number; end: number }[],
  into?: Float64Array,
): Lattice {
  const K = p.K;
  const { alphaTo, betaFrom } = latticeRows('forwardBackwardKernels', em32, T, K, spans);
  const { expTrans, transMax } = expTransOf(p);
  const c = kernelCrfOf(k, p);
  const n = latticeNumbers(T, p); // aHat | bHat | aLog | bLog (| log-softmax potentials)
  if (into !== undefined && into.length < n) {
    throw new RangeError(`forwardBackwardKernels: into holds ${into.length} numbers, the lattice needs ${n}`);
  }
  const mark = k.mark();
  let buf: Float64Array;
  let logZ: number;
  try {
    const em = k.allocCopy(em32);
    const work = k.alloc(k.exports.lattice_work_bytes(T, K) >>> 0);
    const out = k.alloc(8 * n);
    const crf = p.crf ? 0 : 1;
    logZ = k.exports.lattice(em, T, K, c.et, c.ett, transMax, c.start, c.end, crf, alphaTo, betaFrom, out, work);
    if (into === undefined) buf = k.f64(out, n).slice();
    else {
      into.set(k.f64(out, n));
      buf = into;
    }
  } finally {
    k.reset(mark);
  }
  return { T, K, p, expTrans, transMax, logZ, alphaTo, betaFrom, ...latticeViews(buf, T, p, em32) };
}

/**
 * A lattice's numbers laid out in `buf` (latticeNumbers(T, p) of them): aHat [T × K] | bHat [T × K] | aLog [T] |
 * bLog [T] (| the log-softmax potentials [T × K] for crf=false, else em is the emissions themselves).
 */
function latticeViews(
  buf: Float64Array,
  T: number,
  p: CrfParams,
  em32: Float32Array,
): Pick<Lattice, 'aHat' | 'bHat' | 'aLog' | 'bLog' | 'em'> {
  const TK = T * p.K;
  return {
    aHat: buf.subarray(0, TK),
    bHat: buf.subarray(TK, 2 * TK),
    aLog: buf.subarray(2 * TK, 2 * TK + T),
    bLog: buf.subarray(2 * TK + T, 2 * TK + 2 * T),
    em: p.crf ? em32 : buf.subarray(2 * TK + 2 * T, 3 * TK + 2 * T),
  };
}

/** How many f64 numbers a lattice of T tokens holds (forwardBackwardKernels' `into`): 2TK + 2T, plus TK for crf=false. */
export function latticeNumbers(T: number, p: CrfParams): number {
  return 2 * T * p.K + 2 * T + (p.crf ? 0 : T * p.K);
}

/**
 * log P(the conlleval decoding contains exactly the entity [s, e) with tags B = bId, I = iId), see the
 * file comment. 0 ≤ s < e ≤ T.
 */
export function entityLogProb(lat: Lattice, s: number, e: number, bId: number, iId: number): number {
  if (s > lat.alphaTo || (e < lat.T && e < lat.betaFrom)) {
    throw new RangeError(
      `entityLogProb: the lattice holds rows ..${lat.alphaTo} forward and ${lat.betaFrom}.. backward, not the span [${s}, ${e})`,
    );
  }
  const { K, em, expTrans, transMax, aHat, aLog, p } = lat;
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
  const total = logAdd(vB === -Infinity ? -Infinity : vB + logClose(lat, e, bId, iId), vI + logClose(lat, e, iId, iId));
  return Math.min(0, total - lat.logZ);
}

/**
 * entityLogProb's end of an entity [s, e) whose last tag is `last`: log Σ over what follows — the end of the sentence
 * (e = T), or a tag at e other than I-X (iId) with its transition, potential and backward value.
 */
function logClose(lat: Lattice, e: number, last: number, iId: number): number {
  const { K, em, expTrans, transMax, bHat, bLog, p } = lat;
  if (e === lat.T) return p.end[last];
  let m = -Infinity;
  for (let y = 0; y < K; y++) m = Math.max(m, em[e * K + y]);
  let sum = 0;
  for (let y = 0; y < K; y++) {
    if (y !== iId) sum += expTrans[last * K + y] * Math.exp(em[e * K + y] - m) * bHat[e * K + y];
  }
  return Math.log(sum) + transMax + m + bLog[e];
}

/** log P(y_t = y) from a lattice. */
export function logMarginal(lat: Lattice, t: number, y: number): number {
  if (t > lat.alphaTo || t < lat.betaFrom) {
    throw new RangeError(
      `logMarginal: the lattice holds rows ..${lat.alphaTo} forward and ${lat.betaFrom}.. backward, not row ${t}`,
    );
  }
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
