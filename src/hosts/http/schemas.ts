/**
 * Request schemas of the tagging API, written once as JSON Schema: the same objects validate requests (check() of
 * src/schema/, in its request style: paths from `$`, nothing the caller sent echoed, bounded for hostile input) and
 * describe them in GET /openapi.json (openapi.ts).
 */
import type { JsonSchema } from '../../schema/index.js';

// the validator the app and the tests use, from the schema floor
export { check, describeIssues, validate, type JsonSchema } from '../../schema/index.js';

export const tagOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    offsets: {
      type: 'string',
      enum: ['utf16', 'codepoint'],
      default: 'utf16',
      description: 'Unit of start/end: UTF-16 code units (JavaScript string indices) or Unicode code points.',
    },
    scores: {
      type: 'boolean',
      default: true,
      description: "Include each entity's probability from the CRF marginals.",
    },
    kbest: {
      type: 'integer',
      minimum: 1,
      maximum: 10,
      default: 1,
      description: 'Return the k best tag paths per document (k > 1).',
    },
    consistency: {
      type: 'boolean',
      default: true,
      description: 'Apply the consistency check layer (entity → type table from training).',
    },
  },
};

export const documentSchema: JsonSchema = {
  type: 'object',
  required: ['text'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: "Caller's id, echoed back." },
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
      description:
        'Answer 504 deadline_exceeded instead of tagging when the request is still waiting for a tagging thread this many ms after it arrived (Node server; a Worker starts at once).',
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
