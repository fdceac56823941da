/**
 * The converter around LibreOffice's command, with a stand-in command (IMM_SOFFICE → a shell script that is a
 * real process group): each content is converted once however many callers and nodes ask, a stale claim is
 * taken over, a stuck conversion is killed with everything it started, the queue holds the bound, an output
 * that is no PDF is `DocumentCorrupt`, bytes that are not a document never reach the command. Both engines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { installationsUnderTest, type Installation } from '../helpers/installations.js';
import { fakeSoffice, processAlive } from '../helpers/fakeSoffice.js';
import { makePdf } from '../helpers/pdfs.js';
import { makeDataDir } from '../helpers/server.js';
import { sleep } from '../helpers/serverData.js';
import { ApiError } from '../../src/core/errors.js';
import type { ConversionProgress, ConversionSource } from '../../src/conversion/documentConverter.js';
import { CONVERSIONS_FOLDER } from '../../src/conversion/pdfCache.js';
import { documentConversionStore } from '../../src/store/documentConversions.js';

const etagOf = (content: Buffer) => createHash('md5').update(content).digest('hex').toUpperCase();

/** A text document (the stand-in command does not read it), counting how often its bytes are read. */
function textSource(text: string, filename = 'notes.txt'): ConversionSource & { reads: number } {
  const content = Buffer.from(text);
  const source = { etag: etagOf(content), filename, reads: 0, read: async () => (source.reads++, content) };
  return source;
}

const withCode = (code: string) => (err: unknown) => err instanceof ApiError && err.code === code;

const { engines, open, skipped } = await installationsUnderTest();
if (skipped) console.log(`# ${skipped}`);

