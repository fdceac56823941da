import os from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * The name a lease (a conversion's claim, an outbox delivery) is held under: the host and process for operators
 * reading the row, and a random part, so that two holders in one process (or a reused pid) never share one.
 */
export function newLeaseOwner(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
