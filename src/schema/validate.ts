/**
 * The JSON-Schema subset every schema of cner is written in (the HTTP requests of src/hosts/http/schemas.ts, the
 * training, run and retraining configs), and its one validator.
 *
 * Keywords: type (one or a list), enum, properties, required, additionalProperties (false or a schema),
 * propertyNames, items, minItems, maxItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers, as in
 * JSON Schema 2020-12), minLength, maxLength, pattern; description, default and example annotate; `x-path` marks a
 * string that names a file or folder (paths.ts resolves them).
 *
 * Two styles of report, one walk:
 * - 'request' (a request from anyone): paths start at `$`, no value the caller sent is echoed, an unknown key is
 *   quoted by its first characters only;
 * - 'config' (the operator's own file): paths start at the top (`train.optimizer.lr`, `data[1]`), every issue names
 *   the value found, an unknown or missing field is reported at its own path, with a did-you-mean.
 * Bounded for hostile input: the first `maxIssues` issues are kept and the rest counted, and the names __proto__ /
 * constructor / prototype are refused anywhere.
 */

import { closest } from './did-you-mean.js';

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export type JsonSchema = {
  type?: JsonType | readonly JsonType[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: readonly (string | number | boolean)[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  example?: unknown;
  /** a file or folder name ('path'), or a path or a file:// / s3:// / r2:// URL ('location'); see paths.ts */
  'x-path'?: 'path' | 'location';
};

export interface ValidationIssue {
  path: string;
  message: string;
}

/** What check() found: the first `maxIssues` issues and how many there were in all. */
export interface ValidationResult {
  issues: ValidationIssue[];
  total: number;
}

export interface CheckOptions {
  /** issues kept (default MAX_REPORTED_ISSUES); the rest are counted */
  maxIssues?: number;
  /** 'request' (default) or 'config'; see the top of this file */
  style?: 'request' | 'config';
}

/** Issues kept by default; the rest are only counted ("and N more"). */
const MAX_REPORTED_ISSUES = 10;
/** Property names refused anywhere: they reach Object.prototype's members in careless code. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** In a request an unknown property's name is quoted up to this many characters (the name may be anything). */
const QUOTED_KEY_CHARS = 4;
/** In a config a value found is quoted up to this many characters. */
const QUOTED_VALUE_CHARS = 60;
/** The path of the top level in a config-style report. */
const TOP_LEVEL = '(top level)';

/** The JSON type of a value, integers told apart from other numbers (NaN and ±Infinity are no JSON number). */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : Number.isFinite(v) ? 'number' : String(v);
  return typeof v;
}

function quoteKey(key: string): string {
  const chars = Array.from(key);
  return chars.length <= QUOTED_KEY_CHARS
    ? JSON.stringify(key)
    : `${JSON.stringify(chars.slice(0, QUOTED_KEY_CHARS).join(''))}… (${chars.length} characters)`;
}

/** A value as a config-style issue names it: scalars as JSON (long strings cut), arrays and objects by their type. */
function found(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const json = JSON.stringify(v);
  const chars = Array.from(json);
  return chars.length <= QUOTED_VALUE_CHARS ? json : `${chars.slice(0, QUOTED_VALUE_CHARS).join('')}…`;
}

/**
 * Validates `value` against `schema`. Keeps the first `maxIssues` issues and counts the rest, so the work and the
 * report stay bounded whatever the value holds (the walk never spreads issue lists).
 */
export function check(value: unknown, schema: JsonSchema, options: CheckOptions = {}): ValidationResult {
  const maxIssues = options.maxIssues ?? MAX_REPORTED_ISSUES;
  const config = options.style === 'config';
  const result: ValidationResult = { issues: [], total: 0 };
  const add = (path: string, message: string) => {
    if (result.issues.length < maxIssues) result.issues.push({ path: path === '' ? TOP_LEVEL : path, message });
    result.total++;
  };
  walk(value, schema, config ? '' : '$', config, add);
  return result;
}

/** The first MAX_REPORTED_ISSUES issues of `value` against `schema` in the request style (empty = valid). */
export function validate(value: unknown, schema: JsonSchema): ValidationIssue[] {
  return check(value, schema).issues;
}

/** Throws `${label}: path: message; …` when `value` breaks `schema` (config style: the values found are named). */
export function assertConfig(value: unknown, schema: JsonSchema, label: string): void {
  const result = check(value, schema, { style: 'config' });
  if (result.total > 0) throw new Error(`${label}: ${describeIssues(result)}`);
}

/** One line for an error message: "path: message; …; and N more". */
export function describeIssues(result: ValidationResult): string {
  const parts = result.issues.map((i) => `${i.path}: ${i.message}`);
  if (result.total > result.issues.length) parts.push(`and ${result.total - result.issues.length} more`);
  return parts.join('; ');
}

/** The path of a property below `path` ('' is the top of a config). */
function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function typeMatches(want: JsonType, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

function walk(
  value: unknown,
  schema: JsonSchema,
  path: string,
  config: boolean,
  add: (path: string, message: string) => void,
): void {
  const got = typeOf(value);
  const gotText = config ? found(value) : got;
  if (schema.type !== undefined) {
    const types: readonly JsonType[] = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((t) => typeMatches(t, got))) return add(path, `expected ${types.join(' or ')}, got ${gotText}`);
  }
  const also = config ? `, got ${gotText}` : '';
  if (schema.enum && !schema.enum.includes(value as string)) {
    add(path, `expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}${also}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) add(path, `must be ≥ ${schema.minimum}${also}`);
    if (schema.maximum !== undefined && value > schema.maximum) add(path, `must be ≤ ${schema.maximum}${also}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
      add(path, `must be > ${schema.exclusiveMinimum}${also}`);
    }
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
      add(path, `must be < ${schema.exclusiveMaximum}${also}`);
    }
  }
  if (typeof value === 'string') {
    const length = Array.from(value).length;
    if (schema.minLength !== undefined && length < schema.minLength) {
      add(path, schema.minLength === 1 ? 'must not be empty' : `needs at least ${schema.minLength} characters`);
    }
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      add(path, `has ${length} characters; at most ${schema.maxLength} allowed`);
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      add(path, `expected a string matching /${schema.pattern}/${also}`);
    }
  }
  if (got === 'array') {
    const arr = value as unknown[];
    if (schema.minItems !== undefined && arr.length < schema.minItems) {
      add(path, `needs at least ${schema.minItems} item(s)`);
    }
    if (schema.maxItems !== undefined && arr.length > schema.maxItems) {
      add(path, `has ${arr.length} items; at most ${schema.maxItems} allowed`);
    }
    if (schema.items) for (let i = 0; i < arr.length; i++) walk(arr[i], schema.items, `${path}[${i}]`, config, add);
  }
  if (got === 'object') walkObject(value as Record<string, unknown>, schema, path, config, add);
}

