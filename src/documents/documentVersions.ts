/**
 * Which version of a document is current, and every version's content. The database keeps each object's
 * versions (number, size, ETag, content id), so every node names the same content with the same version; the
 * object store keeps each version's bytes apart from the current file, so any version can be read back.
 *
 * A save writes in this order: the bytes aside (durably), the new file beside the current one, the version row
 * (with its notifications, in one transaction), then the new file into place. A crash before the row leaves the
 * previous version current and the new one absent (its bytes are unreferenced); a crash after it leaves the new
 * version complete, and the next look brings the file up to it. The database is the truth; the file follows.
 *
 * A file replaced by other means (copied into the shared folder) is noticed by its changed fingerprint at the
 * next look and becomes the next version then.
 */
import { ApiError } from '../core/errors.js';
import type { ObjectReader, ObjectStat, ObjectStore } from './objectStore.js';
import type { ObjectVersion, ObjectVersionStore } from '../store/objectVersions.js';
import type { OutboxMessage } from '../store/notificationOutbox.js';

export interface VersionDeps {
  objects: ObjectStore;
  objectVersions: ObjectVersionStore;
}

export interface SaveOptions {
  /** The ETag of the version the content was edited from: unless it is still the current one, `VersionConflict`. */
  ifMatch?: string;
  /** The notifications announcing the new version, committed in its transaction (see notifications/saveEvents.ts). */
  notify?: (version: ObjectVersion) => OutboxMessage[];
}

/**
 * How long after a version was committed its saver is taken to be still placing its file. A file behind a
 * version older than this is behind for good (its saver died between the commit and the rename): a look
 * places it. Placing takes milliseconds; this is generous.
 */
const PLACEMENT_WINDOW_MS = 10_000;

/** Tries of an unconditional save to take a version number that concurrent saves keep taking first. */
const MAX_COMMIT_TRIES = 20;

const stale = (current: ObjectVersion | undefined) =>
  new ApiError('VersionConflict', current ? `version ${current.version} is current now, ETag ${current.etag}` : 'the document has no version now');

/**
 * Saves `content` as the object's next version and returns it. With `ifMatch`, only if the current version
 * still has that ETag: of concurrent saves from one base exactly one wins (the version number's primary key
 * decides), the others get `VersionConflict` and change nothing.
 */
export async function saveVersion(deps: VersionDeps, bucket: string, key: string, content: Buffer, options: SaveOptions = {}): Promise<ObjectVersion> {
  // A file replaced by hand since the last look is a version too: recorded first, so a save over it is stale.
  const stat = await deps.objects.headObject(bucket, key);
  let base = stat ? await currentVersion(deps, bucket, key, stat) : await deps.objectVersions.latest(bucket, key);
  if (options.ifMatch !== undefined && base?.etag !== options.ifMatch) throw stale(base);

  const kept = await deps.objects.keepContent(content);
  const staged = await deps.objects.stageObject(bucket, key, content);
  let saved: ObjectVersion | undefined;
  try {
    for (let attempt = 0; !saved; attempt++) {
      if (attempt === MAX_COMMIT_TRIES) throw new Error(`object_versions: could not save a version of ${bucket}/${key} (too many concurrent writers)`);
      const row = { size: kept.size, etag: kept.etag, fingerprint: staged.stat.fingerprint, contentId: kept.contentId };
      saved = await deps.objectVersions.commit(bucket, key, (base?.version ?? 0) + 1, row, options.notify ?? (() => []));
      if (saved) break;
      // Another save took the next number first: a conditional save's base is no longer current.
      base = await deps.objectVersions.latest(bucket, key);
      if (options.ifMatch !== undefined) throw stale(base);
    }
  } catch (err) {
    await staged.discard();
    throw err;
  }
  await staged.place();
  await placeNewerVersions(deps, bucket, key, { fingerprint: staged.stat.fingerprint, version: saved.version });
  return saved;
}

/** `object put`: an unconditional save. */
export function putDocument(deps: VersionDeps, bucket: string, key: string, content: Buffer): Promise<ObjectVersion> {
  return saveVersion(deps, bucket, key, content);
}

/**
 * Opens the content of one recorded version (the latest when `version` is undefined), or undefined when the
 * object has no such version or its bytes are not stored: versions recorded before contents were kept are
 * readable only while they are the current file (the fingerprint of the bytes opened tells, without reading them).
 */
