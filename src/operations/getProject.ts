import type { Operation } from '../api/dispatcher.js';
import { validateProjectName } from '../projects/projectName.js';
import { findProject } from './findProject.js';
import { projectView } from './projectView.js';

export const getProject: Operation = async ({ params, caller, services }) => {
  const row = await findProject(services, caller.accountId, validateProjectName(params.ProjectName));
  return { Project: projectView(row) };
};
