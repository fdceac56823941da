import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matchesWildcard } from '../../src/ram/wildcard.js';

/**
 * Independent reference: the textbook recursive definition of `*`/`?` matching, memoised so generated
 * star-heavy patterns stay fast. Works on code points like the implementation.
 */
function recursiveMatch(pattern: string, value: string, same: (a: string, b: string) => boolean): boolean {
  const p = Array.from(pattern);
  const v = Array.from(value);
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const slot = i * (v.length + 1) + j;
    const known = memo.get(slot);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === p.length) result = j === v.length;
    else if (p[i] === '*') result = go(i + 1, j) || (j < v.length && go(i, j + 1));
    else result = j < v.length && (p[i] === '?' || same(p[i]!, v[j]!)) && go(i + 1, j + 1);
    memo.set(slot, result);
    return result;
  };
  return go(0, 0);
}

const exact = (a: string, b: string) => a === b;
const folded = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const over = (alphabet: string, maxLength: number) =>
  fc.array(fc.constantFrom(...alphabet), { maxLength }).map((chars) => chars.join(''));

describe('matchesWildcard examples', () => {
  const cases: Array<[pattern: string, value: string, expected: boolean]> = [
    ['*', '', true],
    ['*', 'anything at all', true],
    ['', '', true],
    ['', 'a', false],
    ['?', '', false],
    ['?', 'a', true],
    ['?', 'ab', false],
    ['a*b', 'ab', true],
    ['a*b', 'axxxb', true],
    ['a*b', 'axxxbc', false],
    ['a*b*c', 'abbbcbc', true],
    ['*ab', 'aab', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['imm:Get*', 'imm:GetProject', true],
    ['acs:imm:*:123:project/*', 'acs:imm:cn-hangzhou:123:project/p1', true],
    ['acs:imm:*:123:project/*', 'acs:imm:cn-hangzhou:456:project/p1', false],
  ];
  for (const [pattern, value, expected] of cases) {
    test(`"${pattern}" ${expected ? 'matches' : 'does not match'} "${value}"`, () => {
      assert.equal(matchesWildcard(pattern, value), expected);
    });
  }

  test('regular-expression metacharacters in the pattern are literal', () => {
    assert.equal(matchesWildcard('a.b', 'axb'), false);
    assert.equal(matchesWildcard('a.b', 'a.b'), true);
    assert.equal(matchesWildcard('[ab]', 'a'), false);
    assert.equal(matchesWildcard('[ab]', '[ab]'), true);
    assert.equal(matchesWildcard('(a+)+$', 'aaaa'), false);
    assert.equal(matchesWildcard('^a|b', 'b'), false);
    assert.equal(matchesWildcard('\\d', '1'), false);
  });

  test('matching is case-sensitive unless caseInsensitive is set', () => {
    assert.equal(matchesWildcard('imm:get*', 'imm:GetProject'), false);
    assert.equal(matchesWildcard('imm:get*', 'IMM:GetProject', { caseInsensitive: true }), true);
    assert.equal(matchesWildcard('IMM:?ETPROJECT', 'imm:getproject', { caseInsensitive: true }), true);
  });

  test('`?` matches one character even outside the Basic Multilingual Plane', () => {
    assert.equal(matchesWildcard('a?b', 'a😀b'), true);
    assert.equal(matchesWildcard('a??b', 'a😀b'), false);
  });

  test('the adversarial "*a*a*…*b" (6000 characters) against 15 000 "a"s is answered in linear work', () => {
    const pattern = `${'*a'.repeat(2999)}*b`;
    const value = 'a'.repeat(15_000);
    assert.equal(pattern.length, 6000);
    const work = { steps: 0 };
    assert.equal(matchesWildcard(pattern, value, { work }), false);
    assertLinear(work, pattern, value);
    // The same pattern with a match to find: every middle segment is found at once, "b" by one scan.
    const found = { steps: 0 };
    assert.equal(matchesWildcard(`${'*a'.repeat(2999)}*b*`, `${value}b`, { work: found }), true);
    assertLinear(found, pattern, `${value}b`);
  });

  test('a long segment that almost matches everywhere ("*aaa…ab", 6000 characters, against 15 000 "a"s) is answered in linear work', () => {
    const pattern = `*${'a'.repeat(5998)}b`;
    const value = 'a'.repeat(15_000);
    const work = { steps: 0 };
    assert.equal(matchesWildcard(pattern, value, { work }), false);
    assertLinear(work, pattern, value);
    const middle = { steps: 0 };
    assert.equal(matchesWildcard(`${pattern}*`, value, { work: middle }), false);
    assertLinear(middle, pattern, value);
  });

  test('segments longer than 32 characters, with and without "?", are found across machine words', () => {
    const segment = 'ab?'.repeat(30); // 90 characters: three words of the bit-parallel search
    const matching = `${'x'.repeat(500)}${'abZ'.repeat(30)}${'y'.repeat(500)}`;
    assert.equal(matchesWildcard(`*${segment}*`, matching), true);
    assert.equal(matchesWildcard(`*${segment}*`, matching.replace('abZabZ', 'abZaXZ')), false);
    const literal = 'q'.repeat(70);
    assert.equal(matchesWildcard(`x*${literal}*y`, `x${'q'.repeat(69)}-${literal}y`), true);
    assert.equal(matchesWildcard(`x*${literal}*y`, `x${'q'.repeat(69)}-${'q'.repeat(69)}y`), false);
  });
});

/** The bound the matcher promises: O(|value|·⌈k/32⌉ + |pattern|), k the longest run of the pattern without `*`. */
function assertLinear(work: { steps: number }, pattern: string, value: string) {
  const longest = Math.max(...pattern.split('*').map((segment) => Array.from(segment).length));
  const bound = 2 * (1 + Array.from(pattern).length + Array.from(value).length * (1 + Math.ceil(longest / 32)));
  assert.ok(work.steps > 0, 'the matcher counted its work');
  assert.ok(work.steps <= bound, `${work.steps} steps for |pattern| ${pattern.length}, |value| ${value.length}, longest segment ${longest}: more than ${bound}`);
}

describe('matchesWildcard properties', () => {
  test('agrees with an independent recursive matcher on random patterns and strings over "ab*?"', () => {
    fc.assert(
      fc.property(over('ab*?', 10), over('ab*?', 10), (pattern, value) => {
        assert.equal(matchesWildcard(pattern, value), recursiveMatch(pattern, value, exact));
      }),
      { numRuns: 3000 },
    );
  });

  test('case-insensitive matching agrees with the recursive matcher over "aAbB*?"', () => {
    fc.assert(
      fc.property(over('aAbB*?', 8), over('aAbB', 8), (pattern, value) => {
        assert.equal(matchesWildcard(pattern, value, { caseInsensitive: true }), recursiveMatch(pattern, value, folded));
      }),
      { numRuns: 2000 },
    );
  });

  test('a pattern without wildcards matches exactly itself', () => {
    fc.assert(
      fc.property(over('ab.', 6), over('ab.', 6), (pattern, value) => {
        assert.equal(matchesWildcard(pattern, value), pattern === value);
      }),
    );
  });

  test('"*s*" matches exactly the strings containing s', () => {
    fc.assert(
      fc.property(over('ab', 4), over('ab', 10), (needle, haystack) => {
        assert.equal(matchesWildcard(`*${needle}*`, haystack), haystack.includes(needle));
      }),
    );
  });

  test('long inputs: agrees with the recursive matcher, within the linear bound', () => {
    fc.assert(
      fc.property(over('ab*?', 120), over('ab', 400), fc.boolean(), (pattern, value, caseInsensitive) => {
        const work = { steps: 0 };
        const subject = caseInsensitive ? value.toUpperCase() : value;
        assert.equal(matchesWildcard(pattern, subject, { caseInsensitive, work }), recursiveMatch(pattern, subject, caseInsensitive ? folded : exact));
        assertLinear(work, pattern, subject);
      }),
      { numRuns: 300 },
    );
  });

  test('long star-free runs (several machine words) agree with the recursive matcher', () => {
    const run = over('ab?', 100);
    fc.assert(
      fc.property(run, run, over('ab', 300), (first, second, value) => {
        for (const pattern of [`*${first}*`, `${first}*${second}`, `*${first}*${second}*`]) {
          const work = { steps: 0 };
          assert.equal(matchesWildcard(pattern, value, { work }), recursiveMatch(pattern, value, exact), pattern);
          assertLinear(work, pattern, value);
        }
      }),
      { numRuns: 200 },
    );
  });
});
