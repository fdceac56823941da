/**
 * The document API the WebOffice page calls, under /office/api/v1/files/{fileId}: open, info, content (and
 * saving it: PUT with If-Match), versions, export. Every call presents `Authorization: Bearer <AccessToken>`
 * and `X-Weboffice-Holder`, and passes the checks of tokenCheck.ts before anything of the document is read.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import type { Services } from '../services.js';
import type { DocumentAccess } from '../store/webofficeAccess.js';
import type { RememberedOptions } from '../tokens/webofficeOptions.js';
import { formatNanos, parseNanos, NS_PER_MS } from '../tokens/time.js';
import { currentVersion, readVersion, saveVersion } from '../documents/documentVersions.js';
import { notifyTopicOf, saveNotification } from '../notifications/saveEvents.js';
import type { ObjectVersion } from '../store/objectVersions.js';
import { accessHashOf, bearerToken, checkAccess, checkHolder, holderHashOf } from './tokenCheck.js';
import { documentContentType, extensionOf, viewerFor } from './contentTypes.js';
import { effectiveWatermark } from './watermark.js';
import { EncryptedPdf, firstPages, openPdf, stampWatermark, textToPdf } from './pdf.js';
import { convertedPdfs } from './convertedPdfs.js';
import type { ConversionSource } from '../conversion/documentConverter.js';
import { percentEncode } from '../api/signature.js';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface DocumentApi {
  open: Handler;
  info: Handler;
  content: Handler;
  save: Handler;
  versions: Handler;
  export: Handler;
}

/** The largest document saved from the page (text and CSV edited in a browser; IMM_BODY_LIMIT does not apply). */
export const MAX_SAVE_BYTES = 20 * 1024 * 1024;

/** The formats the page edits; every other one stays view-only. */
const EDITABLE_VIEWERS = new Set(['text', 'csv']);

/** `If-Match: "ETAG"` (or the bare ETag, or a weak one): the ETag, or undefined without a usable one. */
function ifMatchOf(header: string | string[] | undefined): string | undefined {
  const match = typeof header === 'string' ? /^\s*(?:W\/)?"?([0-9A-Fa-f]{32})"?\s*$/.exec(header) : null;
  return match?.[1].toUpperCase();
}

