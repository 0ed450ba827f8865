/**
 * A small synthetic clinical corpus for the pipeline tests (no real patient text): sentences built from
 * templates and term lists, deterministic from a seed, written as project JSONL or as Yidu-S4K lines.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Doc, EntitySpan } from '../../src/corpus/document.js';
import { mulberry32 } from '../../src/corpus/split.js';

/** The five CCKS 2017 tags, as the CCKS reader names them. */
export const CCKS_TERMS: Record<string, string[]> = {
  BODY: ['腹部', '右下肢', '左肺', '头颅', '胸部', '双肾', '肝脏', '颈部'],
  SIGNS: ['压痛', '疼痛', '水肿', '咳嗽', '发热', '乏力', '头晕', '反跳痛'],
  CHECK: ['CT', 'B超', '血常规', '心电图', '尿常规', 'MRI', '肝功能', '胸片'],
  DISEASE: ['高血压', '糖尿病', '肺炎', '胆囊炎', '冠心病', '肝囊肿'],
  TREATMENT: ['抗感染', '补液', '手术', '化疗', '降压', '输血'],
};

/** A Yidu-like label set (different names and count than CCKS). */
export const YIDU_TERMS: Record<string, string[]> = {
  解剖部位: ['腹部', '右下肢', '左肺', '胃', '肝脏'],
  疾病和诊断: ['胃癌', '肺炎', '高血压', '肝囊肿'],
  手术: ['胃切除术', '阑尾切除术', '肝叶切除术'],
  药物: ['奥沙利铂', '头孢', '阿司匹林'],
};

type Piece = string | { type: string };

const TEMPLATES: Piece[][] = [
  ['患者', { type: 'BODY' }, { type: 'SIGNS' }, '三天。'],
  ['查体：', { type: 'BODY' }, '无', { type: 'SIGNS' }, '。'],
  ['行', { type: 'CHECK' }, '检查示', { type: 'DISEASE' }, '。'],
  ['既往', { type: 'DISEASE' }, '病史，予', { type: 'TREATMENT' }, '治疗。'],
  ['入院后复查', { type: 'CHECK' }, '，', { type: 'BODY' }, '未见异常。'],
  ['患者一般情况可，饮食睡眠正常。'],
];

const YIDU_TEMPLATES: Piece[][] = [
  ['患者因', { type: '疾病和诊断' }, '行', { type: '手术' }, '，术后予', { type: '药物' }, '化疗。'],
  ['查体：', { type: '解剖部位' }, '未见异常。'],
  ['既往', { type: '疾病和诊断' }, '史，长期服用', { type: '药物' }, '。'],
];

function makeDocs(n: number, seed: number, templates: Piece[][], terms: Record<string, string[]>, idOf: (i: number) => string): Doc[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const docs: Doc[] = [];
  for (let i = 0; i < n; i++) {
    let text = '';
    const entities: EntitySpan[] = [];
    const sentences = 3 + Math.floor(random() * 4);
    for (let s = 0; s < sentences; s++) {
      for (const piece of pick(templates)) {
        if (typeof piece === 'string') text += piece;
        else {
          const term = pick(terms[piece.type]);
          entities.push({ start: text.length, end: text.length + term.length, type: piece.type });
          text += term;
        }
      }
    }
    docs.push({ id: idOf(i), text, entities });
  }
  return docs;
}

/** `n` documents with the CCKS tags (ids doc-1 … doc-n, so the split is by document). */
export function ccksLikeDocs(n = 40, seed = 7): Doc[] {
  return makeDocs(n, seed, TEMPLATES, CCKS_TERMS, (i) => `doc-${i + 1}`);
}

export function writeJsonl(path: string, docs: readonly Doc[]): void {
  const lines = docs.map((d) => JSON.stringify({ id: d.id, text: d.text, entities: d.entities.map((e) => ({ start: e.start, end: e.end, type: e.type })) }));
  writeFileSync(path, lines.join('\n') + '\n');
}

/** Yidu-S4K lines (end_pos exclusive) with the YIDU_TERMS label set. */
export function writeYidu(path: string, n = 30, seed = 11): Doc[] {
  const docs = makeDocs(n, seed, YIDU_TEMPLATES, YIDU_TERMS, (i) => `yidu-${i + 1}`);
  const lines = docs.map((d) =>
    JSON.stringify({ originalText: d.text, entities: d.entities.map((e) => ({ label_type: e.type, overlap: 0, start_pos: e.start, end_pos: e.end })) }),
  );
  writeFileSync(path, lines.join('\n') + '\n');
  return docs;
}

/** Unlabeled lines built from the same templates (for the segmenter dictionary and pre-training). */
export function writeUnlabeled(path: string, n = 60, seed = 3): void {
  writeFileSync(path, makeDocs(n, seed, TEMPLATES, CCKS_TERMS, String).map((d) => d.text).join('\n') + '\n');
}

/** A temporary folder with corpus.jsonl, unlabeled.txt and tiny.json (a tiny config); call cleanup() after. */
export function pipelineWorkspace(): { dir: string; corpus: string; unlabeled: string; tinyConfig: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cner-pipeline-'));
  mkdirSync(dir, { recursive: true });
  const corpus = join(dir, 'corpus.jsonl');
  writeJsonl(corpus, ccksLikeDocs());
  const unlabeled = join(dir, 'unlabeled.txt');
  writeUnlabeled(unlabeled);
  const tinyConfig = join(dir, 'tiny.json');
  writeFileSync(
    tinyConfig,
    JSON.stringify({ charDim: 8, wordDim: 8, lstm: [8], epochs: 1, patience: 0, workers: 1, batchSize: 8, pretrain: { iterations: 1, minCount: 1, threads: 1 } }),
  );
  return { dir, corpus, unlabeled, tinyConfig, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
