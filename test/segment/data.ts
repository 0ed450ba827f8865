/** Test helpers: where the shared data lives and a minimal CCKS 2017 reader (texts and entity spans). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
export const CCKS_TRAIN = join(DATA_DIR, 'ccks2017/train');
export const UNLABELED = join(DATA_DIR, 'unlabeled/clinical-unlabeled.txt');
export const ccksPresent = existsSync(CCKS_TRAIN);
export const unlabeledPresent = existsSync(UNLABELED);

export interface CcksDoc {
  id: string;
  text: string;
  /** [start, end) UTF-16 offsets and the entity string */
  entities: { start: number; end: number; text: string }[];
}

/** Every CCKS 2017 training section, sorted by id. Annotation ends are inclusive in the files. */
export function readCcks(): CcksDoc[] {
  const docs: CcksDoc[] = [];
  for (const section of readdirSync(CCKS_TRAIN).sort()) {
    for (const file of readdirSync(join(CCKS_TRAIN, section)).sort()) {
      if (!file.endsWith('.txtoriginal.txt')) continue;
      const text = readFileSync(join(CCKS_TRAIN, section, file), 'utf8');
      const annFile = join(CCKS_TRAIN, section, file.replace('.txtoriginal.txt', '.txt'));
      const entities: CcksDoc['entities'] = [];
      if (existsSync(annFile)) {
        for (const line of readFileSync(annFile, 'utf8').split('\n')) {
          const cols = line.replace(/\r$/, '').split('\t');
          if (cols.length < 4) continue;
          entities.push({ start: Number(cols[1]), end: Number(cols[2]) + 1, text: cols[0] });
        }
      }
      docs.push({ id: file.replace('.txtoriginal.txt', ''), text, entities });
    }
  }
  return docs;
}

export function readUnlabeled(): string[] {
  return readFileSync(UNLABELED, 'utf8').split('\n').filter((l) => l.length > 0);
}

/** Deterministic PRNG (mulberry32) for the fuzz tests: the corpus split's. */
export { mulberry32 as seededRandom } from '../../src/corpus/split.js';
