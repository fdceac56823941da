import type { Operation } from './operation.js';
import { validateDescription, validateProjectName, validateServiceRole } from '../projects/projectName.js';
import { formatNanos, nowNanos } from '../tokens/time.js';
import { authorizeProject, findProject } from './projectAccess.js';
import { projectView } from './projectView.js';

export const updateProject: Operation = async (ctx) => {
  const { params, services } = ctx;
  const name = validateProjectName(params.ProjectName);
  const description = validateDescription(params.Description);
  const serviceRole = validateServiceRole(params.ServiceRole);
  const row = await findProject(ctx, name);
  await authorizeProject(ctx, 'UpdateProject', name);
  await services.projects.update(row.id, { description, serviceRole, now: formatNanos(nowNanos()) });
  return { Project: projectView((await services.projects.find(row.account_id, name)) ?? row) };
};