export async function readVersion(deps: VersionDeps, bucket: string, key: string, version: number | undefined): Promise<ObjectReader | undefined> {
  const wanted = version === undefined ? await deps.objectVersions.latest(bucket, key) : await deps.objectVersions.find(bucket, key, version);
  if (!wanted) return undefined;
  if (wanted.contentId) {
    const kept = await deps.objects.readKeptContent(wanted.contentId);
    if (!kept) throw new Error(`the kept content ${wanted.contentId} of ${bucket}/${key} version ${wanted.version} is missing`);
    return kept;
  }
  const reader = await deps.objects.readObject(bucket, key);
  if (reader && reader.stat.fingerprint !== wanted.fingerprint) {
    reader.body.destroy();
    return undefined;
  }
  return reader;
}

/**
 * The current version of an object whose stat was just read, or undefined when it vanished meanwhile. Reads
 * the content (for its ETag) only when the file is new to the database.
 */
export async function currentVersion(deps: VersionDeps, bucket: string, key: string, stat: ObjectStat, nowMs = Date.now()): Promise<ObjectVersion | undefined> {
  const known = await deps.objectVersions.latest(bucket, key);
  if (known?.fingerprint === stat.fingerprint) return known;
  const shown = known && (await deps.objectVersions.withFingerprint(bucket, key, stat.fingerprint));
  // Recorded since `known` was read (by another reader noticing the same file): that is the current one.
  if (shown && known && shown.version > known.version) return shown;
  if (shown && known) {
    // The file shows an older version: a save committed the latest and is placing its file — or died before.
    const placed = nowMs - Date.parse(known.createdAt) > PLACEMENT_WINDOW_MS ? await placeVersion(deps, bucket, key, known) : undefined;
    return placed ? { ...known, fingerprint: placed } : known;
  }
  const content = await deps.objects.digestObject(bucket, key);
  if (!content) return undefined;
  if (known?.contentId !== undefined && content.contentId === known.contentId) {
    // The latest version's bytes in a file placed anew (a save's rename landing after another placement).
    await deps.objectVersions.replaceFingerprint(bucket, key, known.version, known.fingerprint, content.fingerprint);
    return { ...known, fingerprint: content.fingerprint };
  }
  const placing = new Date(nowMs - PLACEMENT_WINDOW_MS).toISOString();
  const recent = known && (await deps.objectVersions.withContentSince(bucket, key, content.contentId, placing));
  // Recorded since `known` was read (another reader noticed the same file first): that is the current one.
  if (recent && known && recent.version > known.version) return recent;
  // An older version's bytes, just committed: a save's late rename, which that saver puts right (see below).
  if (recent) return known;
  return deps.objectVersions.record(bucket, key, content);
}

/** Puts `version`'s kept bytes in place as the current file (its row then names the new file's fingerprint). */
async function placeVersion(deps: VersionDeps, bucket: string, key: string, version: ObjectVersion): Promise<string | undefined> {
  if (!version.contentId) return undefined;
  const kept = await deps.objects.readKeptContent(version.contentId);
  if (!kept) return undefined;
  const content = Buffer.concat(await kept.body.toArray());
  const staged = await deps.objects.stageObject(bucket, key, content);
  // Of two placers of one version, the one whose compare-and-swap lands places its file; the other does nothing.
  if (!(await deps.objectVersions.replaceFingerprint(bucket, key, version.version, version.fingerprint, staged.stat.fingerprint))) {
    await staged.discard();
    return undefined;
  }
  await staged.place();
  return staged.stat.fingerprint;
}

/**
 * After a saver placed its file: if that file is still there and a newer version was committed meanwhile, the
 * rename overwrote it (renames need not land in commit order), so the saver places the newest version, again
 * until its own latest placement is the newest. Whoever overwrote a newer file is the one who notices.
 */
async function placeNewerVersions(deps: VersionDeps, bucket: string, key: string, placed: { fingerprint: string; version: number }): Promise<void> {
  for (let round = 0; round < MAX_COMMIT_TRIES; round++) {
    const latest = await deps.objectVersions.latest(bucket, key);
    const stat = await deps.objects.headObject(bucket, key);
    if (!latest || stat?.fingerprint !== placed.fingerprint || latest.version <= placed.version) return;
    const fingerprint = await placeVersion(deps, bucket, key, latest);
    if (!fingerprint) return; // another placer took it over
    placed = { fingerprint, version: latest.version };
  }
}
