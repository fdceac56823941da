/**
 * The peer: oidc-provider (a dev-dependency) with refresh-token rotation, in memory, its refresh tokens minted
 * through its real authorization-code flow, loaded by the same generator. NOT DONE YET: minting tens of
 * thousands of refresh tokens through the code flow (authorization request, interaction, consent, code
 * exchange) needs an interaction driver that this branch did not get to. Until it exists the bench says so and
 * writes `refresh_vs_oidc_provider: null`; the figure quoted in the issue (~2 400 refreshes/s here) is not
 * reproduced by this code.
 */
import type { LoadResult } from './loadGenerators.js';

export async function runPeer(_: { seconds: number; connections: number; threads: number; perPhase: number; work: string }): Promise<{ sessions: number; result: LoadResult } | undefined> {
  return undefined;
}
