/** Small helpers of the retraining job's files (not exported from ./index.js). */

/** How a value is named in an error message: 'null', 'an empty array', 'a string', 'number'… (never the value). */
export function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  if (typeof v === 'string') return v === '' ? 'an empty string' : 'a string';
  return typeof v;
}

/** A copy of `o` whose keys (and those of nested plain objects) are sorted: a stable JSON form. */
export function sortKeys<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    const v = (o as Record<string, unknown>)[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? sortKeys(v as object) : v;
  }
  return out as T;
}
