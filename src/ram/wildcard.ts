/**
 * RAM wildcard matching: `*` matches any run of characters (including none), `?` exactly one character,
 * everything else is literal. Characters are code points, so `?` matches one even outside the BMP.
 *
 * Patterns come from user-written policies and values from requests, so the work must be bounded by their
 * sizes alone: no RegExp built from the pattern (escaping, backtracking), and no backtracking scan either (the
 * classic two-pointer scan re-walks a long segment at every position: O(pattern × value)). Instead the pattern
 * is split on `*` into segments of fixed length: the first must match at the start, the last at the end, and
 * each one between is taken at its leftmost occurrence after the previous one — for `*`-globs the leftmost
 * occurrence always leaves the most room, so this is exact. Occurrences are found with a bit-parallel
 * (shift-and) search that handles `?` by its bit mask, reading each value character once per 32 characters of
 * the sought segment. The whole match is O(|value| · ⌈k/32⌉ + |pattern|) for k the longest segment.
 */
export interface WildcardOptions {
  /** Action names are compared case-insensitively (code points by their lower-case form); resources and StringLike values are not. */
  caseInsensitive?: boolean;
  /** Adds the matcher's steps (characters read, words of bit state updated) here, to see the bound hold. */
  work?: { steps: number };
}

/** A segment of the pattern between stars: each character's comparison key, or ANY for `?`. */
type Segment = Array<string | typeof ANY>;
const ANY = null;

export function matchesWildcard(pattern: string, value: string, options: WildcardOptions = {}): boolean {
  const key = options.caseInsensitive ? (c: string) => c.toLowerCase() : (c: string) => c;
  const work = options.work ?? { steps: 0 };
  const segments: Segment[] = [[]];
  let read = 1;
  for (const c of pattern) {
    read += 1;
    if (c === '*') segments.push([]);
    else segments.at(-1)!.push(c === '?' ? ANY : key(c));
  }
  const v = Array.from(value, key);
  work.steps += read + v.length;

  const head = segments[0]!;
  if (segments.length === 1) return head.length === v.length && matchesAt(head, v, 0, work);
  const tail = segments.at(-1)!;
  const end = v.length - tail.length;
  if (head.length > end || !matchesAt(head, v, 0, work) || !matchesAt(tail, v, end, work)) return false;
  let from = head.length;
  for (const segment of segments.slice(1, -1)) {
    if (segment.length === 0) continue; // `**`
    const after = leftmostOccurrence(segment, v, from, end, work);
    if (after < 0) return false;
    from = after;
  }
  return true;
}

function matchesAt(segment: Segment, v: string[], at: number, work: { steps: number }): boolean {
  work.steps += segment.length;
  return segment.every((c, i) => c === ANY || c === v[at + i]);
}

/**
 * Where the first occurrence of `segment` inside `v[from, end)` ends (exclusive), or -1. Shift-and: bit i of
 * the state says "the segment's first i+1 characters end here"; each value character shifts the state in and
 * keeps the bits its mask allows. Masks are built only for characters met, from each one's positions.
 */
function leftmostOccurrence(segment: Segment, v: string[], from: number, end: number, work: { steps: number }): number {
  const k = segment.length;
  if (k > end - from) return -1;
  const words = Math.ceil(k / 32);
  const anyMask = new Uint32Array(words);
  const positions = new Map<string, number[]>();
  segment.forEach((c, i) => {
    if (c === ANY) anyMask[i >>> 5]! |= 1 << (i & 31);
    else {
      const list = positions.get(c);
      if (list) list.push(i);
      else positions.set(c, [i]);
    }
  });
  const masks = new Map<string, Uint32Array>();
  const maskOf = (c: string): Uint32Array => {
    const cached = masks.get(c);
    if (cached) return cached;
    const at = positions.get(c);
    if (!at) return anyMask;
    const mask = anyMask.slice();
    for (const i of at) mask[i >>> 5]! |= 1 << (i & 31);
    masks.set(c, mask);
    work.steps += words + at.length;
    return mask;
  };

  const state = new Uint32Array(words);
  const last = words - 1;
  const lastBit = 1 << ((k - 1) & 31);
  for (let j = from; j < end; j++) {
    const mask = maskOf(v[j]!);
    let carry = 1; // a match may start at every position
    for (let w = 0; w < words; w++) {
      const bits = state[w]!;
      state[w] = ((bits << 1) | carry) & mask[w]!;
      carry = bits >>> 31;
    }
    work.steps += words;
    if ((state[last]! & lastBit) !== 0) return j + 1;
  }
  return -1;
}
