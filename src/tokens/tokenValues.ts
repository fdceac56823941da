import { hash } from 'node:crypto';
import { randomHexFromPool } from '../crypto/randomPool.js';

/** A WebOffice token as IMM shapes it: 128 random bits as 32 lower-case hex characters. */
export function newToken(): string {
  return randomHexFromPool(16);
}

/**
 * What is stored instead of a token. A plain SHA-256 is enough: tokens carry 128 random bits, so there is no
 * dictionary to try. Lookups go by this hash; nothing compares token text directly.
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex'); // one call, no Hash object: a refresh hashes three tokens
}
