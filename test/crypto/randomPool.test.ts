/**
 * The pool of random bytes behind tokens and IVs (src/crypto/randomPool.ts): every draw is new bytes, of the size
 * asked, across the pool's refills; a buffer handed out is the caller's own; a draw larger than the pool is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytesFromPool, randomHexFromPool } from '../../src/crypto/randomPool.js';

test('draws across several refills of the pool never repeat, and have the size asked', () => {
  // 16 bytes a draw, 4 096 a pool: 3 000 draws span a dozen refills; two equal 128-bit values would mean reuse.
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const hex = randomHexFromPool(16);
    assert.match(hex, /^[0-9a-f]{32}$/);
    seen.add(hex);
    const bytes = randomBytesFromPool(12);
    assert.equal(bytes.length, 12);
    seen.add(bytes.toString('hex'));
  }
  assert.equal(seen.size, 6000);
});

test('the bytes look uniform: each bit is set about half the time', () => {
  const counts = new Array<number>(8).fill(0);
  const draws = 20_000;
  for (let i = 0; i < draws; i++) {
    const byte = randomBytesFromPool(1)[0];
    for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) counts[bit]++;
  }
  // Binomial(20 000, ½): σ ≈ 71; 6σ either side leaves no room for a stuck bit or a zeroed pool.
  for (const count of counts) assert.ok(Math.abs(count - draws / 2) < 430, `bit set ${count} of ${draws} times`);
});

test('a buffer handed out is its own: the pool wiping what it gave away does not reach it, nor does changing it reach a later draw', () => {
  const first = randomBytesFromPool(16);
  assert.ok(!first.equals(Buffer.alloc(16)), 'the draw was wiped with the pool: it is a view of the pool, not a copy');
  first.fill(0);
  const next = Array.from({ length: 300 }, () => randomBytesFromPool(16));
  assert.ok(next.every((b) => !b.equals(Buffer.alloc(16))), 'a later draw came back zeroed: it shares memory with an earlier one');
});

test('a draw larger than the pool is refused rather than served from a short pool', () => {
  assert.throws(() => randomBytesFromPool(4097), RangeError);
  assert.equal(randomBytesFromPool(4096).length, 4096);
});
