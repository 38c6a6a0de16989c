/** coordinatorctl in-process (runCli) with an admin.conf, its output collected: for tests against a real coordinator. */
import { runCli } from '../../coordinator/cli/cli.js';

export async function runCtl(adminConf: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return cli(...args, '--admin-conf', adminConf);
}

/** coordinatorctl in-process with exactly these arguments: its exit code, stdout and stderr. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}
