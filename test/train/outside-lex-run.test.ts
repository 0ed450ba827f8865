/**
 * Training runs with the outsideLex channel (config.outsideLexDim > 0, src/features/outside-lexicon.ts), end to end
 * on the small synthetic corpus: train → save → load → tag. With segmenterLexicon the list is stored once, as a bit
 * set over the segmenter's dictionary; with outsideLexicon (and no segmenter words) the model file holds its own
 * normalised list. Both tag the same after a round trip through readModel / writeModel, f32 and int8; the tagger
 * needs no outside file; a header whose list is missing or does not match the architecture is refused by name.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutsideLexicon, outsideLexiconOfHeader, outsideLexiconWords } from '../../src/features/index.js';
import { OUTSIDE_B, OUTSIDE_E } from '../../src/features/outside-lexicon.js';
import { ModelFormatError, readModel, writeModel } from '../../src/model/format.js';
import { resolveConfig } from '../../src/train/config.js';
import { buildFeatureSpace } from '../../src/train/data.js';
import { type RunSummary, readSplit, runTraining } from '../../src/train/run.js';
import { normalize } from '../../src/text/normalize.js';
import { expectRoundTrip } from '../helpers/model-round-trip.js';
import { ccksLikeDocs, pipelineWorkspace } from '../pipeline/fixture.js';

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());

// an outside word list in THUOCL's format: words of the corpus (高血压, 右下肢), a word it never holds, a duplicate,
// and a full-width word that normalisation folds
const LIST = ['高血压\t900', '右下肢\t12', '胆囊切除术\t40', '高血压\t5', 'ＣＴ检查\t7'];
const listFile = join(ws.dir, 'words.txt');
writeFileSync(listFile, LIST.join('\n') + '\n');
const listWords = [...new Set(LIST.map((l) => l.split('\t')[0]))];

const tiny = { charDim: 8, wordDim: 4, lstm: [8], dropout: 0, epochs: 1, patience: 0, workers: 1, batchSize: 8 };

function run(name: string, over: Record<string, unknown>, logs: string[]): Promise<RunSummary> {
  return runTraining({
    data: ws.corpus,
    unlabeled: ws.unlabeled,
    out: join(ws.dir, name),
    config: resolveConfig({ ...tiny, ...over }),
    progress: false,
    log: (l) => logs.push(l),
  });
}

/** f32 and int8: byte-identical round trip, the same tagging; the channel's table: 16 rows, f32 in the int8 file too. */
async function roundTrip(s: RunSummary): Promise<void> {
  const { split } = await readSplit(ws.corpus);
  await expectRoundTrip(
    [s.models.f32, s.models.int8],
    split.test.map((d) => d.text),
    (file) => {
      const table = file.weights.get('embed.outside')!;
      expect([table.dtype, table.shape]).toEqual(['f32', [16, 4]]);
    },
  );
}

describe('a run with the outsideLex channel and segmenterLexicon: the list stored once', () => {
  const logs: string[] = [];
  const summary = run('shared', { segmenterLexicon: listFile, outsideLexDim: 4 }, logs);

  it("marks the list's words in the segmenter's dictionary instead of storing them again", async () => {
    const s = await summary;
    const { header } = readModel(readFileSync(s.models.f32));
    expect(Object.keys(header.outsideLexicon as object)).toEqual(['segmenterMask']);
    const words = outsideLexiconWords(header.outsideLexicon, header.segmenter);
    // the words of the list the segmenter keeps (the dictionary holds them raw, as it cuts them)
    const dict = new Set(header.segmenter.kind === 'dict' ? header.segmenter.words : []);
    const kept = listWords.filter((w) => dict.has(w)).sort();
    expect([...words].sort()).toEqual(kept);
    expect(kept).toEqual(expect.arrayContaining(['高血压', '右下肢', '胆囊切除术']));
    expect(s.arch).toMatchObject({ outsideLexWords: kept.length, outsideLexDim: 4 });
    expect(logs).toContain(`outside lexicon: ${kept.length} words, marked in the segmenter's dictionary (stored once)`);
    // the tagger's matcher comes from the header alone
    const lex = outsideLexiconOfHeader(header)!;
    expect(Array.from(lex.match(Array.from('既往高血压病史')))).toEqual([0, 0, OUTSIDE_B, 2, OUTSIDE_E, 0, 0]);
  });

  it('tags the same from the file and after a round trip, f32 and int8', async () => {
    await roundTrip(await summary);
  });

  it('a header without its list, or with a list the architecture does not count, is refused by name', async () => {
    const s = await summary;
    const { header, weights } = readModel(readFileSync(s.models.f32));
    const missing = { ...header };
    delete missing.outsideLexicon;
    expect(() => writeModel(missing, weights)).toThrow(ModelFormatError);
    expect(() => writeModel(missing, weights)).toThrow(
      'model file: the architecture has an outsideLex channel (outsideLexDim 4) but header.outsideLexicon, its word list, is missing [VOCAB_MISMATCH]',
    );
    const miscounted = { ...header, architecture: { ...header.architecture, outsideLexWords: 99 } };
    expect(() => writeModel(miscounted, weights)).toThrow(
      `model file: architecture.outsideLexWords is 99, header.outsideLexicon holds ${header.architecture.outsideLexWords} words [VOCAB_MISMATCH]`,
    );
    const noSegmenter = { ...header, segmenter: { kind: 'none' as const } };
    expect(() => writeModel(noSegmenter, weights)).toThrow(
      "model file: header.outsideLexicon.segmenterMask marks words of the segmenter's dictionary, but header.segmenter has none (kind 'none') [VOCAB_MISMATCH]",
    );
    // a reader without the channel would refuse the architecture field by name (checkArchitecture's rule)
    const old = JSON.parse(JSON.stringify(header));
    old.architecture.outsideLexSets = 16;
    expect(() => writeModel(old, weights)).toThrow(/header\.architecture\.outsideLexSets: unknown field/);
  });
});

