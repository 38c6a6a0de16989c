/** Small builders for the typed tasks the deploy sends, so phases read as what they do. */
import type { RenderedFile } from '../../core/render/types.js';
import type { AgentGateway, RunTaskOptions, TaskInput } from './context.js';

export function writeFilesTask(files: readonly RenderedFile[], removePaths: readonly string[] = []): TaskInput {
  return {
    writeFiles: {
      files: files.map((f) => ({ path: f.path, mode: f.mode, content: Buffer.from(f.content, 'utf8') })),
      removePaths: [...removePaths],
    },
  };
}

/** Which of `paths` exist on the agent's host (VerifyClean reports what is left). */
export async function existingPaths(agents: AgentGateway, agent: string, paths: readonly string[], options?: RunTaskOptions): Promise<string[]> {
  const result = await agents.runTask(agent, { verifyClean: { paths: [...paths], vip: '' } }, options);
  return (result.verifyClean?.leftovers ?? []).filter((l) => l.kind === 'file').map((l) => l.detail);
}
