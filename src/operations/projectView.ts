import type { ProjectRow } from '../store/projects.js';

/** A project as the API shows it (the fields of IMM's `Project` model that this service keeps). */
export function projectView(row: ProjectRow): Record<string, unknown> {
  return {
    ProjectName: row.name,
    Description: row.description,
    ServiceRole: row.service_role,
    CreateTime: row.created_at,
    UpdateTime: row.updated_at,
  };
}
