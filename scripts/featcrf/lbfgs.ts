/**
 * Limited-memory BFGS (two-loop recursion) with a backtracking line search on the Armijo condition.
 * Minimises a smooth function; deterministic. Pairs with s·y ≤ 0 are not stored (keeps H positive definite).
 */

/** Returns f(x) and writes ∇f(x) into grad (overwrite, not add). */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** iterations (accepted steps) at most; default 100 */
  maxIterations?: number;
  /** history pairs kept; default 10 */
  memory?: number;
  /** stop when ‖g‖ / max(1, ‖x‖) falls below this; default 1e-5 */
  gradTolerance?: number;
  /** stop when the relative decrease of f over the last `window` iterations is below this; default 1e-6 */
  relTolerance?: number;
  /** iterations over which relTolerance is measured; default 5 */
  window?: number;
  /** called after each accepted step; return true to stop */
  onIteration?: (iteration: number, x: Float64Array, fx: number) => boolean | void;
}

export interface LbfgsResult {
  x: Float64Array;
  fx: number;
  iterations: number;
  evaluations: number;
  reason: 'max-iterations' | 'gradient' | 'converged' | 'line-search' | 'stopped';
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function lbfgs(f: Objective, x0: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const maxIter = opts.maxIterations ?? 100;
  const m = opts.memory ?? 10;
  const gtol = opts.gradTolerance ?? 1e-5;
  const rtol = opts.relTolerance ?? 1e-6;
  const window = opts.window ?? 5;
  if (!(maxIter >= 0) || !(m >= 1)) throw new Error(`lbfgs: expected maxIterations >= 0 and memory >= 1, got ${maxIter}, ${m}`);

  const x = Float64Array.from(x0); // [n]
  const g = new Float64Array(n); // [n]
  const xNew = new Float64Array(n); // [n]
  const gNew = new Float64Array(n); // [n]
  const d = new Float64Array(n); // [n] search direction
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alphaBuf = new Float64Array(m + 1);
  let sTmp: Float64Array = new Float64Array(n); // [n] spare buffers for the next pair
  let yTmp: Float64Array = new Float64Array(n); // [n]

  let fx = f(x, g);
  let evaluations = 1;
  const history: number[] = [fx];
  if (!Number.isFinite(fx)) throw new Error(`lbfgs: objective is not finite at the start (${fx})`);

  for (let iter = 1; iter <= maxIter; iter++) {
    const gnorm = Math.sqrt(dot(g, g));
    const xnorm = Math.sqrt(dot(x, x));
    if (gnorm / Math.max(1, xnorm) < gtol) return { x, fx, iterations: iter - 1, evaluations, reason: 'gradient' };

    // two-loop recursion: d = −H g
    d.set(g);
    const k = S.length;
    for (let i = k - 1; i >= 0; i--) {
      const a = rho[i] * dot(S[i], d);
      alphaBuf[i] = a;
      const y = Y[i];
      for (let j = 0; j < n; j++) d[j] -= a * y[j];
    }
    if (k > 0) {
      const gamma = dot(S[k - 1], Y[k - 1]) / dot(Y[k - 1], Y[k - 1]);
      for (let j = 0; j < n; j++) d[j] *= gamma;
    }
    for (let i = 0; i < k; i++) {
      const beta = rho[i] * dot(Y[i], d);
      const s = S[i];
      const c = alphaBuf[i] - beta;
      for (let j = 0; j < n; j++) d[j] += c * s[j];
    }
    for (let j = 0; j < n; j++) d[j] = -d[j];
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // not a descent direction: restart from steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let j = 0; j < n; j++) d[j] = -g[j];
      slope = -gnorm * gnorm;
    }

    // backtracking line search (Armijo)
    let step = S.length === 0 ? Math.min(1, 1 / gnorm) : 1;
    let fNew = Infinity;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let j = 0; j < n; j++) xNew[j] = x[j] + step * d[j];
      fNew = f(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return { x, fx, iterations: iter - 1, evaluations, reason: 'line-search' };

    // history update: compute the pair into the spare buffers, then swap them into the history
    for (let j = 0; j < n; j++) {
      sTmp[j] = xNew[j] - x[j];
      yTmp[j] = gNew[j] - g[j];
    }
    const sy = dot(sTmp, yTmp);
    if (sy > 1e-10) {
      S.push(sTmp);
      Y.push(yTmp);
      rho.push(1 / sy);
      if (S.length > m) {
        sTmp = S.shift()!;
        yTmp = Y.shift()!;
        rho.shift();
      } else {
        sTmp = new Float64Array(n);
        yTmp = new Float64Array(n);
      }
    }
    x.set(xNew);
    g.set(gNew);
    fx = fNew;
    history.push(fx);

    if (opts.onIteration?.(iter, x, fx)) return { x, fx, iterations: iter, evaluations, reason: 'stopped' };
    if (history.length > window) {
      const old = history[history.length - 1 - window];
      if ((old - fx) / Math.max(1, Math.abs(fx)) < rtol) return { x, fx, iterations: iter, evaluations, reason: 'converged' };
    }
  }
  return { x, fx, iterations: maxIter, evaluations, reason: 'max-iterations' };
}
