import { createHash, randomBytes } from 'node:crypto';

/** A WebOffice token as IMM shapes it: 128 random bits as 32 lower-case hex characters. */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}

/**
 * What is stored instead of a token. A plain SHA-256 is enough: tokens carry 128 random bits, so there is no
 * dictionary to try. Lookups go by this hash; nothing compares token text directly.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
