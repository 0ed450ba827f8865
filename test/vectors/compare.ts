/**
 * Shared test vectors: their file format and an exact comparison (platform-neutral; used by the Node, browser
 * and Worker tests).
 */
import type { TagOptions, TagResult } from '../../src/tagger.js';

export interface VectorCase {
  name: string;
  text: string;
  options: TagOptions;
  expected: TagResult;
}

export interface VectorFile {
  version: 1;
  /** the model the expectations were produced with: its file (relative to the project root) and SHA-256 */
  model: { file: string; sha256: string; name: string; version: string };
  generatedBy: string;
  cases: VectorCase[];
}

export interface DiffOptions {
  /**
   * Relative tolerance for the probabilities (`score`, `logProb` — computed in JavaScript with Math.exp/log,
   * whose last bits differ between V8 versions: Node 20 vs Chromium/workerd). Default 0: bit for bit.
   * Every other field (types, offsets, texts, corrections, the number and order of entities and paths) is
   * always compared exactly.
   */
  tolerance?: number;
}

/** Tolerance for comparing probabilities across JavaScript engines (see DiffOptions). */
export const CROSS_ENGINE_TOLERANCE = 1e-9;

const PROBABILITY_KEYS = new Set(['score', 'logProb']);

/**
 * Differences between a result and the expected one, as short messages naming the case, the path and the two
 * values (entity text as lengths, not raw).
 */
export function diffResult(name: string, actual: unknown, expected: unknown, options: DiffOptions = {}): string[] {
  const out: string[] = [];
  const tolerance = options.tolerance ?? 0;
  const walk = (a: unknown, e: unknown, path: string) => {
    if (out.length >= 20) return;
    if (typeof e === 'number' || typeof a === 'number') {
      const key = path.slice(path.lastIndexOf('.') + 1);
      const close =
        tolerance > 0 && PROBABILITY_KEYS.has(key) && typeof a === 'number' && typeof e === 'number' && Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e));
      if (!Object.is(a, e) && !close) out.push(`${name}: ${path}: got ${String(a)}, expected ${String(e)}`);
      return;
    }
    if (typeof e === 'string' || typeof a === 'string') {
      if (a !== e) out.push(`${name}: ${path}: strings differ (got length ${typeof a === 'string' ? a.length : typeof a}, expected length ${(e as string).length})`);
      return;
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(a)) return void out.push(`${name}: ${path}: expected an array, got ${typeof a}`);
      if (a.length !== e.length) out.push(`${name}: ${path}: got ${a.length} items, expected ${e.length}`);
      for (let i = 0; i < Math.min(a.length, e.length); i++) walk(a[i], e[i], `${path}[${i}]`);
      return;
    }
    if (e !== null && typeof e === 'object') {
      if (a === null || typeof a !== 'object' || Array.isArray(a)) return void out.push(`${name}: ${path}: expected an object`);
      const keys = new Set([...Object.keys(e), ...Object.keys(a as object)]);
      for (const k of keys) {
        const ak = (a as Record<string, unknown>)[k];
        const ek = (e as Record<string, unknown>)[k];
        if (ak === undefined && ek !== undefined) out.push(`${name}: ${path}.${k}: missing`);
        else if (ek === undefined && ak !== undefined) out.push(`${name}: ${path}.${k}: unexpected`);
        else walk(ak, ek, `${path}.${k}`);
      }
      return;
    }
    if (!Object.is(a, e)) out.push(`${name}: ${path}: got ${String(a)}, expected ${String(e)}`);
  };
  walk(actual, expected, 'result');
  return out;
}

/** The largest relative difference of the probabilities of two results of the same shape (0 when identical). */
export function maxProbabilityDifference(actual: unknown, expected: unknown): number {
  let max = 0;
  const walk = (a: unknown, e: unknown, key: string) => {
    if (typeof a === 'number' && typeof e === 'number') {
      if (PROBABILITY_KEYS.has(key) && a !== e) max = Math.max(max, Math.abs(a - e) / Math.max(1e-300, Math.abs(e)));
    } else if (Array.isArray(a) && Array.isArray(e)) {
      for (let i = 0; i < Math.min(a.length, e.length); i++) walk(a[i], e[i], key);
    } else if (a && e && typeof a === 'object' && typeof e === 'object') {
      for (const k of Object.keys(e)) walk((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], k);
    }
  };
  walk(actual, expected, '');
  return max;
}
