/**
 * CoNLL `conlleval` (version 2004-01-26) on tag sequences: the same per-token state machine as the Perl
 * script, so ill-formed sequences score exactly as conlleval scores them — an `I-X` after `O` (or at a sentence
 * start) starts a chunk, `I-X` after `B-Y` ends the Y chunk and starts an X chunk. Each sentence is followed by a
 * boundary (conlleval's empty line): chunks never continue from one sentence into the next, and boundaries are
 * not counted as tokens. Precision, recall and F1 are fractions in [0, 1] (conlleval prints percentages).
 */
import type { Doc } from '../corpus/document.js';
import { docToBio, endOfChunk, splitTag, startOfChunk } from '../corpus/bio.js';
import { pairDocuments, type PairBy } from './entities.js';

export interface ConllCounts {
  /** Chunks in the gold tags (conlleval's foundCorrect). */
  foundGold: number;
  /** Chunks in the predicted tags (foundGuessed). */
  foundPred: number;
  /** Chunks identical in both (correctChunk). */
  correct: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ConllResult extends ConllCounts {
  tokens: number;
  /** Tokens whose predicted tag equals the gold tag. */
  correctTags: number;
  accuracy: number;
  perType: Record<string, ConllCounts>;
}

export interface TagSentence {
  gold: readonly string[];
  pred: readonly string[];
}

function counts(foundGold: number, foundPred: number, correct: number): ConllCounts {
  const precision = foundPred > 0 ? correct / foundPred : 0;
  const recall = foundGold > 0 ? correct / foundGold : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { foundGold, foundPred, correct, precision, recall, f1 };
}

export function conlleval(sentences: readonly TagSentence[]): ConllResult {
  if (!Array.isArray(sentences)) throw new TypeError(`conlleval expects an array of {gold, pred} sentences, got ${typeof sentences}`);
  let correctChunk = 0;
  let foundCorrect = 0;
  let foundGuessed = 0;
  let correctTags = 0;
  let tokens = 0;
  const correctBy = new Map<string, number>();
  const foundCorrectBy = new Map<string, number>();
  const foundGuessedBy = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  let inCorrect = false;
  let lastCorrect = 'O';
  let lastCorrectType = '';
  let lastGuessed = 'O';
  let lastGuessedType = '';

  // One step of conlleval's main loop; `boundary` is a sentence break (tags O/O, not counted as a token).
  const step = (goldTag: string, predTag: string, boundary: boolean): void => {
    const c = splitTag(goldTag);
    const g = splitTag(predTag);
    const correct = c.prefix;
    const correctType = c.type;
    const guessed = boundary ? 'O' : g.prefix;
    const guessedType = g.type;
    if (inCorrect) {
      const endC = endOfChunk(lastCorrect, correct, lastCorrectType, correctType);
      const endG = endOfChunk(lastGuessed, guessed, lastGuessedType, guessedType);
      if (endC && endG && lastGuessedType === lastCorrectType) {
        inCorrect = false;
        correctChunk++;
        inc(correctBy, lastCorrectType);
      } else if (endC !== endG || guessedType !== correctType) {
        inCorrect = false;
      }
    }
    const startC = startOfChunk(lastCorrect, correct, lastCorrectType, correctType);
    const startG = startOfChunk(lastGuessed, guessed, lastGuessedType, guessedType);
    if (startC && startG && guessedType === correctType) inCorrect = true;
    if (startC) {
      foundCorrect++;
      inc(foundCorrectBy, correctType);
    }
    if (startG) {
      foundGuessed++;
      inc(foundGuessedBy, guessedType);
    }
    if (!boundary) {
      if (correct === guessed && guessedType === correctType) correctTags++;
      tokens++;
    }
    lastGuessed = guessed;
    lastCorrect = correct;
    lastGuessedType = guessedType;
    lastCorrectType = correctType;
  };

  sentences.forEach((s, i) => {
    if (!s || !Array.isArray(s.gold) || !Array.isArray(s.pred)) throw new TypeError(`conlleval: sentence ${i} must be {gold: string[], pred: string[]}`);
    if (s.gold.length !== s.pred.length) {
      throw new Error(`conlleval: sentence ${i} has ${s.gold.length} gold tags but ${s.pred.length} predicted tags`);
    }
    for (let k = 0; k < s.gold.length; k++) step(s.gold[k], s.pred[k], false);
    step('O', 'O', true);
  });
  if (inCorrect) {
    correctChunk++;
    inc(correctBy, lastCorrectType);
  }

  const perType: Record<string, ConllCounts> = {};
  const types = [...new Set([...foundCorrectBy.keys(), ...foundGuessedBy.keys()])].sort();
  for (const t of types) perType[t] = counts(foundCorrectBy.get(t) ?? 0, foundGuessedBy.get(t) ?? 0, correctBy.get(t) ?? 0);
  return {
    ...counts(foundCorrect, foundGuessed, correctChunk),
    tokens,
    correctTags,
    accuracy: tokens > 0 ? correctTags / tokens : 0,
    perType,
  };
}

/** conlleval over documents: each paired document becomes one tag sequence (per code point, BIO). */
export function conllevalDocs(gold: readonly Doc[], pred: readonly Doc[], options: { pairBy?: PairBy } = {}): ConllResult {
  const sentences = pairDocuments(gold, pred, options.pairBy ?? 'auto').map(([g, p]) => ({ gold: docToBio(g).tags, pred: docToBio(p).tags }));
  return conlleval(sentences);
}

/** conlleval's own report layout (percentages with two decimals). */
export function formatConlleval(r: ConllResult): string {
  const pct = (x: number) => (100 * x).toFixed(2).padStart(6);
  const lines = [
    `processed ${r.tokens} tokens with ${r.foundGold} phrases; found: ${r.foundPred} phrases; correct: ${r.correct}.`,
  ];
  if (r.tokens > 0) {
    lines.push(`accuracy: ${pct(r.accuracy)}%; precision: ${pct(r.precision)}%; recall: ${pct(r.recall)}%; FB1: ${pct(r.f1)}`);
  }
  for (const [t, c] of Object.entries(r.perType)) {
    lines.push(`${t.padStart(17)}: precision: ${pct(c.precision)}%; recall: ${pct(c.recall)}%; FB1: ${pct(c.f1)}  ${c.foundPred}`);
  }
  return lines.join('\n') + '\n';
}
