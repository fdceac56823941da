import type { Operation } from '../api/dispatcher.js';
import { validateProjectName } from '../projects/projectName.js';
import { findProject } from './findProject.js';

/** Deleting a project revokes every token of it first; a project created again later starts with none. */
export const deleteProject: Operation = async ({ params, caller, services, log }) => {
  const row = await findProject(services, caller.accountId, validateProjectName(params.ProjectName));
  await services.sessions.revokeProjectSessions(row.id, 'project deleted', Date.now());
  await services.projects.delete(row.id);
  log.info({ event: 'project.deleted', projectId: row.id, accountId: caller.accountId }, 'project deleted; its sessions are revoked');
  return {};
};
