/**
 * Edit distance counting an adjacent transposition as one edit (optimal string alignment), on
 * already lower-cased strings. Stops early and returns `limit + 1` once every alignment is worse
 * than `limit`: callers only care whether a candidate is close, and most are not.
 */
function distance(s: string, t: string, limit: number): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    let rowBest = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, beforePrevious[j - 2]! + 1);
      }
      row.push(best);
      rowBest = Math.min(rowBest, best);
    }
    // No later row can do better than this one: even a transposition, reaching back two rows,
    // costs at least what the substitution in the row between did.
    if (rowBest > limit) return limit + 1;
    beforePrevious = previous;
    previous = row;
  }
  return previous[t.length]!;
}

/**
 * The candidate closest to `name` (ignoring case), if it is close enough to be a likely typo:
 * at most max(1, ⌊length / 3⌋) edits away. Ties go to the earlier candidate.
 */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    // Each edit changes the length by at most one, so this skips most candidates for free.
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const d = distance(wanted, candidate.toLowerCase(), bestDistance - 1);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
      if (d === 0) break;
    }
  }
  return best;
}
