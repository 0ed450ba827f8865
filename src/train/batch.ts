/**
 * Training examples and their lockstep-batch form. A batch is time-major (row t·B + b) with its sentences
 * sorted longest first, so the sentences still running at step t are the prefix b < active[t].
 */

import { CHANNELS, type ChannelField, type ChannelIds, badChannelId, channelColumns, channelPresent } from '../features/channels.js';
import type { Architecture } from '../model/layout.js';

/**
 * One training sentence as ids, all of length T (one entry per character): the gold tags and every input
 * channel's ids (ChannelIds, src/features/channels.ts): charIds and wordIds [T] always; bigramIds [T] and
 * lexIds [T × lexTypes] when the architecture has those channels.
 */
export interface Sentence extends ChannelIds {
  tagIds: Int32Array;
}

/**
 * Sentences in lockstep: every channel's ids (ChannelIds, as in Sentence) and the tags, time-major
 * [T·B × idsPerToken] (row t·B + b holds slot b's ids of step t; 0 past a sentence's end).
 */
export interface PreparedBatch extends ChannelIds {
  /** sentences in the batch */
  B: number;
  /** longest length */
  T: number;
  /** characters in the batch (Σ lengths) */
  chars: number;
  /** order[b] = index in the caller's list of the sentence in lockstep slot b */
  order: Int32Array;
  /** [B] lengths, non-increasing */
  lengths: Int32Array;
  /** [T] sentences running at step t */
  active: Int32Array;
  /** [B] stable per-sentence keys (dropout masks are a function of the key) */
  keys: Int32Array;
  /** [T·B] time-major tag ids; 0 past a sentence's end */
  tagIds: Int32Array;
}

/** Throws unless `s` is a sentence of consistent, in-range ids for `arch`. */
export function validateSentence(s: Sentence, arch: Architecture, index = 0): void {
  const what = `sentence ${index}`;
  if (!(s.tagIds instanceof Int32Array)) throw new Error(`${what}: tagIds must be an Int32Array`);
  const T = s.tagIds.length;
  if (T === 0) throw new Error(`${what}: empty (length 0)`);
  for (let t = 0; t < T; t++) if (!(s.tagIds[t] >= 0 && s.tagIds[t] < arch.tags)) throw new Error(`${what}: tagIds[${t}] = ${s.tagIds[t]} outside [0, ${arch.tags})`);
  for (const ch of CHANNELS) {
    if (!channelPresent(ch, arch)) continue;
    const ids = s[ch.field];
    const per = ch.idsPerToken(arch);
    const shape = per > 1 ? `${T} × ${per}` : `${T}`;
    if (!(ids instanceof Int32Array)) {
      throw new Error(`${what}: ${ch.core ? '' : `the architecture has a ${ch.name} channel: `}${ch.field} must be an Int32Array [${per > 1 ? `T × ${per}` : 'T'}]`);
    }
    if (ids.length !== T * per) throw new Error(`${what}: ${ch.field} has ${ids.length} ids, expected ${shape} (tagIds has ${T})`);
    // a core channel that is off (dimension 0) keeps its ids, unread
    const bad = channelColumns(ch, arch) > 0 ? badChannelId(ch, arch, ids) : null;
    if (bad) throw new Error(`${what}: ${ch.field}[${bad.index}] ${bad.text}`);
  }
}

/**
 * Lays `sentences` out as a lockstep batch. keys[i] (default: i) identifies sentence i for its dropout mask;
 * pass global indices so the masks do not depend on how a mini-batch is split between workers.
 */
export function prepareBatch(sentences: Sentence[], arch: Architecture, keys?: ArrayLike<number>): PreparedBatch {
  const B = sentences.length;
  if (B === 0) throw new Error('prepareBatch: expected at least one sentence, got 0');
  if (keys && keys.length !== B) throw new Error(`prepareBatch: expected ${B} keys, got ${keys.length}`);
  sentences.forEach((s, i) => validateSentence(s, arch, i));
  const order = Int32Array.from(sentences.keys()).sort((x, y) => sentences[y].tagIds.length - sentences[x].tagIds.length || x - y);
  const lengths = Int32Array.from(order, (i) => sentences[i].tagIds.length); // [B]
  const T = lengths[0];
  const active = new Int32Array(T); // [T]
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) active[t]++;
  // [T·B·width] time-major: row t·B + b holds sentence order[b]'s ids of step t (zeros past its end)
  const timeMajor = (field: (s: Sentence) => Int32Array, width = 1): Int32Array => {
    const out = new Int32Array(T * B * width);
    for (let b = 0; b < B; b++) {
      const src = field(sentences[order[b]]);
      for (let t = 0; t < lengths[b]; t++) {
        for (let j = 0; j < width; j++) out[(t * B + b) * width + j] = src[t * width + j];
      }
    }
    return out;
  };
  let chars = 0;
  for (let b = 0; b < B; b++) chars += lengths[b];
  const keyArr = Int32Array.from(order, (i) => (keys ? keys[i] : i) | 0);
  const ids: Partial<Record<ChannelField, Int32Array>> = {};
  for (const ch of CHANNELS) if (channelPresent(ch, arch)) ids[ch.field] = timeMajor((s) => s[ch.field]!, ch.idsPerToken(arch)); // [T·B, idsPerToken]
  return { B, T, chars, order, lengths, active, keys: keyArr, ...(ids as ChannelIds), tagIds: timeMajor((s) => s.tagIds) };
}
