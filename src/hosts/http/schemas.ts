/**
 * Request schemas of the tagging API, written once as JSON Schema: the same objects validate requests
 * (validate() below) and describe them in GET /openapi.json (openapi.ts).
 * The validator implements the subset of JSON Schema these schemas use: type, properties, required,
 * additionalProperties: false, items, minItems, enum, minimum, maximum, maxLength, oneOf by required keys.
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

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Validates `value` against `schema`; returns every issue found (empty = valid). */
export function validate(value: unknown, schema: JsonSchema, path = '$'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const got = typeOf(value);
  if (schema.type) {
    const ok = schema.type === got || (schema.type === 'number' && got === 'integer');
    if (!ok) return [{ path, message: `expected ${schema.type}, got ${got}` }];
  }
  if (schema.enum && !schema.enum.includes(value as string)) {
    issues.push({ path, message: `expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) issues.push({ path, message: `must be ≥ ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) issues.push({ path, message: `must be ≤ ${schema.maximum}` });
  }
  if (got === 'array') {
    const arr = value as unknown[];
    if (schema.minItems !== undefined && arr.length < schema.minItems) issues.push({ path, message: `needs at least ${schema.minItems} item(s)` });
    if (schema.items) arr.forEach((item, i) => issues.push(...validate(item, schema.items!, `${path}[${i}]`)));
  }
  if (got === 'object' && schema.properties) {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in obj)) issues.push({ path, message: `missing required property "${key}"` });
    }
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties[key];
      if (sub) issues.push(...validate(v, sub, `${path}.${key}`));
      else if (schema.additionalProperties === false) issues.push({ path, message: `unknown property "${key}"` });
    }
  }
  return issues;
}
