import type { BucketStore } from '../store/buckets.js';
import type { ObjectStore } from './objectStore.js';

/** A bucket owned by `accountId`: its folder and its row (the owner). False when the name is taken. */
export async function createBucket(deps: { buckets: BucketStore; objects: ObjectStore }, name: string, accountId: string): Promise<boolean> {
  // The folder first: one the store refuses (a symbolic link) must not leave a bucket recorded without it.
  await deps.objects.createBucket(name);
  return deps.buckets.create(name, accountId);
}
