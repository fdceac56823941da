import type { Operation } from './operation.js';
import { validateProjectName } from '../projects/projectName.js';
import { authorizeProject, findProject } from './projectAccess.js';
import { projectView } from './projectView.js';

export const getProject: Operation = async (ctx) => {
  const row = await findProject(ctx, validateProjectName(ctx.params.ProjectName));
  await authorizeProject(ctx, 'GetProject', row.name);
  return { Project: projectView(row) };
};
