/**
 * Request schemas of the tagging API, written once as JSON Schema: the same objects validate requests
 * (validate() below) and describe them in GET /openapi.json (openapi.ts).
 * The validator implements the subset of JSON Schema these schemas use: type, properties, required,
 * additionalProperties: false, items, minItems, maxItems, enum, minimum, maximum.
 * Bounded for hostile input: the first MAX_REPORTED_ISSUES issues are kept and the rest counted, the names
 * __proto__ / constructor / prototype are refused anywhere, and an unknown key is quoted by its first characters only.
 */

export type JsonSchema = {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: readonly (string | number | boolean)[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  example?: unknown;
};

export const tagOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    offsets: { type: 'string', enum: ['utf16', 'codepoint'], default: 'utf16', description: 'Unit of start/end: UTF-16 code units (JavaScript string indices) or Unicode code points.' },
    scores: { type: 'boolean', default: true, description: 'Include each entity\'s probability from the CRF marginals.' },
    kbest: { type: 'integer', minimum: 1, maximum: 10, default: 1, description: 'Return the k best tag paths per document (k > 1).' },
    consistency: { type: 'boolean', default: true, description: 'Apply the consistency check layer (entity → type table from training).' },
  },
};

export const documentSchema: JsonSchema = {
  type: 'object',
  required: ['text'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'Caller\'s id, echoed back.' },
    text: { type: 'string', description: 'Clinical text to tag (any Unicode).' },
  },
};

/** POST /v1/tag: either { text } or { documents: [{ id, text }] }, plus options. */
export const tagRequestSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    text: { type: 'string', description: 'One text to tag. Give either text or documents.' },
    documents: { type: 'array', minItems: 1, items: documentSchema, description: 'Several documents to tag.' },
    options: tagOptionsSchema,
    deadline_ms: {
      type: 'integer',
      minimum: 1,
      maximum: 3_600_000,
      description: 'Answer 504 deadline_exceeded instead of tagging when the request is still waiting for a tagging thread this many ms after it arrived (Node server; a Worker starts at once).',
    },
  },
  example: { text: '患者3月前无明显诱因出现上腹部疼痛，行胃镜检查示慢性胃炎。', options: { scores: true } },
};

export const entitySchema: JsonSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', example: 'BODY' },
    start: { type: 'integer', description: 'Start offset, inclusive.' },
    end: { type: 'integer', description: 'End offset, exclusive.' },
    text: { type: 'string' },
    score: { type: 'number', description: 'Probability of the entity under the CRF (0–1).' },
    corrected: { type: 'boolean', description: 'The consistency check changed its type.' },
  },
};

export const errorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
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

/** Issues kept by default; the rest are only counted ("and N more"). */
export const MAX_REPORTED_ISSUES = 10;
/** Property names refused anywhere in a request: they reach Object.prototype's members in careless code. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** An unknown property's name is quoted up to this many characters (the name may be anything the caller sent). */
const QUOTED_KEY_CHARS = 4;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function quoteKey(key: string): string {
  const chars = Array.from(key);
  return chars.length <= QUOTED_KEY_CHARS ? JSON.stringify(key) : `${JSON.stringify(chars.slice(0, QUOTED_KEY_CHARS).join(''))}… (${chars.length} characters)`;
}

/**
 * Validates `value` against `schema`. Keeps the first `maxIssues` issues and counts the rest, so the work and the
 * report stay bounded whatever the request holds (the walk is iterative over arrays, never spreads issue lists).
 */
export function check(value: unknown, schema: JsonSchema, maxIssues = MAX_REPORTED_ISSUES): ValidationResult {
  const result: ValidationResult = { issues: [], total: 0 };
  const add = (path: string, message: string) => {
    if (result.issues.length < maxIssues) result.issues.push({ path, message });
    result.total++;
  };
  walk(value, schema, '$', add);
  return result;
}

/** The first MAX_REPORTED_ISSUES issues of `value` against `schema` (empty = valid). */
export function validate(value: unknown, schema: JsonSchema): ValidationIssue[] {
  return check(value, schema).issues;
}

/** One line for an error message: "path: message; …; and N more". */
export function describeIssues(result: ValidationResult): string {
  const parts = result.issues.map((i) => `${i.path}: ${i.message}`);
  if (result.total > result.issues.length) parts.push(`and ${result.total - result.issues.length} more`);
  return parts.join('; ');
}

function walk(value: unknown, schema: JsonSchema, path: string, add: (path: string, message: string) => void): void {
  const got = typeOf(value);
  if (schema.type) {
    const ok = schema.type === got || (schema.type === 'number' && got === 'integer');
    if (!ok) return add(path, `expected ${schema.type}, got ${got}`);
  }
  if (schema.enum && !schema.enum.includes(value as string)) {
    add(path, `expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) add(path, `must be ≥ ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) add(path, `must be ≤ ${schema.maximum}`);
  }
  if (got === 'array') {
    const arr = value as unknown[];
    if (schema.minItems !== undefined && arr.length < schema.minItems) add(path, `needs at least ${schema.minItems} item(s)`);
    if (schema.maxItems !== undefined && arr.length > schema.maxItems) add(path, `has ${arr.length} items; at most ${schema.maxItems} allowed`);
    if (schema.items) for (let i = 0; i < arr.length; i++) walk(arr[i], schema.items, `${path}[${i}]`, add);
  }
  if (got === 'object' && schema.properties) {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(obj, key)) add(path, `missing required property "${key}"`);
    }
    for (const key of Object.keys(obj)) {
      if (FORBIDDEN_KEYS.has(key)) {
        add(path, `property name "${key}" is not allowed`);
        continue;
      }
      const sub = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
      if (sub) walk(obj[key], sub, `${path}.${key}`, add);
      else if (schema.additionalProperties === false) add(path, `unknown property ${quoteKey(key)}`);
    }
  }
}
