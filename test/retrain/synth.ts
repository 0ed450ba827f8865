/**
 * A small synthetic clinical-style corpus for the retraining tests: template sentences with BODY, SIGNS,
 * CHECK and DISEASE entities, generated from a seed (no real patient text). Regular enough that a tiny
 * BiLSTM-CRF learns it in a few epochs, so a trained model clearly beats an untrained one.
 */
import type { Doc, EntitySpan } from '../../src/corpus/document.js';
import { mulberry32 } from '../../src/corpus/split.js';

const BODY = ['左肺', '右肺', '腹部', '右下腹', '头部', '胸部', '左膝', '右肾', '肝脏', '颈部'];
const SIGNS = ['疼痛', '压痛', '咳嗽', '发热', '肿胀', '乏力', '头晕', '恶心'];
const CHECK = ['血常规', '胸片', '心电图', '尿常规', '肝功能', 'CT'];
const DISEASE = ['肺炎', '阑尾炎', '高血压', '糖尿病', '胃炎', '肾结石'];
const DAYS = ['一', '两', '三', '五', '七', '十'];

type Part = string | [string, string];

/** `count` documents with ids `${prefix}${first}`, `${prefix}${first + 1}`, … */
export function synthDocs(count: number, options: { seed?: number; prefix?: string; first?: number } = {}): Doc[] {
  const random = mulberry32(options.seed ?? 7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const prefix = options.prefix ?? 'rec';
  const first = options.first ?? 1;
  const docs: Doc[] = [];
  for (let n = 0; n < count; n++) {
    const sentences: Part[][] = [
      ['患者', [pick(BODY), 'BODY'], [pick(SIGNS), 'SIGNS'], `${pick(DAYS)}天。`],
      ['查体：', [pick(BODY), 'BODY'], '有', [pick(SIGNS), 'SIGNS'], '。'],
      ['行', [pick(CHECK), 'CHECK'], '检查，诊断为', [pick(DISEASE), 'DISEASE'], '。'],
    ];
    if (random() < 0.5) sentences.push(['既往', [pick(DISEASE), 'DISEASE'], '病史。']);
    let text = '';
    const entities: EntitySpan[] = [];
    for (const s of sentences) {
      for (const part of s) {
        if (typeof part === 'string') text += part;
        else {
          entities.push({ start: text.length, end: text.length + part[0].length, type: part[1] });
          text += part[0];
        }
      }
    }
    docs.push({ id: `${prefix}${first + n}`, text, entities });
  }
  return docs;
}
