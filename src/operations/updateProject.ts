import type { Operation } from '../api/dispatcher.js';
import { validateDescription, validateProjectName, validateServiceRole } from '../projects/projectName.js';
import { formatNanos, nowNanos } from '../tokens/time.js';
import { findProject } from './findProject.js';
import { projectView } from './projectView.js';

export const updateProject: Operation = async ({ params, caller, services }) => {
  const name = validateProjectName(params.ProjectName);
  const description = validateDescription(params.Description);
  const serviceRole = validateServiceRole(params.ServiceRole);
  const row = await findProject(services, caller.accountId, name);
  await services.projects.update(row.id, { description, serviceRole, now: formatNanos(nowNanos()) });
  return { Project: projectView((await services.projects.find(caller.accountId, name)) ?? row) };
};
