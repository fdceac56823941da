import { ApiError } from '../api/errors.js';
import type { Services } from '../services.js';
import type { ProjectRow } from '../store/projects.js';

/** The caller's project of that name, or `ResourceNotFound` (a project of another account is not found either). */
export async function findProject(services: Services, accountId: string, name: string): Promise<ProjectRow> {
  const row = await services.projects.find(accountId, name);
  if (!row) throw new ApiError('ResourceNotFound', `Project ${name}`);
  return row;
}
