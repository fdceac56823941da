import { timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison, so a forged signature or token hash cannot be found byte by byte from response times. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    // timingSafeEqual throws on unequal lengths; compare something anyway so both paths cost about the same.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