/** Nothing the document API answers may be kept by a cache or read as another type than it says. */
const PRIVATE_HEADERS = { 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff' };

/** How long `content` waits for a conversion before it answers its progress (202), and when the page should ask again. */
const CONVERSION_WAIT_MS = 250;
const CONVERSION_RETRY_MS = { queued: 1000, converting: 500 } as const;

export function documentApi(services: Services): DocumentApi {
  const converted = convertedPdfs(services.converter);

  /** The token checks, then the holder's: `open` takes the session over, every other call must be its holder. */
  async function admit(request: FastifyRequest, opening: boolean): Promise<{ access: DocumentAccess; options: RememberedOptions }> {
    const { fileId } = request.params as { fileId: string };
    const accessHash = accessHashOf(bearerToken(request.headers.authorization));
    const found = accessHash === undefined ? undefined : await services.webofficeAccess.findByAccessHash(accessHash);
    const nowMs = Date.now();
    const access = checkAccess(found, fileId, nowMs);
    const holderHash = holderHashOf(request.headers['x-weboffice-holder']);
    const sessionId = access.session.id;
    if (opening) {
      await services.webofficeAccess.takeHolder(sessionId, holderHash, nowMs);
      const tookOver = access.holderHash !== null && access.holderHash !== holderHash;
      request.log.info({ event: 'weboffice.opened', sessionId, projectId: access.session.projectId, fileId, tookOver }, 'WebOffice document opened');
    } else {
      // A page that skipped `open` becomes the holder if there is none yet; otherwise only the holder goes on.
      checkHolder(access.holderHash ?? (await services.webofficeAccess.claimHolder(sessionId, holderHash, nowMs)), holderHash);
    }
    return { access, options: JSON.parse(access.session.options) as RememberedOptions };
  }

  async function info(request: FastifyRequest, reply: FastifyReply, opening: boolean) {
    const { access, options } = await admit(request, opening);
    const version = options.document ?? (await services.objectVersions.latest(options.source.bucket, options.source.key));
    reply.headers(PRIVATE_HEADERS);
    return {
      RequestId: request.id,
      FileId: access.session.fileId,
      Filename: options.filename,
      Extension: extensionOf(options.filename),
      Family: options.family,
      Size: version?.size ?? 0,
      Version: version?.version ?? 0,
      ETag: version?.etag ?? '',
      User: { Id: options.user.Id, Name: options.user.Name ?? 'Unknown', ...(options.user.Avatar && { Avatar: options.user.Avatar }) },
      Permission: options.permission,
      Watermark: effectiveWatermark(options.watermark),
      PreviewPages: options.previewPages ?? 0,
      Hidecmb: options.hidecmb,
      CachePreview: options.cachePreview,
      AccessTokenExpiredTime: accessTokenExpiry(access.token),
      // Converted formats are shown by the PDF viewer; `content` serves their PDF.
      Viewer: converted.applies(options.filename) ? 'pdf' : viewerFor(options.filename),
      ...(converted.applies(options.filename) && { Converted: true }),
    };
  }

  /**
   * The bytes of the version the session opened (or of `wanted`); a version whose bytes were not kept (recorded
   * before every version's were) is gone once replaced (ResourceNotFound).
   */
  async function openedContent(options: RememberedOptions, wanted?: ObjectVersion) {
    const version = wanted?.version ?? options.document?.version;
    const reader = await readVersion(services, options.source.bucket, options.source.key, version);
    if (!reader) {
      const which = version !== undefined ? `version ${version} of ${options.filename}` : options.filename;
      throw new ApiError('ResourceNotFound', [], {
        message: `The specified resource ${which} is not found: the document was replaced since this session opened it; call GenerateWebofficeToken again.`,
      });
    }
    return reader;
  }

  const requestedVersion = (request: FastifyRequest, options: RememberedOptions) => requestedVersionOf(services, request, options);
  /**
   * A version as the converter takes it (the opened one, or `wanted` from History): its ETag names the PDF, its
   * bytes are read only if converted here.
   */
  async function conversionSource(access: DocumentAccess, options: RememberedOptions, wanted?: ObjectVersion): Promise<ConversionSource> {
    const etag = wanted?.etag ?? options.document?.etag ?? (await services.objectVersions.latest(options.source.bucket, options.source.key))?.etag;
    if (!etag) throw new ApiError('ResourceNotFound', options.filename);
    const { password } = await services.sessions.secretsOf(access.session.id);
    const read = async () => Buffer.concat(await (await openedContent(options, wanted)).body.toArray());
    return { etag, filename: options.filename, read, password };
  }

  /** `content` of a converted format: its PDF (cut to PreviewPages), or 202 and the conversion's progress. */
  async function convertedContent(request: FastifyRequest, reply: FastifyReply, access: DocumentAccess, options: RememberedOptions, wanted?: ObjectVersion) {
    const source = await conversionSource(access, options, wanted);
    const version = wanted?.version ?? options.document?.version;
    if (version !== undefined) reply.header('x-weboffice-version', String(version));
    const result = await converted.get(source, CONVERSION_WAIT_MS);
    if ('state' in result) {
      const retryMs = CONVERSION_RETRY_MS[result.state];
      reply.status(202).headers({ ...PRIVATE_HEADERS, 'retry-after': String(Math.ceil(retryMs / 1000)) });
      return { RequestId: request.id, State: result.state, ...(result.state === 'queued' && { Ahead: result.ahead }), RetryAfterMs: retryMs };
    }
    const limit = options.previewPages;
    const cut = limit === undefined ? undefined : await cutPdf(result.pdf, limit);
    return reply
      .headers({
        ...PRIVATE_HEADERS,
        'content-type': 'application/pdf',
        'content-disposition': attachment(`${baseName(options.filename)}.pdf`),
        'content-security-policy': "default-src 'none'; sandbox",
        // Another representation of the version than its own bytes: an ETag of its own.
        etag: `"${source.etag}-pdf${cut ? `-${limit}p` : ''}"`,
        'x-imm-converted': 'pdf',
      })
      .send(cut ? Buffer.from(cut) : result.pdf);
  }

  /** The PDF an export stamps: the converted one (cut to PreviewPages), or the text laid out. PDFs are never exported (spec). */
  async function exportedPdf(access: DocumentAccess, options: RememberedOptions) {
    if (converted.applies(options.filename)) {
      const { pdf } = await converted.wait(await conversionSource(access, options));
      const limit = options.previewPages;
      return openPdf((limit === undefined ? undefined : await cutPdf(pdf, limit)) ?? pdf);
    }
    const viewer = viewerFor(options.filename);
    if (viewer !== 'text' && viewer !== 'csv') throw new ApiError('ConverterRequired', `.${extensionOf(options.filename)}`);
    const reader = await openedContent(options);
    const text = new TextDecoder('utf-8').decode(Buffer.concat(await reader.body.toArray()));
    return textToPdf(text, { title: options.filename, monospace: viewer === 'csv', maxPages: options.previewPages });
  }

  function refuseWithoutViewer(options: RememberedOptions): void {
    if (viewerFor(options.filename) === 'converter-needed') throw new ApiError('ConverterRequired', `.${extensionOf(options.filename)}`);
  }

  return {
    open: (request, reply) => info(request, reply, true),
    info: (request, reply) => info(request, reply, false),

    async content(request, reply) {
      const { access, options } = await admit(request, false);
      // The version first, History's permission with it, whatever the format.
      const wanted = await requestedVersion(request, options);
      if (converted.applies(options.filename)) return convertedContent(request, reply, access, options, wanted);
      refuseWithoutViewer(options);
      const reader = await openedContent(options, wanted);
      const etag = wanted?.etag ?? options.document?.etag;
      const version = wanted?.version ?? options.document?.version;
      if (version !== undefined) reply.header('x-weboffice-version', String(version));
      reply.headers({
        ...PRIVATE_HEADERS,
        'content-type': documentContentType(options.filename),
        'content-disposition': attachment(options.filename),
        // Opened directly, the bytes still run nothing.
        'content-security-policy': "default-src 'none'; sandbox",
      });
      const limit = options.previewPages;
      if (viewerFor(options.filename) === 'pdf' && limit !== undefined) {
        const bytes = Buffer.concat(await reader.body.toArray());
        const cut = await cutPdf(bytes, limit);
        // The cut is another representation of the version than its whole bytes: its own ETag.
        if (etag) reply.header('etag', cut ? `"${etag}-${limit}p"` : `"${etag}"`);
        return reply.send(cut ? Buffer.from(cut) : bytes);
      }
      if (etag) reply.header('etag', `"${etag}"`);
      return reply.header('content-length', reader.stat.size).send(reader.body);
    },

    async save(request, reply) {
      const { access, options } = await admit(request, false);
      if (options.permission.Readonly) {
        throw new ApiError('PermissionDenied', [], { message: 'This document was opened read-only (Permission.Readonly), so it cannot be saved.' });
      }
      if (!EDITABLE_VIEWERS.has(viewerFor(options.filename))) throw new ApiError('NotEditable', `.${extensionOf(options.filename)}`);
      const ifMatch = ifMatchOf(request.headers['if-match']);
      if (ifMatch === undefined) throw new ApiError('PreconditionRequired');
      const content = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const { bucket, key } = options.source;
      // The version the file shows now (a file replaced by hand is one too), to tell an unchanged save.
      const stat = await services.objects.headObject(bucket, key);
      const current = stat ? await currentVersion(services, bucket, key, stat) : undefined;
      reply.headers(PRIVATE_HEADERS);
      // The very bytes of the version it started from: nothing to save (and nothing to announce).
      if (current?.etag === ifMatch && current.etag === md5Of(content) && current.size === content.length) {
        return { RequestId: request.id, Result: 'nochange', Version: current.version, ETag: current.etag, Size: current.size };
      }
      const topic = notifyTopicOf(options);
      const project = topic === undefined ? undefined : await services.projects.findById(access.session.projectId);
      const notify = saveNotification(
        topic === undefined
          ? undefined
          : { topic, projectName: project?.name ?? '', fileId: access.session.fileId, sourceUri: options.sourceUri, user: options.user, userData: options.userData },
      );
      const saved = await saveVersion(services, bucket, key, content, { ifMatch, notify });
      request.log.info({ event: 'weboffice.saved', sessionId: access.session.id, fileId: access.session.fileId, version: saved.version, notified: topic !== undefined }, 'WebOffice document saved');
      return { RequestId: request.id, Result: 'ok', Version: saved.version, ETag: saved.etag, Size: saved.size };
    },

    async versions(request, reply) {
      const { options } = await admit(request, false);
      if (!options.permission.History) throw new ApiError('PermissionDenied', 'History');
      reply.headers(PRIVATE_HEADERS);
      const versions = await services.objectVersions.list(options.source.bucket, options.source.key);
      return {
        RequestId: request.id,
        Versions: versions.reverse().map((v) => ({ Version: v.version, Size: v.size, ETag: v.etag, CreatedTime: v.createdAt, Kept: v.contentId !== undefined })),
      };
    },

    async export(request, reply) {
      const { access, options } = await admit(request, false);
      if (!options.permission.Export) throw new ApiError('PermissionDenied', 'Export');
      const doc = await exportedPdf(access, options);
      const watermark = effectiveWatermark(options.watermark);
      if (watermark.Type === 1) await stampWatermark(doc, watermark);
      const pdf = Buffer.from(await doc.save());
      return reply
        .headers({ ...PRIVATE_HEADERS, 'content-type': 'application/pdf', 'content-disposition': attachment(`${baseName(options.filename)}.pdf`) })
        .send(pdf);
    },
  };
}

/**
 * `?version=N` (or `latest`): the version a content read asks for, undefined for the opened one. An earlier
 * version needs Permission.History; an editing session (not Readonly) may always read the latest, which it saves
 * over (the page reloads it after a conflict).
 */
async function requestedVersionOf(services: Services, request: FastifyRequest, options: RememberedOptions): Promise<ObjectVersion | undefined> {
  const asked = (request.query as Record<string, unknown>).version;
  if (asked === undefined) return undefined;
  if (typeof asked !== 'string' || !/^(latest|[1-9]\d{0,9})$/.test(asked)) {
    throw new ApiError('InvalidArgument', [], { message: 'The query parameter version must be a version number or latest.' });
  }
  const { bucket, key } = options.source;
  const latest = await services.objectVersions.latest(bucket, key);
  const wanted = asked === 'latest' ? latest : await services.objectVersions.find(bucket, key, Number(asked));
  if (!wanted) throw new ApiError('ResourceNotFound', [], { message: `The specified resource version ${asked} of ${options.filename} is not found.` });
  const opened = wanted.version === options.document?.version;
  const editorReadsLatest = !options.permission.Readonly && wanted.version === latest?.version;
  if (!opened && !editorReadsLatest && !options.permission.History) throw new ApiError('PermissionDenied', 'History');
  return wanted;
}

const md5Of = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex').toUpperCase();

/** PreviewPages of a PDF: its first pages only, or undefined when it has no more; an encrypted one cannot be cut. */
async function cutPdf(bytes: Buffer, limit: number): Promise<Uint8Array | undefined> {
  try {
    return await firstPages(bytes, limit);
  } catch (err) {
    if (err instanceof EncryptedPdf) {
      throw new ApiError('ConverterRequired', [], { message: 'The PDF is encrypted, so this server cannot cut it to its PreviewPages; open it without PreviewPages.' });
    }
    throw err;
  }
}

/** The expiry Generate or Refresh answered, to the nanosecond, or the end of a refreshed token's grace. */
function accessTokenExpiry(token: DocumentAccess['token']): string {
  if (token.accessValidUntilMs < token.accessExpiresMs) return formatNanos(BigInt(token.accessValidUntilMs) * NS_PER_MS);
  const issued = parseNanos(token.issuedAt);
  // The lifetime is whole milliseconds, so the expiry is the issue instant plus exactly that many.
  return formatNanos(issued + BigInt(token.accessExpiresMs - Number(issued / NS_PER_MS)) * NS_PER_MS);
}

function baseName(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(0, dot) : filename;
}

/** `attachment` with the name in RFC 5987 form (any character), and a plain ASCII fallback. */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${percentEncode(filename)}`;
}
