import type { LoadResult } from './loadGenerators.js';
export async function runPeer(_: { seconds: number; connections: number; threads: number; perPhase: number; work: string }): Promise<{ sessions: number; result: LoadResult }> {
  throw new Error('todo');
}
