/**
 * Converting documents to PDF with LibreOffice, once per content. Each content (an object version, by its
 * ETag) is converted at most once however many nodes ask: the first to claim it in the database converts, the
 * others wait for its result and read the PDF from the shared cache. A claim holds a lease its owner renews
 * while it works; one whose node died is taken over when the lease lapses. On one node, callers asking for
 * the same content share one job, and jobs wait in a bounded queue (IMM_CONVERT_CONCURRENCY workers, each
 * with its own LibreOffice profile); a conversion running past IMM_CONVERT_TIMEOUT is killed whole.
 *
 * What a content is and why it failed is the same for every caller, so `UnsupportedContent`,
 * `DocumentCorrupt` and `ConversionTimeout` are recorded and answered to every node for a while
 * (`failureRetryMs`), then tried again. A caller's own failure (a missing or wrong password) records
 * nothing: the claim is given back for the next caller.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError, ERROR_CATALOG, type ErrorCode } from '../core/errors.js';
import { newLeaseOwner } from '../core/leaseOwner.js';
import type { ConversionRow, DocumentConversionStore } from '../store/documentConversions.js';
import { convertibleFormat } from './contentSniffing.js';
import { openForConversion } from './protectedDocuments.js';
import type { PdfCache } from './pdfCache.js';
import { runSoffice } from './soffice.js';
import { workQueue } from './workQueue.js';

export type ConverterMode = 'libreoffice' | 'none';

/** What a caller waiting for a PDF may show: its place in this node's line, or that it is being converted. */
export type ConversionProgress = { state: 'queued'; ahead: number } | { state: 'converting' };

export interface ConversionSource {
  /** The version's ETag: the content's name in the cache and in the database. */
  etag: string;
  /** Its extension decides the format (doc, docx, csv, …). */
  filename: string;
  /** The version's bytes; read only when this node converts it. */
  read(): Promise<Buffer>;
  /** Generate's `Password`, for a protected document. */
  password?: string;
}

export interface ConvertedPdf {
  etag: string;
  pdf: Buffer;
  pages: number;
}

export interface ConverterStatus {
  converter: ConverterMode;
  concurrency: number;
  /** Jobs of this node waiting for a worker, and running. */
  waiting: number;
  running: number;
}

export interface DocumentConverter {
  /** What `/ready` reports and the node logs at start. */
  status(): ConverterStatus;
  /** The PDF of `source`, converted here, by another node, or earlier. Throws an ApiError the API can answer. */
  convert(source: ConversionSource, options?: { onProgress?: (progress: ConversionProgress) => void }): Promise<ConvertedPdf>;
  /** Stops: waiting jobs are refused, running conversions killed and their claims given back. */
  close(): Promise<void>;
}

export interface ConverterDeps {
  conversions: DocumentConversionStore;
  cache: PdfCache;
  log: Logger;
}

export interface ConverterSettings {
  /** The LibreOffice command (see `findSoffice`); undefined = this node converts nothing. */
  soffice: string | undefined;
  concurrency: number;
  timeoutMs: number;
  /** This node's name in claims (default host:pid:random). */
  nodeId?: string;
  /** How long a claim lasts unless renewed (renewed every third of it). */
  leaseMs?: number;
  /** How often a caller waiting for another claim looks again. */
  pollIntervalMs?: number;
  /** How long a recorded failure is answered before the content is tried again. */
  failureRetryMs?: number;
}

const DEFAULT_LEASE_MS = 15_000;
const DEFAULT_POLL_INTERVAL_MS = 500;
const DEFAULT_FAILURE_RETRY_MS = 5 * 60_000;

/** Failures of the content itself: every caller would meet them, so they are recorded. */
const CONTENT_FAILURES = new Set<ErrorCode>(['UnsupportedContent', 'DocumentCorrupt', 'ConversionTimeout']);

