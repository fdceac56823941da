/**
 * A process that saves a version and dies by SIGKILL at a chosen point, as a node crashing mid-save would:
 * `before-commit` once the bytes are kept aside (the version row not written), `after-commit` once the row is
 * committed (the new file not yet in place). Run as `node crashingSave.js JSON`; see saveVersion.test.ts.
 */
import { openDatabase } from '../../src/store/database.js';
import { fileSystemObjectStore } from '../../src/documents/fileSystemObjectStore.js';
import { saveVersion } from '../../src/documents/documentVersions.js';
import { objectVersionStore } from '../../src/store/objectVersions.js';
import { saveNotification } from '../../src/notifications/saveEvents.js';
import type { ObjectStore } from '../../src/documents/objectStore.js';

export interface CrashingSave {
  databaseUrl?: string;
  dataDir: string;
  ossDir: string;
  bucket: string;
  key: string;
  content: string;
  ifMatch: string;
  crashAt: 'before-commit' | 'after-commit';
}

const job = JSON.parse(process.argv[2]) as CrashingSave;
const die = (): void => void process.kill(process.pid, 'SIGKILL');
const files = fileSystemObjectStore(job.ossDir);
const objects: ObjectStore = {
  ...files,
  keepContent: async (content) => {
    const kept = await files.keepContent(content);
    if (job.crashAt === 'before-commit') die();
    return kept;
  },
  stageObject: async (bucket, key, content) => {
    const staged = await files.stageObject(bucket, key, content);
    return { ...staged, place: async () => (job.crashAt === 'after-commit' ? die() : staged.place()) };
  },
};
const database = openDatabase({ databaseUrl: job.databaseUrl, dataDir: job.dataDir });
const notify = saveNotification({ topic: 'saves', projectName: 'p', fileId: 'f'.repeat(40), sourceUri: `oss://${job.bucket}/${job.key}`, user: { Id: 'u1' } });
await saveVersion({ objects, objectVersions: objectVersionStore(database.db) }, job.bucket, job.key, Buffer.from(job.content), { ifMatch: job.ifMatch, notify });
process.exit(3); // not reached: the save dies at its point