for (const engine of engines) {
  describe(`the document converter on ${engine}`, () => {
    let installation: Installation;
    let pdf: Buffer;
    let scripts: string;

    before(async () => {
      installation = await open(engine);
      pdf = await makePdf(['one', 'two', 'three']);
      scripts = makeDataDir('imm-fake-soffice-');
    });
    after(async () => {
      await installation.dispose();
    });

    test('a content is converted once: later and concurrent callers on one node get the same PDF', async () => {
      const soffice = fakeSoffice(path.join(scripts, 'once'), { output: pdf, sleepSeconds: 0.3 });
      const node = await installation.node({ IMM_SOFFICE: soffice.command });
      const source = textSource('converted once on one node');
      const results = await Promise.all(Array.from({ length: 5 }, () => node.converter.convert(source)));
      const later = await node.converter.convert(source);
      assert.equal(soffice.runs().length, 1, 'one run of the command');
      assert.equal(source.reads, 1, 'the content read once');
      for (const result of [...results, later]) assert.deepEqual([result.etag, result.pages, result.pdf.equals(pdf)], [source.etag, 3, true]);
      const cached = path.join(installation.env.IMM_DATA_DIR, 'oss', CONVERSIONS_FOLDER, `${source.etag}.pdf`);
      assert.equal(fs.statSync(cached).mode & 0o777, 0o600, 'the cached PDF is private');
      assert.equal(fs.statSync(path.dirname(cached)).mode & 0o777, 0o700);
      await node.database.close();
    });

    test('two nodes asked for the same content at once convert it once; both get the PDF', async () => {
      const soffice = fakeSoffice(path.join(scripts, 'two-nodes'), { output: pdf, sleepSeconds: 1 });
      const [a, b] = [await installation.node({ IMM_SOFFICE: soffice.command }), await installation.node({ IMM_SOFFICE: soffice.command })];
      const source = textSource('asked of two nodes at once');
      const progress: ConversionProgress[] = [];
      const [fromA, fromB] = await Promise.all([
        a.converter.convert(source, { onProgress: (p) => progress.push(p) }),
        b.converter.convert(source, { onProgress: (p) => progress.push(p) }),
      ]);
      assert.equal(soffice.runs().length, 1, 'one conversion over both nodes');
      assert.ok(fromA.pdf.equals(pdf) && fromB.pdf.equals(pdf));
      assert.ok(progress.some((p) => p.state === 'converting'), 'callers hear that it is being converted');
      const row = await documentConversionStore(a.database.db).get(source.etag);
      assert.deepEqual([row?.state, row?.pages], ['done', 3]);
      await Promise.all([a.database.close(), b.database.close()]);
    });

    test('a claim whose node died (lease lapsed) is taken over; a live claim of another node is waited for', async () => {
      const soffice = fakeSoffice(path.join(scripts, 'stale'), { output: pdf });
      const node = await installation.node({ IMM_SOFFICE: soffice.command });
      const conversions = documentConversionStore(node.database.db);
      const stale = textSource('claimed by a node that died');
      assert.ok(await conversions.claim(stale.etag, { ownerNode: 'dead-node', claimId: 'a'.repeat(32) }, Date.now() - 120_000, 60_000));
      assert.equal((await node.converter.convert(stale)).pages, 3);
      assert.equal(soffice.runs().length, 1);
      const row = await conversions.get(stale.etag);
      assert.equal(row?.state, 'done');
      assert.notEqual(row?.owner_node, 'dead-node');

      // Another node holds a live claim: this node waits, converts nothing, and reads that node's result.
      const live = textSource('claimed by a live node');
      const claim = { ownerNode: 'live-node', claimId: 'b'.repeat(32) };
      assert.ok(await conversions.claim(live.etag, claim, Date.now(), 60_000));
      const waiting = node.converter.convert(live);
      await sleep(300);
      const liveNode = await installation.node({ IMM_SOFFICE: 'none' });
      // What the live node does when it is done: its PDF in the shared cache, its claim finished.
      const cacheDir = path.join(installation.env.IMM_DATA_DIR, 'oss', CONVERSIONS_FOLDER);
      fs.writeFileSync(path.join(cacheDir, `${live.etag}.pdf`), pdf, { mode: 0o600 });
      assert.ok(await documentConversionStore(liveNode.database.db).finish(live.etag, claim.claimId, 3, Date.now()));
      assert.ok((await waiting).pdf.equals(pdf));
      assert.equal(soffice.runs().length, 1, 'nothing converted for the live claim');
      await Promise.all([node.database.close(), liveNode.database.close()]);
    });

    test('a stuck conversion is killed with its whole process group at IMM_CONVERT_TIMEOUT, and the failure is answered without running again', async () => {
      const soffice = fakeSoffice(path.join(scripts, 'stuck'), { output: pdf, sleepSeconds: 300, spawnChild: true });
      const node = await installation.node({ IMM_SOFFICE: soffice.command, IMM_CONVERT_TIMEOUT: '1' });
      const source = textSource('never finishes');
      await assert.rejects(node.converter.convert(source), (err: unknown) => withCode('ConversionTimeout')(err) && /within 1 seconds/.test((err as Error).message));
      const pids = soffice.log().map((line) => Number(line.split(' ')[1]));
      assert.equal(pids.length, 2, 'the command and the child it started');
      let alive = pids.filter(processAlive);
      for (let i = 0; i < 50 && alive.length > 0; i++) {
        await sleep(100);
        alive = pids.filter(processAlive);
      }
      assert.deepEqual(alive, [], 'the command and its child are gone');
      await assert.rejects(node.converter.convert(source), withCode('ConversionTimeout'));
      assert.equal(soffice.runs().length, 1, 'a recorded failure is answered, not run again');
      await node.database.close();
    });

    test('the queue runs at most IMM_CONVERT_CONCURRENCY conversions at once; waiting callers hear their place', async () => {
      const soffice = fakeSoffice(path.join(scripts, 'queue'), { output: pdf, sleepSeconds: 0.2 });
      const node = await installation.node({ IMM_SOFFICE: soffice.command, IMM_CONVERT_CONCURRENCY: '2' });
      const heard = new Map<number, ConversionProgress[]>();
      const sources = Array.from({ length: 6 }, (_, i) => textSource(`queued document ${i}`));
      await Promise.all(sources.map((source, i) => node.converter.convert(source, { onProgress: (p) => heard.set(i, [...(heard.get(i) ?? []), p]) })));
      let running = 0;
      let most = 0;
      for (const line of soffice.log()) {
        if (line.startsWith('start ')) most = Math.max(most, ++running);
        if (line.startsWith('end ')) running--;
      }
      assert.equal(soffice.runs().length, 6);
      assert.equal(most, 2, 'two at once, never more');
      const queued = [...heard.values()].filter((events) => events[0].state === 'queued');
      assert.ok(queued.length >= 1, 'some callers waited in line');
      for (const events of heard.values()) {
        assert.deepEqual(events.at(-1), { state: 'converting' });
        const places = events.filter((p) => p.state === 'queued').map((p) => (p as { ahead: number }).ahead);
        assert.deepEqual(places, [...places].sort((x, y) => y - x), 'a place in line only moves up');
      }
      assert.deepEqual(node.converter.status(), { converter: 'libreoffice', concurrency: 2, waiting: 0, running: 0 });
      await node.database.close();
    });

    test('output that is missing or not a PDF is DocumentCorrupt; bytes that are not a document never reach the command', async () => {
      for (const output of ['none', 'garbage'] as const) {
        const soffice = fakeSoffice(path.join(scripts, `corrupt-${output}`), { output });
        const node = await installation.node({ IMM_SOFFICE: soffice.command });
        await assert.rejects(node.converter.convert(textSource(`makes ${output}`)), (err: unknown) => withCode('DocumentCorrupt')(err) && /LibreOffice could not read it/.test((err as Error).message));
        assert.equal(soffice.runs().length, 1);
        await node.database.close();
      }
      const soffice = fakeSoffice(path.join(scripts, 'sniffed'), { output: pdf });
      const node = await installation.node({ IMM_SOFFICE: soffice.command });
      const random = randomBytes(4096);
      const source = { etag: etagOf(random), filename: 'report.docx', read: async () => random };
      await assert.rejects(node.converter.convert(source), withCode('UnsupportedContent'));
      assert.equal(soffice.runs().length, 0, 'refused before LibreOffice');
      assert.equal((await documentConversionStore(node.database.db).get(source.etag))?.error, 'UnsupportedContent', 'recorded for every node');
      await node.database.close();
    });

    test('without LibreOffice the node says so, converts nothing, and still serves what another node converted', async () => {
      const soffice = fakeSoffice(path.join(scripts, 'elsewhere'), { output: pdf });
      const withLibreOffice = await installation.node({ IMM_SOFFICE: soffice.command });
      const without = await installation.node({ IMM_SOFFICE: 'none' });
      assert.equal(without.converter.status().converter, 'none');
      await assert.rejects(without.converter.convert(textSource('nobody converts this')), withCode('ConverterUnavailable'));
      const source = textSource('converted by the other node');
      await withLibreOffice.converter.convert(source);
      assert.ok((await without.converter.convert(source)).pdf.equals(pdf));
      await Promise.all([withLibreOffice.database.close(), without.database.close()]);
      await assert.rejects(installation.node({ IMM_SOFFICE: path.join(scripts, 'no-such-soffice') }), /IMM_SOFFICE names .*no-such-soffice, which is not an executable file/);
    });
  });
}
