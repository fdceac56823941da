import { v7 as uuidv7 } from 'uuid';

/**
 * The primary key of a new row: a UUID version 7 (RFC 9562), whose first 48 bits are the millisecond time, so
 * rows written together land side by side in their B-tree index instead of on random pages (which made every
 * insert touch and dirty a page of its own). Still unguessable enough for ids: 74 random bits.
 */
export function newRowId(): string {
  return uuidv7();
}
