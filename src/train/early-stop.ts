/**
 * Best-model selection and early stopping on dev F1, and the choice between the averaged and the raw weights.
 *
 * The stopper keeps its figures in the trainer's checkpointed state (TrainerState: bestF1, bestEpoch, badEpochs),
 * so a resumed run continues where the interrupted one stopped.
 */

/** The part of the trainer's state the stopper reads and writes (bestF1 −1 and bestEpoch 0 before any epoch). */
export interface StopState {
  bestF1: number;
  bestEpoch: number;
  /** epochs since the last improvement */
  badEpochs: number;
}

export class EarlyStopper {
  /**
   * @param patience stop after this many epochs without an improvement (0 = never stop early)
   * @param selectOnDev false when there are no dev sentences: every epoch counts as the best (the last one is kept)
   *   and patience never stops the run
   */
  constructor(
    readonly patience: number,
    readonly selectOnDev: boolean,
    readonly state: StopState,
  ) {
    if (!(Number.isInteger(patience) && patience >= 0))
      throw new RangeError(`EarlyStopper: expected patience ≥ 0, got ${patience}`);
  }

  /** Records the score of `epoch`; true when it is the best so far (strictly above the best: ties keep the earlier). */
  observe(epoch: number, f1: number): boolean {
    const s = this.state;
    const improved = !this.selectOnDev || f1 > s.bestF1;
    if (improved) {
      s.bestF1 = f1;
      s.bestEpoch = epoch;
      s.badEpochs = 0;
    } else {
      s.badEpochs++;
    }
    return improved;
  }

  /** whether patience has run out */
  get shouldStop(): boolean {
    return this.patience > 0 && this.state.badEpochs >= this.patience;
  }
}

/**
 * Which weights stand for an epoch: with an average, the better of the averaged and the raw weights on dev (ties:
 * the average), so averaging never keeps a model that scores below the plain run; with no dev score for the raw
 * weights (no dev sentences) the average stands; without an average, the raw weights.
 */
export function betterOf<S extends { f1: number }>(
  averaged: S | undefined,
  raw: S | undefined,
): { kept: 'raw' | 'average'; score: S } {
  if (averaged !== undefined && !(raw !== undefined && raw.f1 > averaged.f1))
    return { kept: 'average', score: averaged };
  if (raw === undefined) throw new Error('betterOf: no score for either the averaged or the raw weights');
  return { kept: 'raw', score: raw };
}
