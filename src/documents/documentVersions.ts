/**
 * Which version of a document is current. Contents live in the object store; the database keeps each
 * object's versions (number, size, ETag), so every node names the same content with the same version.
 * `object put` records a version as it writes; a file replaced by other means (copied into the shared folder)
 * is noticed by its changed fingerprint at the next look and becomes the next version then.
 */
import type { ObjectStat, ObjectStore } from './objectStore.js';
import type { ObjectVersion, ObjectVersionStore } from '../store/objectVersions.js';

export interface VersionDeps {
  objects: ObjectStore;
  objectVersions: ObjectVersionStore;
}

/** Writes the content and records it as the object's next version. */
export async function putDocument(deps: VersionDeps, bucket: string, key: string, content: Buffer): Promise<ObjectVersion> {
  const written = await deps.objects.putObject(bucket, key, content);
  return deps.objectVersions.record(bucket, key, written);
}

/**
 * The current version of an object whose stat was just read, or undefined when it vanished meanwhile. Reads
 * the content (for its ETag) only when it is new to the database.
 */
export async function currentVersion(deps: VersionDeps, bucket: string, key: string, stat: ObjectStat): Promise<ObjectVersion | undefined> {
  const known = await deps.objectVersions.latest(bucket, key);
  if (known?.fingerprint === stat.fingerprint) return known;
  const content = await deps.objects.digestObject(bucket, key);
  return content && deps.objectVersions.record(bucket, key, content);
}
