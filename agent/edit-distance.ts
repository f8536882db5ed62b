/**
 * "Did you mean": the known word a small edit away from a mistyped one. Used for configuration keys
 * (agent/config/sources.ts) and for commands and flags (agent/cli/).
 */

/** Levenshtein distance: insertions, deletions and substitutions that turn a into b. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** The candidate nearest to `word`, if it is at most 2 edits (or a quarter of its length) away. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance && d <= Math.max(2, Math.floor(candidate.length / 4))) [best, bestDistance] = [candidate, d];
  }
  return best;
}
