/**
 * "Did you mean" suggestions for mistyped names.
 *
 * @module
 */

/**
 * Edit distance between `a` and `b`: insertions, deletions, substitutions and
 * swaps of two neighbouring characters each cost 1 (optimal string alignment),
 * so the common typo `histroy` is 1 from `history`, not 2.
 */
export function editDistance(a: string, b: string): number {
  // Three rows suffice: a swap looks back two rows.
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, before[j - 2] + 1);
      }
      cur.push(d);
    }
    [before, prev] = [prev, cur];
  }
  return prev[b.length];
}

/**
 * The candidate nearest to `word`, ignoring case, when it is near enough to be
 * a typo: at most 1 edit for words up to 5 characters, 2 for longer ones (a
 * short word is a few edits from every other short word). Ties go to the
 * candidate listed first.
 *
 * @returns the suggestion, or `undefined` when nothing is near
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = w.length <= 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}
