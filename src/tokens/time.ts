/**
 * Time with nanoseconds, as IMM reports it (`2021-09-01T12:37:28.950065359Z`, like Go's RFC3339Nano).
 * Instants are bigint nanoseconds since the epoch; comparisons use milliseconds.
 */
export type Nanos = bigint;

export const NS_PER_MS = 1_000_000n;

/** Wall-clock milliseconds, with the sub-millisecond digits taken from the high-resolution timer. */
export function nowNanos(): Nanos {
  return BigInt(Date.now()) * NS_PER_MS + (process.hrtime.bigint() % NS_PER_MS);
}

export function nanosToMillis(ns: Nanos): number {
  return Number(ns / NS_PER_MS);
}

/** `YYYY-MM-DDTHH:mm:ss.nnnnnnnnnZ`, UTC, exactly nine fractional digits. */
export function formatNanos(ns: Nanos): string {
  const ms = ns / NS_PER_MS;
  const seconds = new Date(Number(ms)).toISOString().slice(0, 19);
  const fraction = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}Z`;
}

/** Parses what formatNanos writes (any number of fractional digits, `Z` only). */
export function parseNanos(text: string): Nanos {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!match) throw new Error(`not an ISO 8601 UTC time: ${text}`);
  const seconds = BigInt(Date.parse(`${match[1]}Z`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0') || '0');
}
