import type { Operation } from '../operation.js';
import { assumeRole } from './assumeRole.js';
import { getCallerIdentity } from './getCallerIdentity.js';

export const STS_VERSION = '2015-04-01';

export const STS_OPERATIONS: ReadonlyMap<string, Operation> = new Map([
  ['AssumeRole', assumeRole],
  ['GetCallerIdentity', getCallerIdentity],
]);
