import { invalidArgument } from '../core/errors.js';
import type { Operation } from './operation.js';
import { projectView } from './projectView.js';
import { authorizeProject } from './projectAccess.js';

/** MaxResults 0–200 (IMM's range; 0 and absent mean the default, 100). NextToken is opaque to callers. */
export const listProjects: Operation = async (ctx) => {
  const { params, caller, services } = ctx;
  const limit = maxResults(params.MaxResults);
  const afterName = params.NextToken ? decodeNextToken(params.NextToken) : undefined;
  await authorizeProject(ctx, 'ListProjects', '*');
  const { projects, more } = await services.projects.list(caller.accountId, { limit, afterName, prefix: params.Prefix || undefined });
  const last = projects.at(-1);
  return {
    NextToken: more && last ? Buffer.from(last.name, 'utf8').toString('base64url') : '',
    Projects: projects.map(projectView),
  };
};

function maxResults(text: string | undefined): number {
  if (text === undefined || text === '') return 100;
  if (!/^\d{1,3}$/.test(text) || Number(text) > 200) throw invalidArgument('MaxResults', 'it must be an integer from 0 to 200');
  return Number(text) === 0 ? 100 : Number(text);
}

function decodeNextToken(token: string): string {
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(name)) throw invalidArgument('NextToken', 'it must be a NextToken returned by ListProjects');
  return name;
}
