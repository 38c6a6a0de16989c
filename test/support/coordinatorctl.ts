/** coordinatorctl in-process (runCli) with an admin.conf, its output collected: for tests against a real coordinator. */
import { runCli } from '../../coordinator/cli/cli.js';

export async function runCtl(adminConf: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--admin-conf', adminConf], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}
