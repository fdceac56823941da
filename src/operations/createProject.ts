import { ApiError } from '../core/errors.js';
import type { Operation } from './operation.js';
import { validateDescription, validateProjectName, validateServiceRole } from '../projects/projectName.js';
import { formatNanos, nowNanos } from '../tokens/time.js';
import { projectView } from './projectView.js';
import { DEFAULT_SERVICE_ROLE } from '../ram/systemPolicies.js';
import { authorizeProject } from './projectAccess.js';

export const createProject: Operation = async (ctx) => {
  const { params, caller, services } = ctx;
  const name = validateProjectName(params.ProjectName);
  const description = validateDescription(params.Description) ?? '';
  const serviceRole = validateServiceRole(params.ServiceRole) ?? DEFAULT_SERVICE_ROLE.name;
  await authorizeProject(ctx, 'CreateProject', name);
  const row = await services.projects.create({ accountId: caller.accountId, name, description, serviceRole, now: formatNanos(nowNanos()) });
  if (!row) throw new ApiError('ResourceAlreadyExists', `Project ${name}`);
  return { Project: projectView(row) };
};
