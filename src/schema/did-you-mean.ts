/**
 * The did-you-mean of the CLI (unknown commands and options) and of the config validator (unknown fields): the
 * known name a mistyped one most likely meant.
 */

/** Edit distance between two strings: insertions, deletions, substitutions and swaps of two neighbours count 1. */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate `word` likely meant: the nearest one when it is close enough to be a typo (distance ≤ 2 and under
 * half the word's length), else the shortest that starts with `word` (`--out` → `output`), else undefined.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (bestDistance <= Math.min(2, Math.ceil(word.length / 2) - 1 || 1)) return best;
  const longer = word.length >= 2 ? candidates.filter((c) => c.startsWith(word)) : [];
  return longer.length === 0 ? undefined : longer.reduce((a, c) => (c.length < a.length ? c : a));
}
