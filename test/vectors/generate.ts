/**
 * Writes the shared test vectors: the expected output of the Node library (src/hosts/node.ts) for every input
 * of cases.ts.
 *
 *   npx tsx test/vectors/generate.ts                       # test/vectors/model.cner (rebuilt) → test/vectors/vectors.json
 *   npx tsx test/vectors/generate.ts --model models/default.cner --out test/vectors/default.json
 *
 * Run it again only when a change of the tagger's output is intended; the Node, browser and Worker tests compare
 * against the file bit for bit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadTagger } from '../../src/hosts/node.js';
import { sha256Hex } from '../../src/model/sha256.js';
import { vectorInputs } from './cases.js';
import type { VectorFile } from './compare.js';
import { vectorModel } from './model.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const VECTOR_MODEL = resolve(root, 'test/vectors/model.cner');
export const VECTOR_FILE = resolve(root, 'test/vectors/vectors.json');

/** The vectors of one model file. */
export async function makeVectors(modelPath: string): Promise<VectorFile> {
  const bytes = new Uint8Array(readFileSync(modelPath));
  const tagger = await loadTagger({ model: bytes });
  return {
    version: 1,
    model: {
      file: relative(root, modelPath).split('\\').join('/'),
      sha256: await sha256Hex(bytes),
      name: tagger.info.name,
      version: tagger.info.version,
    },
    generatedBy: 'test/vectors/generate.ts (the Node library)',
    cases: vectorInputs().map((c) => ({ ...c, expected: JSON.parse(JSON.stringify(tagger.tag(c.text, c.options))) })),
  };
}

/** JSON with one case a line (readable diffs, small file). */
export function formatVectors(v: VectorFile): string {
  const head = JSON.stringify({ ...v, cases: [] }, null, 1).replace(/\[\]\n\}$/, '');
  return `${head}[\n${v.cases.map((c) => JSON.stringify(c)).join(',\n')}\n]\n}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, out: { type: 'string' } } });
  let modelPath = values.model ? resolve(values.model) : VECTOR_MODEL;
  if (!values.model) {
    writeFileSync(VECTOR_MODEL, vectorModel());
    modelPath = VECTOR_MODEL;
  }
  const out = values.out ? resolve(values.out) : VECTOR_FILE;
  const vectors = await makeVectors(modelPath);
  writeFileSync(out, formatVectors(vectors));
  const entities = vectors.cases.reduce((s, c) => s + c.expected.entities.length, 0);
  const corrected = vectors.cases.reduce((s, c) => s + c.expected.entities.filter((e) => e.corrected).length, 0);
  console.log(`${vectors.cases.length} cases, ${entities} entities (${corrected} corrected) → ${relative(root, out)} (model ${vectors.model.file}, sha256 ${vectors.model.sha256.slice(0, 12)}…)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
