import { createHash } from 'node:crypto';
import { ApiError, invalidArgument } from '../api/errors.js';
import type { BucketStore } from '../store/buckets.js';
import { MAX_DOCUMENT_BYTES, type ObjectStore } from './objectStore.js';
import type { SourceLocation } from '../tokens/webofficeOptions.js';

/** WebOffice's id of a file: 40 hex characters, the same for every session on that object. */
export function fileIdOf(source: SourceLocation): string {
  return createHash('sha1').update(`oss://${source.bucket}/${source.key}`, 'utf8').digest('hex');
}

/**
 * Checks that WebOffice can open the document: the bucket exists, the reader (`mayRead`, which resolves the
 * authorization chain and throws `Forbidden`) may read it, the object exists and is at most 200 MB.
 */
export async function checkDocument(
  deps: { buckets: BucketStore; objects: ObjectStore },
  source: SourceLocation,
  mayRead: (bucketOwner: string) => Promise<void>,
): Promise<{ fileId: string; size: number; etag: string }> {
  const uri = `oss://${source.bucket}/${source.key}`;
  const bucket = await deps.buckets.find(source.bucket);
  if (!bucket) throw new ApiError('ResourceNotFound', `Bucket ${source.bucket}`);
  // Permission before existence: without read access nobody learns whether the object exists.
  await mayRead(bucket.account_id);
  const object = await deps.objects.headObject(source.bucket, source.key);
  if (!object) throw new ApiError('ResourceNotFound', `Object ${uri}`);
  if (object.size > MAX_DOCUMENT_BYTES) {
    throw invalidArgument('SourceURI', `the document is ${object.size} bytes and WebOffice opens at most ${MAX_DOCUMENT_BYTES} bytes (200 MB)`);
  }
  return { fileId: fileIdOf(source), size: object.size, etag: object.etag };
}
