import { randomBytes } from 'node:crypto';
import type { Operation } from './operation.js';
import { parseGenerateParameters, type RememberedOptions } from '../tokens/webofficeOptions.js';
import { startSession } from '../tokens/webofficeSessions.js';
import { nowNanos } from '../tokens/time.js';
import { billableCallRecords } from './callRecords.js';
import { validateProjectName } from '../projects/projectName.js';
import { authorizeProject, findProject, openProjectDocument } from './projectAccess.js';

/** Opens a document for one user: a new session with its first token pair (billed per call). */
export const generateWebofficeToken: Operation = async (ctx) => {
  const { caller, services, log } = ctx;
  const { projectName, options } = parseGenerateParameters(ctx.params);
  const project = await findProject(ctx, validateProjectName(projectName));
  await authorizeProject(ctx, 'GenerateWebofficeToken', project.name);
  const document = await openProjectDocument(ctx, project, options.source, options.credentialConfig);
  // Users are told apart by Id; without one, WebOffice makes one up (and shows the name "Unknown").
  const user = { ...options.user, Id: options.user.Id ?? randomBytes(6).toString('hex') };
  // The document's password is a secret: remembered apart from the options, sealed at rest.
  const { password, ...withoutSecrets } = options;
  const remembered: RememberedOptions = { ...withoutSecrets, user, document: { version: document.version, size: document.size, etag: document.etag } };
  const now = nowNanos();
  let records: ReturnType<typeof billableCallRecords> | undefined;
  const { sessionId, pair } = await startSession(services.sessions, services.tokenSettings, {
    accountId: caller.accountId,
    projectId: project.id,
    options: JSON.stringify(remembered),
    secrets: password === undefined ? {} : { password },
    fileId: document.fileId,
    now,
    records: (id) => (records = billableCallRecords(ctx, 'GenerateWebofficeToken', { project, options: remembered, sessionId: id, now })),
  });
  records?.committed();
  log.info({ event: 'token.issued', sessionId, projectId: project.id, accountId: caller.accountId, fileId: document.fileId }, 'WebOffice token issued');
  return {
    WebofficeURL: `${services.publicUrl()}/office/${options.family}/${document.fileId}?_w_tokentype=1`,
    ...pair,
  };
};