const stopping = () => new ApiError('ServiceUnavailable', [], { message: 'This node is shutting down; retry.' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface LocalJob {
  done: Promise<'converted' | 'lost'>;
  listeners: Set<(progress: ConversionProgress) => void>;
}

export function documentConverter(deps: ConverterDeps, settings: ConverterSettings): DocumentConverter {
  const { conversions, cache, log } = deps;
  const nodeId = settings.nodeId ?? newLeaseOwner();
  const leaseMs = settings.leaseMs ?? DEFAULT_LEASE_MS;
  const pollIntervalMs = settings.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const failureRetryMs = settings.failureRetryMs ?? DEFAULT_FAILURE_RETRY_MS;
  const queue = workQueue(settings.concurrency);
  const stop = new AbortController();
  /** This node's jobs by content and password: callers with the same password share one. */
  const jobs = new Map<string, LocalJob>();
  let workDir: Promise<string> | undefined;
  let nextJob = 0;

  // Private to this process: profiles and per-job folders (LibreOffice names its output after the input).
  const workFolder = () => (workDir ??= fs.mkdtemp(path.join(os.tmpdir(), 'imm-convert-')));

  /** Runs LibreOffice on `content` as `job-<n>.<extension>` in a folder of its own; returns the checked PDF. */
  async function convertHere(worker: number, content: Buffer, extension: string, filename: string): Promise<{ pdf: Buffer; pages: number }> {
    const root = await workFolder();
    const name = `job-${++nextJob}`;
    const dir = path.join(root, name);
    const profileDir = path.join(root, `profile-${worker}`);
    await fs.mkdir(dir, { mode: 0o700 });
    try {
      const inputFile = path.join(dir, `${name}.${extension}`);
      await fs.writeFile(inputFile, content, { mode: 0o600 });
      let output: string;
      try {
        ({ output } = await runSoffice(settings.soffice!, { profileDir, inputFile, outDir: dir, timeoutMs: settings.timeoutMs, signal: stop.signal }));
      } catch (err) {
        // A profile whose LibreOffice was killed may be half written: the next job on this worker starts afresh.
        await fs.rm(profileDir, { recursive: true, force: true });
        throw err;
      }
      const pdf = await fs.readFile(path.join(dir, `${name}.pdf`)).catch(() => undefined);
      const pages = pdf && (await pageCount(pdf));
      if (!pdf || !pages) {
        log.warn({ event: 'conversion.no_pdf', filename, output }, 'LibreOffice made no readable PDF');
        throw new ApiError('DocumentCorrupt', `${filename} is damaged: LibreOffice could not read it.`);
      }
      return { pdf, pages };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /** Claims the content (or takes the row it saw over) when a worker is free, and converts it; 'lost' if another claimed first. */
  function startJob(source: ConversionSource, seen: ConversionRow | undefined, job: LocalJob): Promise<'converted' | 'lost'> {
    const emit = (progress: ConversionProgress) => job.listeners.forEach((listener) => listener(progress));
    return queue.run(async (worker) => {
      if (stop.signal.aborted) throw stopping();
      const claim = { ownerNode: nodeId, claimId: randomBytes(16).toString('hex') };
      const now = Date.now();
      const won = seen ? await conversions.takeOver(source.etag, seen.claim_id, claim, now, leaseMs) : await conversions.claim(source.etag, claim, now, leaseMs);
      if (!won) return 'lost';
      emit({ state: 'converting' });
      const heartbeat = setInterval(() => {
        conversions.renew(source.etag, claim.claimId, Date.now(), leaseMs).catch((err) => log.warn({ err, event: 'conversion.renew_failed' }, 'could not renew a conversion claim'));
      }, leaseMs / 3);
      const started = Date.now();
      try {
        const { content, inspected } = await openForConversion(await source.read(), source.filename, source.password);
        const { pdf, pages } = await convertHere(worker, content, inspected.extension, source.filename);
        await cache.write(source.etag, pdf, inspected.encrypted ? source.password : undefined);
        await conversions.finish(source.etag, claim.claimId, pages, Date.now());
        log.info({ event: 'conversion.done', etag: source.etag, pages, ms: Date.now() - started }, 'converted to PDF');
        return 'converted';
      } catch (err) {
        const code = err instanceof ApiError ? err.code : undefined;
        if (code && CONTENT_FAILURES.has(code)) {
          await conversions.fail(source.etag, claim.claimId, { code, message: (err as Error).message }, Date.now());
          log.info({ event: 'conversion.failed', etag: source.etag, code }, 'conversion failed');
        } else {
          await conversions.release(source.etag, claim.claimId).catch(() => {});
        }
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
    }, (ahead) => emit({ state: 'queued', ahead }));
  }

  /** Joins this node's job for the content and password, or starts one. */
  function localJob(source: ConversionSource, seen: ConversionRow | undefined, onProgress: (progress: ConversionProgress) => void): Promise<'converted' | 'lost'> {
    const id = `${source.etag}:${source.password ?? ''}`;
    let job = jobs.get(id);
    if (!job) {
      const created: LocalJob = { listeners: new Set(), done: undefined as never };
      created.done = startJob(source, seen, created).finally(() => jobs.delete(id));
      jobs.set(id, (job = created));
    }
    job.listeners.add(onProgress);
    return job.done.finally(() => job.listeners.delete(onProgress));
  }

  return {
    status: () => ({ converter: settings.soffice ? 'libreoffice' : 'none', concurrency: settings.concurrency, waiting: queue.waiting, running: queue.running }),

    async convert(source, options = {}) {
      convertibleFormat(source.filename);
      let last: string | undefined;
      const report = (progress: ConversionProgress) => {
        const text = JSON.stringify(progress);
        if (text !== last) options.onProgress?.(progress);
        last = text;
      };
      for (;;) {
        if (stop.signal.aborted) throw stopping();
        const row = await conversions.get(source.etag);
        const now = Date.now();
        if (row?.state === 'done') {
          const pdf = await cache.read(source.etag, source.password);
          if (pdf) return { etag: source.etag, pdf, pages: row.pages ?? 0 };
          // Recorded as done, but its file is gone (deleted by hand): converted again below.
        } else if (row?.state === 'failed' && now < (row.finished_at_ms ?? 0) + failureRetryMs) {
          throw recordedFailure(row);
        } else if (row?.state === 'converting' && now < row.lease_expires_ms) {
          report({ state: 'converting' });
          await sleep(pollIntervalMs);
          continue;
        }
        if (!settings.soffice) throw new ApiError('ConverterUnavailable');
        // Nobody converts it, or its claim went stale, its failure is old, or its file is gone: convert it here.
        if ((await localJob(source, row, report)) === 'converted') continue; // read back like any other caller
      }
    },

    async close() {
      stop.abort();
      queue.close(stopping());
      await Promise.allSettled([...jobs.values()].map((job) => job.done));
      if (workDir) await fs.rm(await workDir, { recursive: true, force: true });
    },
  };
}

/** The error a failed conversion recorded (a code this version no longer knows reads as corrupt). */
function recordedFailure(row: ConversionRow): ApiError {
  const code = row.error !== null && row.error in ERROR_CATALOG ? (row.error as ErrorCode) : 'DocumentCorrupt';
  return new ApiError(code, [], { message: row.error_message ?? 'The document could not be converted to PDF.' });
}

/** Pages of a PDF that pdf-lib parses, or 0 when it does not parse (or has none). */
async function pageCount(pdf: Buffer): Promise<number> {
  // Loaded at the first conversion, not with the services: every CLI call and start-up would pay for it.
  const { PDFDocument } = await import('pdf-lib');
  try {
    return (await PDFDocument.load(pdf, { updateMetadata: false, throwOnInvalidObject: true })).getPageCount();
  } catch {
    return 0;
  }
}
