/**
 * The one validator (src/schema/): the request style the HTTP API answers with, unchanged; the config style the
 * config files are checked in (path, what was expected, what was found); defaults and path fields from the schema.
 */
import { describe, expect, it } from 'vitest';
import { tagRequestSchema } from '../../src/hosts/http/schemas.js';
import { RETRAIN_CONFIG_SCHEMA } from '../../src/retrain/config.js';
import {
  type JsonSchema,
  assertConfig,
  check,
  defaultsOf,
  describeIssues,
  closest,
  mapPaths,
  pathFields,
  withDefaults,
} from '../../src/schema/index.js';
import { DEFAULT_CONFIG, DEFAULT_PRETRAIN, PRETRAIN_SCHEMA, TRAIN_CONFIG_SCHEMA } from '../../src/train/config.js';

const lines = (value: unknown, schema: JsonSchema, style?: 'request' | 'config') =>
  check(value, schema, { style }).issues.map((i) => `${i.path}: ${i.message}`);

describe('request style (the HTTP error message)', () => {
  it('names the path from $ and never the value sent', () => {
    expect(
      lines({ text: 'x', options: { kbest: 11, offsets: 'bytes', scores: 'yes', secret: 1 } }, tagRequestSchema),
    ).toEqual([
      '$.options.kbest: must be ≤ 10',
      '$.options.offsets: expected one of "utf16", "codepoint"',
      '$.options.scores: expected boolean, got string',
      '$.options: unknown property "secr"… (6 characters)',
    ]);
    expect(lines({ documents: [{}] }, tagRequestSchema)).toEqual(['$.documents[0]: missing required property "text"']);
    expect(lines(JSON.parse('{"__proto__": 1, "text": "a"}'), tagRequestSchema)).toEqual([
      '$: property name "__proto__" is not allowed',
    ]);
    expect(lines([], tagRequestSchema)).toEqual(['$: expected object, got array']);
  });

  it('keeps the first issues and counts the rest', () => {
    const r = check({ documents: Array.from({ length: 25 }, () => ({})) }, tagRequestSchema);
    expect(r.issues).toHaveLength(10);
    expect(r.total).toBe(25);
    expect(describeIssues(r)).toMatch(/; and 15 more$/);
  });
});

describe('config style', () => {
  const schema: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 5 },
      size: { type: 'integer', minimum: 1, maximum: 8 },
      rate: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      mode: { enum: ['a', 'b'] },
      list: { type: 'array', minItems: 1, items: { type: 'integer' } },
      either: { type: ['string', 'object'], properties: { x: { type: 'boolean' } }, additionalProperties: false },
      floors: { type: 'object', propertyNames: { pattern: '^[A-Z]+$' }, additionalProperties: { type: 'number' } },
    },
  };

  it('names the field, what was expected and the value found', () => {
    const bad = {
      size: 9,
      rate: 1,
      mode: 'c',
      list: [1, 2.5],
      either: 3,
      floors: { lower: 1, OK: 'x' },
      sise: 1,
    };
    expect(lines(bad, schema, 'config')).toEqual([
      'name: missing (a required field)',
      'size: must be ≤ 8, got 9',
      'rate: must be < 1, got 1',
      'mode: expected one of "a", "b", got "c"',
      'list[1]: expected integer, got 2.5',
      'either: expected string or object, got 3',
      'floors.lower: expected a string matching /^[A-Z]+$/, got "lower"',
      'floors.OK: expected number, got "x"',
      'sise: unknown field (did you mean "size"?)',
    ]);
    expect(lines({ name: '', rate: 0, list: [], either: { x: 1, colour: 2 } }, schema, 'config')).toEqual([
      'name: must not be empty',
      'rate: must be > 0, got 0',
      'list: needs at least 1 item(s)',
      'either.x: expected boolean, got 1',
      'either.colour: unknown field (known: x)',
    ]);
    expect(lines({ name: 'abcdef', size: NaN }, schema, 'config')).toEqual([
      'name: has 6 characters; at most 5 allowed',
      'size: expected integer, got NaN',
    ]);
    expect(lines(null, schema, 'config')).toEqual(['(top level): expected object, got null']);
    expect(lines({ name: 'a', list: [1], size: undefined }, schema, 'config')).toEqual([]); // undefined = left out
  });

  it('assertConfig throws "label: issues"; a long value is cut', () => {
    expect(() => assertConfig({ name: 'x'.repeat(80) }, schema, 'config f.json')).toThrow(
      `config f.json: name: has 80 characters; at most 5 allowed`,
    );
    expect(() => assertConfig({ name: 'a', mode: 'x'.repeat(80) }, schema, 'c')).toThrow(
      `c: mode: expected one of "a", "b", got "${'x'.repeat(59)}…`,
    );
  });

  it('suggests a known name only for a likely typo', () => {
    expect(closest('lstmm', ['lstm', 'lexDim'])).toBe('lstm');
    expect(closest('batchsize', ['batchSize'])).toBe('batchSize');
    expect(closest('colour', ['data', 'store'])).toBeUndefined();
  });
});

