import { hash } from 'node:crypto';
import { ApiError, invalidArgument } from '../core/errors.js';
import type { BucketStore } from '../store/buckets.js';
import { MAX_DOCUMENT_BYTES, SymbolicLinkRefused, type ObjectStat, type ObjectStore } from './objectStore.js';
import { currentVersion, type VersionDeps } from './documentVersions.js';
import type { SourceLocation } from '../tokens/webofficeOptions.js';

/** WebOffice's id of a file: 40 hex characters, the same for every session on that object. */
export function fileIdOf(source: SourceLocation): string {
  return hash('sha1', `oss://${source.bucket}/${source.key}`, 'hex');
}

/** The document a session opened: which object, and which version of it. */
export interface OpenedDocument {
  fileId: string;
  version: number;
  size: number;
  etag: string;
}

/**
 * Checks that WebOffice can open the document: the bucket exists, the reader (`mayRead`, which resolves the
 * authorization chain and throws `Forbidden`) may read it, the object exists and is at most 200 MB.
 */
export async function checkDocument(
  deps: { buckets: BucketStore; objects: ObjectStore },
  source: SourceLocation,
  mayRead: (bucketOwner: string) => Promise<void>,
): Promise<{ fileId: string; stat: ObjectStat }> {
  const bucket = await deps.buckets.find(source.bucket);
  if (!bucket) throw new ApiError('ResourceNotFound', `Bucket ${source.bucket}`);
  // Permission before existence: without read access nobody learns whether the object exists.
  await mayRead(bucket.account_id);
  const stat = await notThroughLinks(source, () => deps.objects.headObject(source.bucket, source.key));
  if (!stat) throw objectMissing(source);
  refuseTooLarge(stat.size);
  return { fileId: fileIdOf(source), stat };
}

/** `checkDocument`, then the version a new session opens: the object's current one (recorded if new). */
export async function openDocument(
  deps: { buckets: BucketStore } & VersionDeps,
  source: SourceLocation,
  mayRead: (bucketOwner: string) => Promise<void>,
): Promise<OpenedDocument> {
  const { fileId, stat } = await checkDocument(deps, source, mayRead);
  const version = await notThroughLinks(source, () => currentVersion(deps, source.bucket, source.key, stat));
  if (!version) throw objectMissing(source);
  refuseTooLarge(version.size); // the content may have been replaced since the stat
  return { fileId, version: version.version, size: version.size, etag: version.etag };
}

const objectMissing = (source: SourceLocation) => new ApiError('ResourceNotFound', `Object oss://${source.bucket}/${source.key}`);

/** A document reached through a symbolic link is not there: the store follows none (README, Documents). */
async function notThroughLinks<T>(source: SourceLocation, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof SymbolicLinkRefused)) throw err;
    const message = `${objectMissing(source).message.replace(/\.$/, '')}: it ${SymbolicLinkRefused.reason}.`;
    throw new ApiError('ResourceNotFound', [], { message });
  }
}

function refuseTooLarge(size: number): void {
  if (size > MAX_DOCUMENT_BYTES) throw invalidArgument('SourceURI', `the document is ${size} bytes and WebOffice opens at most ${MAX_DOCUMENT_BYTES} bytes (200 MB)`);
}
