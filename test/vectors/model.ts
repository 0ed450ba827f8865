/**
 * The model of the shared test vectors: a small random BiLSTM-CRF (int8 weights, a dictionary segmenter, the
 * five CCKS 2017 types) with a consistency table, so `corrected` shows up in the vectors. Deterministic: the same bytes on every run (written to test/vectors/model.cner by
 * generate.ts; a test checks the committed file against this function).
 */
import { buildConsistencyTable } from '../../src/consistency/index.js';
import { createSegmenter } from '../../src/segment/index.js';
import type { SegmenterSpec } from '../../src/segment/spec.js';
import type { Doc } from '../../src/corpus/document.js';
import { randomModel, type RandomModel, type RandomModelOptions } from '../helpers/random-model.js';
import { writeModel } from '../../src/model/format.js';
import { VOCAB_TEXT, vectorInputs } from './cases.js';

export const VECTOR_TYPES = ['BODY', 'SIGNS', 'CHECK', 'DISEASE', 'TREATMENT'];

const WORDS = ['上腹部', '右下腹', '呕吐', '恶心', '患者', '腹部', '诊断', '阑尾炎', '压痛', '急性', '胃镜', '检查', '慢性', '浅表性', '胃炎', '奥美拉唑', '治疗', '复查', '肝脏', '胆囊'].sort();
const SEGMENTER: SegmenterSpec = { kind: 'dict', variant: 'jieba', total: 1000, words: WORDS, freqs: WORDS.map(() => 5) };

export const TUNING = { seed: 11, scale: 1.2, cont: 1.2, stay: 0.8 };

function options(consistency: RandomModelOptions['consistency']): RandomModelOptions {
  return {
    text: VOCAB_TEXT,
    types: VECTOR_TYPES,
    arch: { charDim: 12, wordDim: 6, lstm: [10, 8] },
    seed: TUNING.seed,
    scale: TUNING.scale,
    int8: true,
    segmenter: SEGMENTER,
    cut: (t: string) => createSegmenter(SEGMENTER).cut(t),
    consistency,
    extra: { name: 'test-vectors-model', version: '1.0.0' },
  };
}

/**
 * The vector model's bytes. Its consistency table names every 1- and 2-code-point string of two of the texts
 * with a type picked by a hash, so some entities the model finds get corrected, whatever the kernels compute.
 */
export function vectorModel(): Uint8Array {
  const seen = new Set<string>();
  const docs: Doc[] = [];
  for (const c of vectorInputs().filter((v) => v.name === 'clinical record' || v.name === 'emoji inside and beside entities')) {
    const cps = Array.from(c.text);
    for (let n = 1; n <= 2; n++) {
      for (let i = 0; i + n <= cps.length; i++) {
        const s = cps.slice(i, i + n).join('');
        if (seen.has(s) || s.trim() !== s) continue;
        seen.add(s);
        let h = 7;
        for (let k = 0; k < s.length; k++) h = (h * 31 + s.charCodeAt(k)) >>> 0;
        docs.push({ id: `t${docs.length}`, text: s, entities: [{ start: 0, end: s.length, type: VECTOR_TYPES[h % VECTOR_TYPES.length] }] });
      }
    }
  }
  return withLongerSpans(randomModel(options(buildConsistencyTable(docs))));
}

/**
 * Random CRF transitions give mostly one-character entities; favouring B-X → I-X, I-X → I-X and O → O makes
 * multi-character entities and fewer of them, closer to what a trained model gives.
 */
function withLongerSpans(m: RandomModel): Uint8Array {
  const labels = m.header.tags.labels;
  const K = labels.length;
  const trans = m.weights.get('crf.trans')!.data as Float32Array; // [K × K], from → to
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      const from = labels[a];
      const to = labels[b];
      if (to.startsWith('I-') && from.slice(2) === to.slice(2)) trans[a * K + b] += TUNING.cont;
      if (from === 'O' && to === 'O') trans[a * K + b] += TUNING.stay;
    }
  }
  return writeModel(m.header, m.weights);
}
