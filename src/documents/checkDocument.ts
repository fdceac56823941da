import { createHash } from 'node:crypto';
import { ApiError, invalidArgument } from '../api/errors.js';
import type { BucketStore } from '../store/buckets.js';
import { MAX_DOCUMENT_BYTES } from './objectStore.js';
import { currentVersion, type VersionDeps } from './documentVersions.js';
import type { SourceLocation } from '../tokens/webofficeOptions.js';

/** WebOffice's id of a file: 40 hex characters, the same for every session on that object. */
export function fileIdOf(source: SourceLocation): string {
  return createHash('sha1').update(`oss://${source.bucket}/${source.key}`, 'utf8').digest('hex');
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
 * authorization chain and throws `Forbidden`) may read it, the object exists and is at most 200 MB. Returns
 * its current version.
 */
export async function checkDocument(
  deps: { buckets: BucketStore } & VersionDeps,
  source: SourceLocation,
  mayRead: (bucketOwner: string) => Promise<void>,
): Promise<OpenedDocument> {
  const uri = `oss://${source.bucket}/${source.key}`;
  const bucket = await deps.buckets.find(source.bucket);
  if (!bucket) throw new ApiError('ResourceNotFound', `Bucket ${source.bucket}`);
  // Permission before existence: without read access nobody learns whether the object exists.
  await mayRead(bucket.account_id);
  const stat = await deps.objects.headObject(source.bucket, source.key);
  if (!stat) throw new ApiError('ResourceNotFound', `Object ${uri}`);
  refuseTooLarge(stat.size);
  const version = await currentVersion(deps, source.bucket, source.key, stat);
  if (!version) throw new ApiError('ResourceNotFound', `Object ${uri}`);
  refuseTooLarge(version.size); // the content may have been replaced since the stat
  return { fileId: fileIdOf(source), version: version.version, size: version.size, etag: version.etag };
}

function refuseTooLarge(size: number): void {
  if (size > MAX_DOCUMENT_BYTES) throw invalidArgument('SourceURI', `the document is ${size} bytes and WebOffice opens at most ${MAX_DOCUMENT_BYTES} bytes (200 MB)`);
}
