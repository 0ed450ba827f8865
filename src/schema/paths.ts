/**
 * The fields a schema marks `x-path` (file and folder names; 'location': a path or a URL). The config loaders resolve
 * them with one resolver (src/io/config-file.ts) and docs/config.md lists them, both from the schema.
 */
import type { JsonSchema } from './validate.js';

export type PathKind = NonNullable<JsonSchema['x-path']>;

/** One x-path field: `embeddings.char`, `extraTrain[]` (every item), `data[].path`. */
export interface PathField {
  field: string;
  kind: PathKind;
}

/** Every x-path field of `schema`, in the order the schema lists them. */
export function pathFields(schema: JsonSchema, field = ''): PathField[] {
  const found: PathField[] = schema['x-path'] ? [{ field, kind: schema['x-path'] }] : [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    found.push(...pathFields(sub, field === '' ? key : `${field}.${key}`));
  }
  if (schema.items) found.push(...pathFields(schema.items, `${field}[]`));
  return found;
}

/** A copy of `value` (valid against `schema`) with every non-empty string in an x-path field replaced by `resolve(text, kind)`. */
export function mapPaths<T>(value: T, schema: JsonSchema, resolve: (text: string, kind: PathKind) => string): T {
  // '' names no file (an optional path left empty) and stays ''
  if (typeof value === 'string' && schema['x-path'])
    return (value === '' ? value : resolve(value, schema['x-path'])) as T;
  if (Array.isArray(value)) return (schema.items ? value.map((v) => mapPaths(v, schema.items!, resolve)) : value) as T;
  if (value === null || typeof value !== 'object' || !schema.properties) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, sub] of Object.entries(schema.properties)) {
    if (out[key] !== undefined) out[key] = mapPaths(out[key], sub, resolve);
  }
  return out as T;
}
