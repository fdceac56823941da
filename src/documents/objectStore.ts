/**
 * Where documents' contents live. The embedded default is the file system (`fileSystemObjectStore`); an OSS or
 * S3 backend implements the same calls. Which versions an object has had is not the content store's business:
 * the database keeps that (`documentVersions.ts`), so that every node agrees on it. The store keeps every
 * version's bytes apart from the current file, under their SHA-256 (the content id), so any version can be read.
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

/** A content kept apart from the current files: its id (SHA-256, hex), size and OSS ETag. */
export interface KeptContent {
  contentId: string;
  size: number;
  etag: string;
}

/** A content written beside an object, not yet in its place: its stat is final (placing keeps it). */
export interface StagedObject {
  stat: ObjectStat;
  /** Makes it the object's current content, at once for every reader. */
  place(): Promise<void>;
  discard(): Promise<void>;
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
  /**
   * Reads the whole object once (streamed, never buffered) for its ETag, keeping exactly those bytes (see
   * keepContent); undefined when it is gone.
   */
  digestObject(bucket: string, key: string): Promise<(ObjectContentInfo & KeptContent) | undefined>;
  /** Writes and places at once (stageObject, then place). */
  putObject(bucket: string, key: string, content: Buffer): Promise<ObjectContentInfo>;
  /** Writes `content` beside the object, to be placed (or discarded) once the database has decided. */
  stageObject(bucket: string, key: string, content: Buffer): Promise<StagedObject>;
  /** Keeps `content` durably (synced) under its SHA-256; identical contents share one copy. */
  keepContent(content: Buffer): Promise<KeptContent>;
  /** Opens a kept content; undefined when it is not kept. */
  readKeptContent(contentId: string): Promise<ObjectReader | undefined>;
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
