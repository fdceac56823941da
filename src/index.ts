/** The package's programmatic face: start the service from a test suite (see README, "From your own tests"). */
export { startImmWeboffice, type ImmWeboffice, type ImmWebofficeOptions, type PutDocumentResult } from './startImmWeboffice.js';
