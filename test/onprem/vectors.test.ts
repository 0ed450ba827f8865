/**
 * The shared test vectors (test/vectors/) against the Node library: the committed model is the one the
 * generator builds, and every case is reproduced bit for bit (the Worker and browser tests compare against the
 * same file).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTagger } from '../../src/hosts/node.js';
import { createTagger, type Tagger } from '../../src/tagger.js';
import { sha256Hex } from '../../src/model/sha256.js';
import { diffResult, type VectorFile } from '../vectors/compare.js';
import { vectorInputs } from '../vectors/cases.js';
import { vectorModel } from '../vectors/model.js';
import { formatVectors, makeVectors } from '../vectors/generate.js';
import { jsonLines, kernelsPath, readVectors, root, runCli, vectorModelPath } from './helpers.js';

let vectors: VectorFile;
let tagger: Tagger;
let kernels: Uint8Array;

beforeAll(async () => {
  if (!existsSync(kernelsPath)) throw new Error('build/kernels.wasm is missing: run npm run build:kernels first');
  kernels = new Uint8Array(readFileSync(kernelsPath));
  vectors = readVectors();
  tagger = await loadTagger({ model: vectorModelPath });
});

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('shared test vectors', () => {
  it('cover the awkward inputs: emoji, lone surrogates, full-width, CRLF, long text, k-best, corrections', () => {
    const texts = vectors.cases.map((c) => c.text);
    expect(texts.some((t) => /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(t))).toBe(true); // astral (emoji)
    expect(texts.some((t) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(t))).toBe(true); // lone surrogates
    expect(texts.some((t) => /[\uFF01-\uFF5E]/.test(t))).toBe(true);
    expect(texts.some((t) => t.includes('\r\n'))).toBe(true);
    expect(texts.some((t) => Array.from(t).length > 512)).toBe(true);
    const entities = vectors.cases.flatMap((c) => c.expected.entities);
    expect(entities.length).toBeGreaterThan(100);
    expect(entities.some((e) => e.corrected)).toBe(true);
    expect(entities.some((e) => /[\uD800-\uDFFF]/.test(e.text))).toBe(true); // an entity holding a surrogate
    expect(vectors.cases.some((c) => c.expected.paths && c.expected.paths.length > 1)).toBe(true);
    // code point offsets differ from UTF-16 ones where the text has astral characters
    const emoji = vectors.cases.find((c) => c.name === 'emoji inside and beside entities / codepoint offsets')!;
    const emojiU16 = vectors.cases.find((c) => c.name === 'emoji inside and beside entities')!;
    expect(emoji.expected.entities.map((e) => e.end)).not.toEqual(emojiU16.expected.entities.map((e) => e.end));
    // the file holds the inputs of cases.ts
    expect(vectors.cases.map(({ name, text, options }) => ({ name, text, options }))).toEqual(vectorInputs());
  });

  it('the committed model is the one test/vectors/model.ts builds (same bytes, same SHA-256)', async () => {
    const committed = new Uint8Array(readFileSync(vectorModelPath));
    expect(await sha256Hex(committed)).toBe(vectors.model.sha256);
    const rebuilt = vectorModel();
    expect(Buffer.from(rebuilt).equals(Buffer.from(committed))).toBe(true);
  });

  it('the Node library reproduces every case bit for bit', () => {
    const diffs = vectors.cases.flatMap((c) => diffResult(c.name, roundTrip(tagger.tag(c.text, c.options)), c.expected));
    expect(diffs).toEqual([]);
  });

  it('createTagger from bytes and tagMany give the same results', async () => {
    const fromBytes = await createTagger({ model: new Uint8Array(readFileSync(vectorModelPath)), kernels });
    const plain = vectors.cases.filter((c) => Object.keys(c.options).length === 0);
    const many = fromBytes.tagMany(plain.map((c) => c.text));
    const diffs = plain.flatMap((c, i) => diffResult(c.name, roundTrip(many[i]), c.expected));
    expect(diffs).toEqual([]);
  });

  it('the generator writes the same file again (deterministic)', async () => {
    const again = formatVectors(await makeVectors(vectorModelPath));
    expect(again === readFileSync(join(root, 'test/vectors/vectors.json'), 'utf8')).toBe(true);
  });

  it('the CLI (JSON lines in and out) gives the vectors entities, lone surrogates included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cner-vectors-'));
    try {
      const plain = vectors.cases.filter((c) => Object.keys(c.options).length === 0);
      const input = join(dir, 'in.jsonl');
      writeFileSync(input, plain.map((c, i) => JSON.stringify({ id: `v-${i}`, text: c.text })).join('\n') + '\n');
      const r = await runCli(['tag', '--model', vectorModelPath, '--input', input]);
      expect(r.stderr).toMatch(/tagged \d+ documents/);
      expect(r.code).toBe(0);
      const rows = jsonLines(r.stdout);
      expect(rows.map((row) => row.id)).toEqual(plain.map((_, i) => `v-${i}`));
      const diffs = plain.flatMap((c, i) => diffResult(c.name, { entities: rows[i].entities }, c.expected));
      expect(diffs).toEqual([]);
      expect(rows.map((row) => row.text)).toEqual(plain.map((c) => c.text));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
