/**
 * An operation run without HTTP, as an account's root: what `imm-weboffice project …` does, so the command
 * line applies the API's own rules (names, defaults, revoking a deleted project's sessions) and is audited.
 */
import { newRequestId } from './api/envelope.js';
import type { Services } from './services.js';
import type { Operation } from './operations/operation.js';
import { withAuditTrail } from './access/auditTrail.js';

export async function runAsAccountRoot(services: Services, accountId: string, operation: Operation, params: Record<string, string>): Promise<Record<string, unknown>> {
  if (!(await services.accounts.accountExists(accountId))) throw new Error(`account ${accountId} does not exist`);
  // The key only feeds policy conditions (acs:AccessId), which the root skips; the audit names the root.
  const accessKeyId = (await services.ram.listAccessKeys(accountId))[0]?.accessKeyId ?? '';
  return withAuditTrail(services.audit, (audit) =>
    operation({
      params,
      caller: { accessKeyId, accountId, principal: { type: 'Account', accountId, accessKeyId }, signature: 'CommandLine' },
      request: { sourceIp: '127.0.0.1', secureTransport: false, userAgent: 'imm-weboffice-cli' },
      requestId: newRequestId(),
      audit,
      services,
      log: services.log,
    }),
  );
}
