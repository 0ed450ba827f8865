import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { meanCosine, nearest, trainGloVe, trainWord2Vec } from '../../src/train/embed/index.js';

const data = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
const ccks = join(data, 'ccks2017/train');
const unlabeled = join(data, 'unlabeled/clinical-unlabeled.txt');
const present = existsSync(ccks) && existsSync(unlabeled);
if (!present) console.log(`test/embed/realdata: skipped, ${data} (CCKS 2017 + unlabeled text) is not present`);

/** Character sequences: every CCKS 2017 training text plus the first 1,000 unlabelled lines (~0.6 M chars). */
function corpus(): string[][] {
  const texts: string[] = [];
  for (const s of readdirSync(ccks).sort()) {
    for (const f of readdirSync(join(ccks, s)).sort()) if (f.endsWith('.txtoriginal.txt')) texts.push(readFileSync(join(ccks, s, f), 'utf8'));
  }
  texts.push(...readFileSync(unlabeled, 'utf8').split('\n').slice(0, 1000));
  return texts.flatMap((t) => t.split('\n')).filter((l) => l.trim() !== '').map((l) => Array.from(l));
}

// body-part characters vs drug/treatment characters
const BODY = ['腹', '胸', '背', '腿', '臂', '头', '颈'];
const DRUG = ['素', '霉', '片', '注', '射', '剂'];

describe.skipIf(!present)('character embeddings on clinical text (subset, few iterations)', () => {
  const seqs = present ? corpus() : [];

  it('word2vec: body-part characters nearer each other than to drug characters; 咳 next to 嗽', async () => {
    const e = await trainWord2Vec(seqs, { iterations: 3, minCount: 2, seed: 1 });
    const bodyBody = meanCosine(e, BODY, BODY);
    const bodyDrug = meanCosine(e, BODY, DRUG);
    const drugDrug = meanCosine(e, DRUG, DRUG);
    expect(bodyBody).toBeGreaterThan(bodyDrug + 0.1);
    expect(drugDrug).toBeGreaterThan(bodyDrug + 0.1);
    expect(nearest(e, '咳', 3).map((n) => n.token)).toContain('嗽');
  });

  it('GloVe: body-part characters nearer each other than to drug characters', async () => {
    const e = await trainGloVe(seqs, { iterations: 10, minCount: 2, seed: 1 });
    expect(meanCosine(e, BODY, BODY)).toBeGreaterThan(meanCosine(e, BODY, DRUG) + 0.1);
    expect(meanCosine(e, DRUG, DRUG)).toBeGreaterThan(meanCosine(e, BODY, DRUG) + 0.05);
  });
});
