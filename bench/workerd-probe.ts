/**
 * The tagging work of one request, split for bench/workerd.bench.ts, which runs it both in workerd (a probe Worker)
 * and in Node: `tag` is what a request tags (tagger.tag with the default options, as POST /v1/tag does), `kernels`
 * the network's part of it alone (emissions + Viterbi on the same sentences, features prepared once).
 * Platform-neutral: no node: imports.
 */
import {
  Lexicon,
  channelIdsOf,
  createLookup,
  featurize,
  type ChannelField,
  type SentenceFeatures,
} from '../src/features/index.js';
import { readModel } from '../src/model/format.js';
import { lexiconSize } from '../src/model/layout.js';
import { loadInferenceKernels } from '../src/model/kernels.js';
import { createNetwork, type SentenceBatch } from '../src/model/network.js';
import { createSegmenter } from '../src/segment/index.js';
import { createTagger } from '../src/tagger.js';
import { tagTypes } from '../src/tags/bio.js';
import { taggableSentences } from '../src/text/sentences.js';

export interface Probe {
  /** tags `text` as a request does */
  tag(text: string): number;
  /** the kernels alone on `text`'s sentences (their features are prepared once per text, outside the count) */
  kernels(text: string): number;
}

export async function createProbe(bytes: Uint8Array, kernels: WebAssembly.Module): Promise<Probe> {
  const file = readModel(bytes);
  const h = file.header;
  const tagger = await createTagger({ model: file, kernels });
  const network = createNetwork(await loadInferenceKernels(kernels), h.architecture, file.weights);
  const segmenter = createSegmenter(h.segmenter);
  const lookup = createLookup(h.vocab);
  const table = h.consistency ?? null;
  const lexicon =
    lexiconSize(h.architecture) > 0 && table ? Lexicon.fromEntries(tagTypes(h.tags.labels), table.entries) : null;
  const prepared = new Map<string, SentenceFeatures[]>();
  const features = (text: string): SentenceFeatures[] => {
    let sentences = prepared.get(text);
    if (!sentences) {
      sentences = [];
      for (const { tokens } of taggableSentences(text, h.normalization)) {
        sentences.push(featurize(tokens, segmenter.cut(tokens.join('')), lookup, h.features, lexicon));
      }
      prepared.set(text, sentences);
    }
    return sentences;
  };
  return {
    tag: (text) => tagger.tag(text).entities.length,
    kernels(text) {
      const sentences = features(text);
      const batch: Partial<Record<ChannelField, Int32Array[]>> = {};
      for (const s of sentences) {
        for (const [field, ids] of Object.entries(channelIdsOf(s)) as [ChannelField, Int32Array][])
          (batch[field] ??= []).push(ids);
      }
      const ems = network.emissions(batch as SentenceBatch);
      let tags = 0;
      ems.forEach((em, i) => (tags += network.viterbi(em, sentences[i].charIds.length).path.length));
      return tags;
    },
  };
}