function walkObject(
  obj: Record<string, unknown>,
  schema: JsonSchema,
  path: string,
  config: boolean,
  add: (path: string, message: string) => void,
): void {
  const properties = schema.properties ?? {};
  for (const key of schema.required ?? []) {
    if (Object.hasOwn(obj, key)) continue;
    if (config) add(child(path, key), 'missing (a required field)');
    else add(path, `missing required property "${key}"`);
  }
  const known = Object.keys(properties);
  for (const key of Object.keys(obj)) {
    // a field set to undefined (never in JSON: a partial object built in code) is a field left out
    if (obj[key] === undefined) continue;
    if (FORBIDDEN_KEYS.has(key)) {
      add(path, `property name "${key}" is not allowed`);
      continue;
    }
    if (schema.propertyNames) walk(key, schema.propertyNames, child(path, key), config, add);
    const sub = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (sub) {
      walk(obj[key], sub, child(path, key), config, add);
      continue;
    }
    if (typeof schema.additionalProperties === 'object') {
      walk(obj[key], schema.additionalProperties, child(path, key), config, add);
    } else if (schema.additionalProperties === false) {
      if (!config) add(path, `unknown property ${quoteKey(key)}`);
      else {
        const near = closest(key, known);
        add(child(path, key), `unknown field (${near ? `did you mean "${near}"?` : `known: ${known.join(', ')}`})`);
      }
    }
  }
}
