import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTagger } from '../../src/tagger.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const wasm = () => new Uint8Array(readFileSync(resolve(root, 'build/kernels.wasm')));
const model = () => new Uint8Array(readFileSync(resolve(root, 'test/vectors/model.cner')));
const TEXTS = ['患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛，反跳痛。', '诊断：急性阑尾炎。予头孢曲松抗感染治疗。'];

describe('createTagger({ network })', () => {
  it('reaches the network: unfolded, or a tiny fold cache, tags the same entities', async () => {
    const folded = (await createTagger({ model: model(), kernels: wasm() })).tagMany(TEXTS);
    for (const network of [{ foldInput: false }, { foldCacheBytes: 4096 }, { batchSize: 1 }]) {
      const other = (await createTagger({ model: model(), kernels: wasm(), network })).tagMany(TEXTS);
      // unfolded, the int8 product rounds the whole x_t to i16 at once: scores move in the last digits
      const moved = other.some((r, i) => r.entities.some((e, j) => e.score !== folded[i].entities[j].score));
      expect(moved).toBe('foldInput' in network);
      other.forEach((r, i) => {
        expect(r.entities.map(({ type, start, end }) => [type, start, end])).toEqual(
          folded[i].entities.map(({ type, start, end }) => [type, start, end]),
        );
        r.entities.forEach((e, j) => expect(Math.abs(e.score! - folded[i].entities[j].score!)).toBeLessThan(1e-3));
      });
    }
  });

  it('refuses bad network options with the network’s own message', async () => {
    await expect(createTagger({ model: model(), kernels: wasm(), network: { foldCacheBytes: -1 } })).rejects.toThrow(
      'createNetwork: foldCacheBytes must be an integer ≥ 0, got -1',
    );
    await expect(createTagger({ model: model(), kernels: wasm(), network: 'fast' as never })).rejects.toThrow(
      'createTagger: network must be an object of network options, got',
    );
  });
});
