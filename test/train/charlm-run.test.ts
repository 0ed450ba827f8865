/**
 * A training run with the charLm channel (config.charLm.hidden > 0): the char LMs are pre-trained on the
 * unlabeled texts and the TRAINING part's texts only, stay frozen through training, travel in the model file
 * (f32 and int8) and tag the same after a round trip; a reader refuses an architecture field it does not know.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CHAR_LM_DIRECTIONS, CHAR_LM_PARTS, charLmTensor } from '../../src/features/channels.js';
import { checkHeader, readModel } from '../../src/model/format.js';
import { charLmForRun, charLmSentences } from '../../src/train/charlm.js';
import { DEFAULT_CONFIG, identityOf, resolveConfig } from '../../src/train/config.js';
import { hash32 } from '../../src/train/rng.js';
import { readSplit, readUnlabeled, runTraining } from '../../src/train/run.js';
import { expectRoundTrip } from '../helpers/model-round-trip.js';
import { pipelineWorkspace } from '../pipeline/fixture.js';

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());

describe('config.charLm', () => {
  it('is off by default and leaves config identities alone; hidden > 0 turns the channel on', () => {
    expect(DEFAULT_CONFIG.charLm).toEqual({ hidden: 0, dim: 32, steps: 400, batch: 32, seqLen: 100, lr: 0.004 });
    expect(identityOf(resolveConfig())).not.toHaveProperty('charLm');
    expect(resolveConfig({ charLm: { hidden: 64 } as never }).charLm).toEqual({ ...DEFAULT_CONFIG.charLm, hidden: 64 });
    expect(() => resolveConfig({ charLm: { width: 64 } as never })).toThrow(/^config: charLm\.width/);
  });
});

describe('a run with the charLm channel', () => {
  const charLm = { hidden: 8, dim: 4, steps: 6, batch: 4, seqLen: 20, lr: 0.01 };
  const config = resolveConfig({
    charDim: 8,
    wordDim: 4,
    lstm: [8],
    dropout: 0,
    epochs: 2,
    patience: 0,
    workers: 1,
    batchSize: 8,
    charLm,
  });
  const logs: string[] = [];
  const run = runTraining({
    data: ws.corpus,
    unlabeled: ws.unlabeled,
    out: `${ws.dir}/run`,
    config,
    progress: false,
    log: (l) => logs.push(l),
  });

  it('pre-trains the LMs on the unlabeled and training texts only, and the model keeps them frozen', async () => {
    const s = await run;
    expect(s.arch).toMatchObject({ charLmHidden: 8, charLmDim: 4 });
    const { split } = await readSplit(ws.corpus);
    const file = readModel(readFileSync(s.models.f32));
    const h = file.header;
    // what the LMs learned from: the unlabeled lines and the train part — never dev or test
    const texts = [...readUnlabeled(ws.unlabeled), ...split.train.map((d) => d.text)];
    const sentences = charLmSentences(texts, h.normalization, h.vocab.chars);
    const chars = sentences.reduce((n, x) => n + x.length, 0);
    expect(logs).toContain(
      `char LM: ${sentences.length} sentences, ${chars} chars; hidden 8, dim 4, 6 steps × 4 pieces of 20 chars per direction`,
    );
    const withDev = charLmSentences([...texts, ...split.dev.map((d) => d.text)], h.normalization, h.vocab.chars);
    expect(withDev.length).toBeGreaterThan(sentences.length);
    expect(logs.filter((l) => /^char LM (fw|bw) step 6\/6: loss \d/.test(l))).toHaveLength(2);
    // the file's LM tensors are exactly the pre-trained ones: training left them alone
    const lm = charLmForRun(
      h.architecture,
      texts,
      h.normalization,
      h.vocab.chars,
      charLm,
      hash32(config.seed, 8),
      () => {},
    );
    for (const dir of CHAR_LM_DIRECTIONS) {
      for (const part of CHAR_LM_PARTS) {
        const name = charLmTensor(dir, part);
        expect(file.weights.get(name)!.data, name).toEqual(lm.tensors.get(name)!.data);
      }
    }
    const q8 = readModel(readFileSync(s.models.int8));
    expect(q8.weights.get(charLmTensor('fw', 'w_ih'))!.dtype).toBe('i8');
    expect(q8.weights.get(charLmTensor('bw', 'bias'))!.dtype).toBe('f32');
  });

  it('tags the same from the file and after a round trip through readModel / writeModel, f32 and int8', async () => {
    const s = await run;
    const { split } = await readSplit(ws.corpus);
    await expectRoundTrip(
      [s.models.f32, s.models.int8],
      split.test.map((d) => d.text),
    );
  });

  it('a reader refuses an architecture field it does not know, by name', async () => {
    const s = await run;
    const { header } = readModel(readFileSync(s.models.f32));
    const json = JSON.parse(JSON.stringify(header));
    json.architecture.charLmWidth = json.architecture.charLmHidden;
    expect(() => checkHeader(json)).toThrow(
      /^model file: header\.architecture\.charLmWidth: unknown field \(the model needs a newer reader; this one knows .*charLmDim, charLmHidden(, \w+)*\) \[BAD_HEADER\]$/,
    );
  });
});
