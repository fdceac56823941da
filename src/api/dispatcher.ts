/**
 * From (Version, Action) to the operation that serves it: one explicit table. An unknown action or
 * version is an explicit error, never a fall-through.
 */
import { ApiError } from '../core/errors.js';
import { createProject } from '../operations/createProject.js';
import { getProject } from '../operations/getProject.js';
import { listProjects } from '../operations/listProjects.js';
import { updateProject } from '../operations/updateProject.js';
import { deleteProject } from '../operations/deleteProject.js';
import { generateWebofficeToken } from '../operations/generateWebofficeToken.js';
import { refreshWebofficeToken } from '../operations/refreshWebofficeToken.js';
import { RAM_OPERATIONS } from '../operations/ram/index.js';
import { STS_OPERATIONS, STS_VERSION } from '../operations/sts/index.js';
import type { Operation } from '../operations/operation.js';

export const IMM_VERSION = '2020-09-30';
export const RAM_VERSION = '2015-05-01';

const OPERATIONS: ReadonlyMap<string, ReadonlyMap<string, Operation>> = new Map([
  [
    IMM_VERSION,
    new Map<string, Operation>([
      ['CreateProject', createProject],
      ['GetProject', getProject],
      ['ListProjects', listProjects],
      ['UpdateProject', updateProject],
      ['DeleteProject', deleteProject],
      ['GenerateWebofficeToken', generateWebofficeToken],
      ['RefreshWebofficeToken', refreshWebofficeToken],
    ]),
  ],
  [RAM_VERSION, RAM_OPERATIONS],
  [STS_VERSION, STS_OPERATIONS],
]);

/**
 * `Action` and `Version` from the parameters, or else from the `x-acs-action` / `x-acs-version` headers. Given
 * in both places they must agree: under ACS3 both are signed, so preferring one would run an operation the
 * other, equally signed, does not name. (Under the classic signature only parameters are signed, and
 * `authenticate` requires these two among them.)
 */
export function resolveOperation(params: Record<string, string>, headers: Record<string, string | string[] | undefined>): { action: string; version: string; operation: Operation } {
  const action = fromParameterOrHeader(params, headers, 'Action', 'x-acs-action');
  const version = fromParameterOrHeader(params, headers, 'Version', 'x-acs-version');
  if (!action) throw new ApiError('MissingParameter', 'Action');
  if (!version) throw new ApiError('MissingParameter', 'Version');
  const actions = OPERATIONS.get(version);
  if (!actions) throw new ApiError('InvalidVersion', [], { message: `Specified parameter Version ${version} is not valid; this endpoint serves ${[...OPERATIONS.keys()].join(', ')}.` });
  const operation = actions.get(action);
  if (!operation) throw new ApiError('InvalidAction.NotFound', [], { message: `Specified api ${action} is not found for version ${version}, please check your url and method.` });
  return { action, version, operation };
}

function fromParameterOrHeader(params: Record<string, string>, headers: Record<string, string | string[] | undefined>, name: 'Action' | 'Version', header: string): string | undefined {
  const parameter = params[name];
  const value = headers[header];
  const fromHeader = Array.isArray(value) ? value[0] : value;
  if (parameter !== undefined && fromHeader !== undefined && parameter !== fromHeader) {
    throw new ApiError('InvalidParameter', [], {
      message: `The parameter ${name} (${parameter.slice(0, 64)}) differs from the ${header} header (${fromHeader.slice(0, 64)}): give one, or the same in both.`,
    });
  }
  return parameter || fromHeader;
}
