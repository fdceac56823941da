/**
 * RAM wildcard matching: `*` matches any run of characters (including none), `?` exactly one character,
 * everything else is literal.
 *
 * Why not a RegExp built from the pattern: patterns come from user-written policies, so a RegExp would need
 * escaping and could backtrack exponentially on hostile input. The greedy two-pointer scan below remembers
 * only the last `*` and is O(pattern × value) in the worst case, linear in practice.
 */
export interface WildcardOptions {
  /** Action names are compared case-insensitively; resources and StringLike values are not. */
  caseInsensitive?: boolean;
}

export function matchesWildcard(pattern: string, value: string, options: WildcardOptions = {}): boolean {
  // Code points, not UTF-16 units, so `?` matches one character even outside the BMP.
  const p = Array.from(pattern);
  const v = Array.from(value);
  const same = options.caseInsensitive ? sameIgnoringCase : (a: string, b: string) => a === b;

  let i = 0; // position in the pattern
  let j = 0; // position in the value
  let star = -1; // index of the last `*` seen in the pattern
  let resume = 0; // value position the last `*` currently extends to

  while (j < v.length) {
    if (i < p.length && p[i] === '*') {
      // Tentatively let the `*` match nothing; remember where to widen it.
      star = i;
      resume = j;
      i += 1;
    } else if (i < p.length && (p[i] === '?' || same(p[i]!, v[j]!))) {
      i += 1;
      j += 1;
    } else if (star >= 0) {
      // Mismatch: let the last `*` absorb one more character and retry after it. Earlier stars never need
      // revisiting, because the last one can absorb anything they could.
      resume += 1;
      j = resume;
      i = star + 1;
    } else {
      return false;
    }
  }
  // The value is consumed; only trailing stars may remain.
  while (i < p.length && p[i] === '*') i += 1;
  return i === p.length;
}

function sameIgnoringCase(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
}
