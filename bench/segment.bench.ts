/**
 * Segmenter speed: µs per sentence over the CCKS 2017 texts, ours (pure TS, runs in workerd and browsers)
 * vs @node-rs/jieba (native, Node only), same dictionary and no HMM.
 * Usage: tsx bench/segment.bench.ts [CCKS_TRAIN_DIR] [UNLABELED_FILE]
 */
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSegmenter } from '../src/segment/index.js';
import { buildSegmenterSpec } from '../src/train/segdict.js';

const dir = process.argv[2] ?? '../shared/data/ccks2017/train';
if (!existsSync(dir)) {
  console.log(`segment bench: skipped, no CCKS 2017 data at ${dir}`);
  process.exit(0);
}
const texts: string[] = [];
for (const section of readdirSync(dir).sort())
  for (const f of readdirSync(join(dir, section)).sort())
    if (f.endsWith('.txtoriginal.txt')) texts.push(readFileSync(join(dir, section, f), 'utf8'));

const { spec } = buildSegmenterSpec({ variant: 'jieba', texts });
const seg = createSegmenter(spec);
const jieba = Jieba.withDict(dict);
const sentences = texts.flatMap((t) => t.split(/(?<=[。；！？])/)).filter((s) => s.length > 0);
const chars = sentences.reduce((a, s) => a + s.length, 0);
const time = (f: (s: string) => unknown) => {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (const s of sentences) f(s);
    best = Math.min(best, ((performance.now() - t0) * 1000) / sentences.length);
  }
  return best;
};
const ours = time((s) => seg.cut(s));
const oursEnds = time((s) => seg.cutEnds(s));
const theirs = time((s) => jieba.cut(s, false));
console.log(`\n## Segmenter (${sentences.length} CCKS sentences, mean ${(chars / sentences.length).toFixed(1)} chars, best of 5)\n`);
console.log('| segmenter | µs / sentence |\n|---|---:|');
console.log(`| ours, cut (pure TS) | ${ours.toFixed(2)} |`);
console.log(`| ours, cutEnds (no strings) | ${oursEnds.toFixed(2)} |`);
console.log(`| @node-rs/jieba cut(hmm=false) (native) | ${theirs.toFixed(2)} |`);
