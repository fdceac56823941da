import type { Operation } from './operation.js';
import { validateProjectName } from '../projects/projectName.js';
import { authorizeProject, findProject } from './projectAccess.js';

/** Deleting a project revokes every token of it first; a project created again later starts with none. */
export const deleteProject: Operation = async (ctx) => {
  const { services, log } = ctx;
  const row = await findProject(ctx, validateProjectName(ctx.params.ProjectName));
  await authorizeProject(ctx, 'DeleteProject', row.name);
  await services.sessions.revokeProjectSessions(row.id, 'project deleted', Date.now());
  await services.projects.delete(row.id);
  log.info({ event: 'project.deleted', projectId: row.id, accountId: row.account_id }, 'project deleted; its sessions are revoked');
  return {};
};
