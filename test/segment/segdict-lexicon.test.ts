/**
 * Lexicon words in the segmenter dictionary (src/train/segdict.ts `lexicon`, issue 16 point 3: THUOCL's medical
 * words): added like jieba's add_word after the entities, kept unpruned so new text at tagging time can use them,
 * and stored in the spec the model file carries.
 */
import { describe, expect, it } from 'vitest';
import { type DictSegmenterSpec, createSegmenter, validateSegmenterSpec } from '../../src/segment/index.js';
import { buildSegmenterSpec } from '../../src/train/segdict.js';

const SOURCE = '上 1000\n腹部 3000\n其他 96000\n胆囊 500\n切除 400\n术 300\n';

describe('buildSegmenterSpec lexicon words', () => {
  it('adds them with suggest_freq, keeps them though the texts never hold them, and new text is cut with them', () => {
    const texts = ['上腹部其他'];
    const plain = buildSegmenterSpec({ variant: 'jieba', texts, dictionary: SOURCE });
    const { spec, stats } = buildSegmenterSpec({
      variant: 'jieba',
      texts,
      dictionary: SOURCE,
      lexicon: ['胆囊切除术', '腹部', '胆囊切除术', 'CT（平扫）'],
    });
    const s = validateSegmenterSpec(JSON.parse(JSON.stringify(spec))) as DictSegmenterSpec;
    // pruned without the lexicon: 胆囊切除术's pieces never occur in the texts
    expect((plain.spec as DictSegmenterSpec).words).not.toContain('胆囊');
    expect(s.words).toContain('胆囊切除术');
    expect(s.words).not.toContain('胆囊'); // only the lexicon word escapes the pruning, not the dictionary's words
    expect(s.meta?.lexicon).toBe(2);
    expect(stats).toMatchObject({ lexicon: 3, lexiconInDictionary: 1, lexiconUnusable: 1 });
    expect(createSegmenter(s).cut('行胆囊切除术')).toEqual(['行', '胆囊切除术']);
    expect(createSegmenter(plain.spec).cut('行胆囊切除术')).not.toContain('胆囊切除术');
    // suggest_freq against the full dictionary: 胆囊 / 切除 / 术 → exp(Σ log f − 2·log total) + 1; total moves with it
    const freq = s.freqs[s.words.indexOf('胆囊切除术')];
    expect(freq).toBeGreaterThanOrEqual(1);
    expect(s.total).toBe((plain.spec as DictSegmenterSpec).total + freq);
    // an existing word keeps its frequency (its own split does not beat it)
    expect(s.freqs[s.words.indexOf('腹部')]).toBe(3000);
  });

  it('comes after the entities and works with jieba+entities', () => {
    const { spec, stats } = buildSegmenterSpec({
      variant: 'jieba+entities',
      texts: ['上腹部'],
      entities: ['上腹部'],
      dictionary: SOURCE,
      lexicon: ['上腹部', '胆囊切除术'],
    });
    const s = spec as DictSegmenterSpec;
    expect(stats).toMatchObject({ entities: 1, lexicon: 2, lexiconInDictionary: 1 });
    expect(s.words).toEqual(expect.arrayContaining(['上腹部', '胆囊切除术']));
  });

  it('rejects a lexicon with variant none and bad words, with exact messages', () => {
    expect(() => buildSegmenterSpec({ variant: 'none', texts: [], lexicon: ['胆囊'] })).toThrow(
      "buildSegmenterSpec: lexicon words need a dictionary variant ('jieba' or 'jieba+entities'), got 1 with variant 'none'",
    );
    expect(() =>
      buildSegmenterSpec({ variant: 'jieba', texts: [], dictionary: SOURCE, lexicon: '胆囊' as never }),
    ).toThrow('buildSegmenterSpec: expected lexicon to be an array of strings, got string');
    expect(() =>
      buildSegmenterSpec({ variant: 'jieba', texts: [], dictionary: SOURCE, lexicon: ['胆囊', ''] }),
    ).toThrow('buildSegmenterSpec: expected lexicon[1] to be a non-empty string, got an empty string');
  });
});
