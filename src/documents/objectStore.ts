/**
 * Where documents' contents live. The embedded default is the file system (`fileSystemObjectStore`); an OSS or
 * S3 backend implements the same calls. Which versions an object has had is not the content store's business:
 * the database keeps that (`documentVersions.ts`), so that every node agrees on it.
 */
import type { Readable } from 'node:stream';

export interface ObjectStat {
  size: number;
  /** Changes whenever the content is replaced (cheap to read: no need to read the content). */
  fingerprint: string;
}

/** An object's content as read at one moment: its stat and the MD5 of exactly those bytes. */
export interface ObjectContentInfo extends ObjectStat {
  /** OSS's ETag of a simple upload: the MD5 of the content, 32 upper-case hex digits. */
  etag: string;
}

/** An object's content being read: the stat of exactly these bytes, and the bytes (read them or destroy the stream). */
export interface ObjectReader {
  stat: ObjectStat;
  body: Readable;
}

export interface ObjectStore {
  headObject(bucket: string, key: string): Promise<ObjectStat | undefined>;
  /** Opens the object's current content for reading; undefined when it is gone. */
  readObject(bucket: string, key: string): Promise<ObjectReader | undefined>;
  /** Reads the whole object once (streamed, never buffered) for its ETag; undefined when it is gone. */
  digestObject(bucket: string, key: string): Promise<ObjectContentInfo | undefined>;
  putObject(bucket: string, key: string, content: Buffer): Promise<ObjectContentInfo>;
  createBucket(bucket: string): Promise<void>;
}

/**
 * The file-system store reads and writes nothing through a symbolic link below its root: a link could lead out
 * of the store, into another account's bucket, or give one file a second key. `what` is the object's URI or
 * the bucket's folder.
 */
export class SymbolicLinkRefused extends Error {
  static readonly reason = 'is a symbolic link or lies below one in the object store, and links are not followed';

  constructor(what: string) {
    super(`${what} ${SymbolicLinkRefused.reason}`);
    this.name = 'SymbolicLinkRefused';
  }
}

/** The largest document WebOffice opens (spec §2.1). */
export const MAX_DOCUMENT_BYTES = 200 * 1024 * 1024;
