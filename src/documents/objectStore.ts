/**
 * Where documents live. The embedded default is the file system (`fileSystemObjectStore`); an OSS or S3
 * backend implements the same two calls.
 */
export interface ObjectInfo {
  size: number;
  /** Changes when the object is overwritten (a new version). */
  etag: string;
}

export interface ObjectStore {
  headObject(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  putObject(bucket: string, key: string, content: Buffer): Promise<ObjectInfo>;
  createBucket(bucket: string): Promise<void>;
}

/** The largest document WebOffice opens (spec §2.1). */
export const MAX_DOCUMENT_BYTES = 200 * 1024 * 1024;
