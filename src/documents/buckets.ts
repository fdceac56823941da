import type { BucketStore } from '../store/buckets.js';
import type { ObjectStore } from './objectStore.js';

/** A bucket owned by `accountId`: its row (the owner) and its folder. False when the name is taken. */
export async function createBucket(deps: { buckets: BucketStore; objects: ObjectStore }, name: string, accountId: string): Promise<boolean> {
  if (!(await deps.buckets.create(name, accountId))) return false;
  await deps.objects.createBucket(name);
  return true;
}
