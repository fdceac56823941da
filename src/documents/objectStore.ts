/**
 * Where documents' contents live. The embedded default is the file system (`fileSystemObjectStore`); an OSS or
 * S3 backend implements the same calls. Which versions an object has had is not the content store's business:
 * the database keeps that (`documentVersions.ts`), so that every node agrees on it. The store keeps every
 * version's bytes apart from the current file, under their SHA-256 (the content id), so any version can be read.
 */
export interface ObjectStat {
  size: number;
  /** Changes whenever the content is replaced (cheap to read: no need to read the content). */
  fingerprint: string;
}

/** A content kept apart from the current files: its id (SHA-256, hex), size and OSS ETag. */
export interface KeptContent {
  contentId: string;
  size: number;
  /** OSS's ETag of a simple upload: the MD5 of the content, 32 upper-case hex digits. */
  etag: string;
}

/** An object's content as read at one moment: its stat, and those very bytes kept (with their MD5 and SHA-256). */
export interface ObjectContentInfo extends ObjectStat, KeptContent {}

/** A content written beside an object, not yet in its place: its stat is final (placing keeps it). */
export interface StagedObject {
  stat: ObjectStat;
  /** Makes it the object's current content, at once for every reader. */
  place(): Promise<void>;
  discard(): Promise<void>;
}

export interface ObjectStore {
  headObject(bucket: string, key: string): Promise<ObjectStat | undefined>;
  /** Reads the whole object once (streamed, never buffered) for its ETag, keeping those bytes; undefined when it is gone. */
  digestObject(bucket: string, key: string): Promise<ObjectContentInfo | undefined>;
  readObject(bucket: string, key: string): Promise<Buffer | undefined>;
  /** Writes `content` beside the object, to be placed (or discarded) once the database has decided. */
  stageObject(bucket: string, key: string, content: Buffer): Promise<StagedObject>;
  /** Keeps `content` durably under its SHA-256 (once: identical contents share it). */
  keepContent(content: Buffer): Promise<KeptContent>;
  readKeptContent(contentId: string): Promise<Buffer | undefined>;
  createBucket(bucket: string): Promise<void>;
}

/** The largest document WebOffice opens (spec §2.1). */
export const MAX_DOCUMENT_BYTES = 200 * 1024 * 1024;
