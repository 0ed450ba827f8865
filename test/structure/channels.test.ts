/**
 * The input channels are described once (src/features/channels.ts, ARCHITECTURE.md "Input channels"): the files
 * that handle every channel — the weight layout, the model file's checks, the inference network, the training
 * batch, graph, initialisation and quantisation, the sentence featurizer — loop over CHANNELS and name none of
 * the optional channels (their id fields, architecture fields, tensors, descriptors) in their code. So adding a
 * channel touches the descriptor file and the places that make its ids, not these.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const CHANNEL_LOOPS = [
  'src/model/layout.ts',
  'src/model/format.ts',
  'src/model/network.ts',
  'src/train/batch.ts',
  'src/train/graph.ts',
  'src/train/params.ts',
  'src/train/quantize.ts',
  'src/features/featurize.ts',
];

/** names that belong to one optional channel (its descriptor says them) */
const CHANNEL_NAMES =
  /\b(?:bigramIds|lexIds|bigramDim|bigramVocab|lexDim|lexTypes|LEX_POSITIONS|BIGRAM|LEXICON|outsideLexIds|outsideLexDim|outsideLexWords|outsideLexicon|OUTSIDE_LEX\w*|OutsideLexicon)\b|embed\.(?:bigram|lex|outside)\b|vocab\.bigrams/;

/** the code without its comments (block comments and // comments) */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

describe('the input channels are named in one place', () => {
  it.each(CHANNEL_LOOPS)('%s names no optional channel in its code', (file) => {
    const lines = code(readFileSync(join(root, file), 'utf8')).split('\n');
    const named = lines.filter((l) => CHANNEL_NAMES.test(l)).map((l) => l.trim());
    expect(named).toEqual([]);
  });

  it('the pattern catches what it is meant to catch', () => {
    expect(code('if (bigramSize(a) > 0) batch.bigramIds = ids; // bigramIds')).toMatch(CHANNEL_NAMES);
    expect(code("specs.push({ name: 'embed.lex' });")).toMatch(CHANNEL_NAMES);
    expect(code('ch.build?.(tokens, { outsideLexicon });')).toMatch(CHANNEL_NAMES);
    expect(code("specs.push({ name: 'embed.outside' });")).toMatch(CHANNEL_NAMES);
    expect(code('/* lexIds */ const x = 1; // LEX_POSITIONS')).not.toMatch(CHANNEL_NAMES);
  });
});
