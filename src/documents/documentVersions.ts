/**
 * Which version of a document is current. Contents live in the object store; the database keeps each
 * object's versions (number, size, ETag), so every node names the same content with the same version.
 * `object put` records a version as it writes; a file replaced by other means (copied into the shared folder)
 * is noticed by its changed fingerprint at the next look and becomes the next version then.
 */
import type { ObjectReader, ObjectStat, ObjectStore } from './objectStore.js';
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

/**
 * Opens the content of one recorded version (the latest when `version` is undefined), or undefined when that
 * content is no longer stored: the store keeps only each object's current content, so a version replaced
 * since is gone. The fingerprint of the bytes opened tells, without reading them.
 */
export async function readVersion(deps: VersionDeps, bucket: string, key: string, version: number | undefined): Promise<ObjectReader | undefined> {
  const wanted = version === undefined ? await deps.objectVersions.latest(bucket, key) : await deps.objectVersions.find(bucket, key, version);
  if (!wanted) return undefined;
  const reader = await deps.objects.readObject(bucket, key);
  if (reader && reader.stat.fingerprint !== wanted.fingerprint) {
    reader.body.destroy();
    return undefined;
  }
  return reader;
}
