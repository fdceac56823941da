import { invalidArgument, requiredParameter } from '../core/errors.js';

/** IMM's project naming rules (CreateProject, 2020-09-30); each failure says which rule it broke. */
export function validateProjectName(name: string | undefined, parameter = 'ProjectName'): string {
  if (name === undefined || name === '') throw requiredParameter(parameter);
  if (name.length > 128) throw invalidArgument(parameter, 'it must be 1 to 128 characters long');
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw invalidArgument(parameter, 'it can contain only letters, digits, hyphens (-) and underscores (_)');
  if (!/^[A-Za-z_]/.test(name)) throw invalidArgument(parameter, 'it must start with a letter or an underscore (_)');
  return name;
}

/** Project descriptions: at most 256 characters (empty by default). */
export function validateDescription(description: string | undefined): string | undefined {
  if (description !== undefined && [...description].length > 256) throw invalidArgument('Description', 'it must be at most 256 characters long');
  return description;
}

/** A RAM role name: 1 to 64 letters, digits, '.', '-' or '_' (RAM's rule). */
export function validateServiceRole(role: string | undefined): string | undefined {
  if (role === undefined || role === '') return undefined;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(role)) throw invalidArgument('ServiceRole', "it must be a RAM role name of 1 to 64 letters, digits, '.', '-' or '_'");
  return role;
}