describe('a run with the outsideLex channel and its own list (no segmenter words)', () => {
  const logs: string[] = [];
  const summary = run('own', { outsideLexicon: listFile, outsideLexDim: 4 }, logs);

  it('stores the normalised, distinct, sorted words in the header', async () => {
    const s = await summary;
    const { header } = readModel(readFileSync(s.models.f32));
    const want = [...new Set(listWords.map((w) => normalize(w, header.normalization).text))].sort();
    expect(header.outsideLexicon).toEqual({ words: want });
    expect(want).toHaveLength(4);
    expect(s.arch).toMatchObject({ outsideLexWords: 4, outsideLexDim: 4 });
    expect(logs).toContain('outside lexicon: 4 words, stored in the model file');
    // the segmenter did not get them: its dictionary has no 胆囊切除术
    expect(header.segmenter.kind === 'dict' && header.segmenter.words.includes('胆囊切除术')).toBe(false);
    expect(outsideLexiconOfHeader(header)).toBeInstanceOf(OutsideLexicon);
  });

  it('tags the same from the file and after a round trip, f32 and int8', async () => {
    await roundTrip(await summary);
  });

  it('a list file that cannot be read is named', async () => {
    const missing = join(ws.dir, 'missing.txt');
    await expect(run('bad', { outsideLexicon: missing, outsideLexDim: 4 }, [])).rejects.toThrow(
      `outsideLexicon ${missing}: cannot read (ENOENT)`,
    );
  });
});

describe('buildFeatureSpace with an outside list', () => {
  const docs = ccksLikeDocs(4);

  it('refuses a list it cannot make, with exact messages', () => {
    expect(() => buildFeatureSpace(docs, { segmenter: 'jieba', outsideLexicon: 'segmenter' })).toThrow(
      "buildFeatureSpace: outsideLexicon 'segmenter' needs the segmenterLexicon words (config.segmenterLexicon), got none",
    );
    expect(() =>
      buildFeatureSpace(docs, { segmenter: 'jieba', segmenterLexicon: [], outsideLexicon: 'segmenter' }),
    ).toThrow(
      "buildFeatureSpace: outsideLexicon 'segmenter' needs the segmenterLexicon words (config.segmenterLexicon), got an empty list",
    );
    expect(() => buildFeatureSpace(docs, { segmenter: 'none', outsideLexicon: [] })).toThrow(
      'buildFeatureSpace: the outsideLexicon word list is empty',
    );
    expect(() => buildFeatureSpace(docs, { segmenter: 'none', outsideLexicon: [3] as never })).toThrow(
      'buildFeatureSpace: outsideLexicon[0] is number, expected a string',
    );
  });

  it('its own list works with any segmenter, none included', () => {
    const space = buildFeatureSpace(docs, { segmenter: 'none', outsideLexicon: ['胆囊', '胆囊'] });
    expect(space.outsideLexicon).toEqual({ words: ['胆囊'] });
  });
});