describe('defaults and path fields from the schema', () => {
  it('the training defaults are the paper setup, valid against their own schema', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ charDim: 50, wordDim: 50, lstm: [128, 64], dropout: 0.5, batchSize: 32 });
    expect(DEFAULT_CONFIG.optimizer).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 5 });
    expect(DEFAULT_CONFIG.backend).toBe('auto');
    expect(check(DEFAULT_CONFIG, TRAIN_CONFIG_SCHEMA, { style: 'config' }).issues).toEqual([]);
    expect(DEFAULT_PRETRAIN).toEqual({ iterations: 100, window: 4, minCount: 5, negative: 5, seed: 1, threads: 1 });
    expect(check(DEFAULT_PRETRAIN, PRETRAIN_SCHEMA, { style: 'config' }).issues).toEqual([]);
  });

  it('withDefaults fills missing fields (nested ones one by one) and copies, never shares, the defaults', () => {
    const a = withDefaults({ optimizer: { lr: 0.01 } }, TRAIN_CONFIG_SCHEMA) as typeof DEFAULT_CONFIG;
    expect(a.optimizer).toEqual({ ...DEFAULT_CONFIG.optimizer, lr: 0.01 });
    a.lstm.push(7);
    expect(DEFAULT_CONFIG.lstm).toEqual([128, 64]);
    expect(defaultsOf(TRAIN_CONFIG_SCHEMA)).toEqual(DEFAULT_CONFIG);
  });

  it("a filled config lists its fields in the schema's order whatever the file's order (cache keys are its JSON)", () => {
    const filled = withDefaults({ epochs: 3, charDim: 8, optimizer: { clip: 1, lr: 0.1 } }, TRAIN_CONFIG_SCHEMA);
    expect(JSON.stringify(filled)).toBe(
      JSON.stringify({
        ...DEFAULT_CONFIG,
        epochs: 3,
        charDim: 8,
        optimizer: { ...DEFAULT_CONFIG.optimizer, clip: 1, lr: 0.1 },
      }),
    );
  });

  it('mapPaths rewrites the x-path strings only (not "", not other strings)', () => {
    const value = {
      data: ['a', { path: 'b', format: 'jsonl' }],
      store: 's',
      note: 'n',
      train: { extraTrain: ['', 'e'] },
    };
    const out = mapPaths(value, RETRAIN_CONFIG_SCHEMA, (p, kind) => `${kind}:${p}`);
    expect(out).toEqual({
      data: ['location:a', { path: 'location:b', format: 'jsonl' }],
      store: 'location:s',
      note: 'n',
      train: { extraTrain: ['', 'path:e'] },
    });
    expect(value.data[0]).toBe('a');
    expect(pathFields(RETRAIN_CONFIG_SCHEMA).find((f) => f.field === 'store')?.kind).toBe('location');
  });
});
