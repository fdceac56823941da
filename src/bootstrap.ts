import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import type { Services } from './services.js';
import { newAccessKey, newAccountId, type AccountCredentials } from './store/accounts.js';
import { writeFileOnce } from './crypto/masterKey.js';

export const ROOT_CREDENTIALS_FILE = 'root-credentials.json';

/**
 * Makes sure the bootstrap root account exists. With IMM_ROOT_ACCESS_KEY_ID/SECRET given, that key is used
 * and written nowhere in plaintext (the database keeps it sealed). Otherwise one is generated on first start
 * and written to `<data dir>/root-credentials.json` (mode 0600); the first of several processes starting
 * together wins and the others use its file.
 */
export async function ensureRootAccount(config: Config, services: Services): Promise<{ credentials: Omit<AccountCredentials, 'AccessKeySecret'>; file?: string; created: boolean }> {
  if (config.rootAccessKeyId && config.rootAccessKeySecret) {
    const key = { id: config.rootAccessKeyId, secret: config.rootAccessKeySecret };
    const existing = await services.accounts.findAccessKey(key.id);
    if (existing) {
      await services.accounts.replaceSecret(key.id, key.secret);
      return { credentials: { AccountId: existing.accountId, AccessKeyId: key.id }, created: false };
    }
    const created = await services.accounts.ensureAccount({ accountId: config.accountId ?? newAccountId(), accessKey: key });
    return { credentials: { AccountId: created.AccountId, AccessKeyId: key.id }, created: true };
  }

  const file = path.join(config.dataDir, ROOT_CREDENTIALS_FILE);
  if (!fs.existsSync(file)) {
    const key = newAccessKey();
    const fresh: AccountCredentials = { AccountId: config.accountId ?? newAccountId(), AccessKeyId: key.id, AccessKeySecret: key.secret };
    fs.mkdirSync(config.dataDir, { recursive: true });
    writeFileOnce(file, JSON.stringify(fresh, null, 2) + '\n');
  }
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as AccountCredentials;
  const known = await services.accounts.findAccessKey(stored.AccessKeyId);
  if (!known) await services.accounts.ensureAccount({ accountId: stored.AccountId, accessKey: { id: stored.AccessKeyId, secret: stored.AccessKeySecret } });
  return { credentials: { AccountId: stored.AccountId, AccessKeyId: stored.AccessKeyId }, file, created: !known };
}
