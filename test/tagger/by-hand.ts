/**
 * The tagger's answer recomputed by hand from a model file, shared by the channel end-to-end tests
 * (lexicon.test.ts, bigram.test.ts): the caller builds each sentence's ids its own way and runs the network on
 * its windows; this decodes them the documented way (CRF best path, exact entity probabilities).
 */
import { expect } from 'vitest';
import type { ModelFile } from '../../src/model/format.js';
import { loadInferenceKernels } from '../../src/model/kernels.js';
import { type Network, type SentenceBatch, createNetwork } from '../../src/model/network.js';
import type { Entity } from '../../src/tagger.js';
import { type CrfParams, entityLogProb, forwardBackwardKernels } from '../../src/model/crf.js';
import { tagIdsToSpans } from '../../src/tags/bio.js';
import { type Span, splitWindows, taggableSentences } from '../../src/text/sentences.js';

/** The ids of one sentence's windows, as the caller builds them. */
export type WindowIds = (tokens: string[], windows: Span[]) => SentenceBatch;

/**
 * What the tagger should answer for `text`: entities of single-window sentences (with their exact CRF
 * probability) and the summed path log-probability of every window, with windows cut as the tagger cuts them
 * for `maxSentence`.
 */
export async function taggedByHand(file: ModelFile, wasm: Uint8Array, text: string, maxSentence: number, idsOf: WindowIds): Promise<{ entities: Entity[]; logProb: number }> {
  const h = file.header;
  const kernels = await loadInferenceKernels(wasm);
  const net: Network = createNetwork(kernels, h.architecture, file.weights);
  const f64 = (name: string) => Float64Array.from(file.weights.get(name)!.data as Float32Array);
  const crf: CrfParams = { crf: true, K: h.architecture.tags, trans: f64('crf.trans'), start: f64('crf.start'), end: f64('crf.end') };
  const labels = h.tags.labels;
  const entities: Entity[] = [];
  let logProb = 0;
  for (const s of taggableSentences(text, h.normalization)) {
    const windows = splitWindows({ start: 0, end: s.tokens.length }, maxSentence, Math.min(32, Math.floor(maxSentence / 4)));
    const ems = net.emissions(idsOf(s.tokens, windows));
    expect(ems).toHaveLength(windows.length);
    windows.forEach((w, wi) => {
      const T = w.end - w.start;
      const lat = forwardBackwardKernels(kernels, ems[wi], T, crf); // as the tagger (the JS reference: test/kernels/lattice.test.ts)
      const [best] = net.kbest(ems[wi], T, 1);
      logProb += Math.min(0, best.score - lat.logZ);
      if (windows.length > 1) return; // entities of one window only (the merge is the tagger's own business)
      for (const span of tagIdsToSpans(best.path, labels)) {
        const b = labels.indexOf(`B-${span.type}`);
        const i = labels.indexOf(`I-${span.type}`);
        const start = s.offsets[span.start];
        const end = s.offsets[span.end];
        entities.push({ type: span.type, start, end, text: text.slice(start, end), score: Math.exp(entityLogProb(lat, span.start, span.end, b, i)) });
      }
    });
  }
  return { entities, logProb };
}
