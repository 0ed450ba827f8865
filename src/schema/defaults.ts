/**
 * Defaults from a schema's `default` keywords: the one place a config's defaults are written is its schema.
 */
import type { JsonSchema } from './validate.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A copy of `value` (valid against `schema`) with every missing property that has a `default` set to a copy of it;
 * a missing object property without one is filled from its own properties' defaults. The schema's properties come
 * first, in the schema's order (so JSON.stringify of a filled config is the same however the file ordered it), then
 * any others. Other values are returned as they are.
 */
export function withDefaults<T>(value: T, schema: JsonSchema): T {
  if (schema.items && Array.isArray(value)) return value.map((v) => withDefaults(v, schema.items!)) as T;
  if (!(schema.properties && isObject(value))) return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(schema.properties)) {
    if (value[key] !== undefined) out[key] = withDefaults(value[key], sub);
    else if (sub.default !== undefined) out[key] = structuredClone(sub.default);
    else if (sub.properties) out[key] = withDefaults({}, sub);
  }
  for (const [key, v] of Object.entries(value)) if (!Object.hasOwn(out, key) && v !== undefined) out[key] = v;
  return out as T;
}

/** The object `schema`'s defaults describe (withDefaults of an empty object). */
export function defaultsOf(schema: JsonSchema): Record<string, unknown> {
  return withDefaults({}, schema);
}
