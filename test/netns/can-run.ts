/**
 * Whether this machine can build labs: root, iproute2, and a kernel and sandbox that allow network and mount
 * namespaces, bridges and veth pairs. Probed once per process by doing exactly that on a throwaway namespace.
 */
import { execFileSync } from 'node:child_process';
import { IP, pathWithSbin, systemTool } from './command.js';
import { DEFAULT_LAB_PREFIX, newLabIdentity } from './names.js';

export type CanRun = { ok: true } | { ok: false; reason: string };

let cached: CanRun | undefined;

function attempt(cmd: string, args: string[]): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000, env: { ...process.env, PATH: pathWithSbin() } });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: Buffer; message?: string; code?: string };
    const why = e.code === 'ENOENT' ? 'not installed' : e.stderr?.toString().trim() || e.message || 'failed';
    return `\`${[cmd, ...args].join(' ')}\`: ${why}`;
  }
}

function probe(): CanRun {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux, this is ${process.platform}` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'network-namespace tests need root (uid 0)' };
  for (const tool of ['ip', 'unshare', 'mount']) {
    const missing = attempt(systemTool(tool), ['-V']);
    if (missing && /not installed/.test(missing)) return { ok: false, reason: `${tool} is not installed (iproute2/util-linux)` };
  }
  const ns = `${newLabIdentity(DEFAULT_LAB_PREFIX).stem}-probe`;
  const added = attempt(IP, ['netns', 'add', ns]);
  if (added) return { ok: false, reason: `cannot create a network namespace (restricted container?): ${added}` };
  try {
    const steps: string[][] = [
      [IP, '-n', ns, 'link', 'add', 'br0', 'type', 'bridge'],
      [IP, '-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1'],
      [IP, '-n', ns, 'link', 'set', 'p0', 'master', 'br0'],
      [IP, 'netns', 'exec', ns, systemTool('unshare'), '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', 'true'],
    ];
    for (const [cmd, ...args] of steps) {
      const failed = attempt(cmd!, args);
      if (failed) return { ok: false, reason: `namespace probe failed: ${failed}` };
    }
    return { ok: true };
  } finally {
    attempt(IP, ['netns', 'del', ns]);
  }
}

/** Cached per process: the answer does not change while tests run. */
export function canRunNetns(): CanRun {
  cached ??= probe();
  return cached;
}
