/**
 * The host side of an upgrade: packages at one version, kubeadm's upgrade commands, the kubelet restarted, the node
 * drained and uncordoned, and what this host runs.
 *
 * Who may cause them: the coordinator, over the session this agent opened to the CA it pinned, in an upgrade an
 * operator started. What they reach: the kubeadm, kubelet and kubectl packages through the host's own package manager
 * (apt or dnf, from /etc/os-release; argv from core/host/packages.ts, the version checked as X.Y.Z), kubeadm's upgrade
 * commands (version checked), `systemctl restart kubelet`, and kubectl drain/uncordon of one checked node name through
 * this node's admin.conf. Nothing else: no repository, no other package, no shell.
 */
import { CommandError, KubeadmHaError, PreconditionError } from '../../core/errors.js';
import { drainNodeArgv, uncordonNodeArgv } from '../../core/host/kubectl.js';
import { installPackagesArgv, packageManagerOf } from '../../core/host/packages.js';
import { OS_RELEASE_PATH } from '../../core/host/paths.js';
import { upgradeApplyArgv, upgradeNodeArgv, upgradePlanArgv, versionArgv } from '../../core/kubeadm/argv.js';
import type { TaskResultInput } from '../../proto/index.js';
import type { HostOps } from '../hostops.js';
import { run, type StepContext } from './kubeadm.js';

export async function installPackages(
  host: HostOps,
  packages: readonly string[],
  version: string,
  ctx: StepContext,
): Promise<TaskResultInput['installPackages']> {
  const manager = packageManagerOf((await host.readFile(OS_RELEASE_PATH)) ?? '');
  if (!manager)
    throw new PreconditionError(`${OS_RELEASE_PATH} names neither a Debian nor a Red Hat family system: install kubeadm and kubelet ${version} by hand`);
  const lines: string[] = [];
  const progress = (line: string) => {
    lines.push(line);
    ctx.progress(line);
  };
  for (const argv of installPackagesArgv(manager, packages, version)) await run(host, argv, { ...ctx, progress });
  return { manager, lines: lines.filter((l) => /Setting up|Upgrading|Installing|set on hold|Complete/.test(l)).slice(0, 50) };
}

export async function kubeadmUpgrade(host: HostOps, mode: string, version: string, ctx: StepContext): Promise<TaskResultInput['kubeadmUpgrade']> {
  const argv = mode === 'apply' ? upgradeApplyArgv(version) : mode === 'plan' ? upgradePlanArgv(version) : mode === 'node' ? upgradeNodeArgv() : undefined;
  if (!argv) throw new PreconditionError(`kubeadm upgrade ${JSON.stringify(mode.slice(0, 20))} is not plan, apply or node`);
  const r = await run(host, argv, ctx);
  return { outputTail: r.stdout.trimEnd().split('\n').slice(-20).join('\n') };
}

/** `vX.Y.Z` from `kubeadm version -o short` and `kubelet --version` ("Kubernetes vX.Y.Z"); '' when absent. */
export async function nodeVersions(host: HostOps): Promise<TaskResultInput['nodeVersions']> {
  const [cmd, ...args] = versionArgv();
  const kubeadm = await host.exec(cmd!, args, { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
  const kubelet = await host.exec('kubelet', ['--version'], { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
  const pick = (text: string | undefined) => /\bv\d+\.\d+\.\d+\S*/.exec(text ?? '')?.[0] ?? '';
  return { kubeadm: kubeadm?.exitCode === 0 ? pick(kubeadm.stdout) : '', kubelet: kubelet?.exitCode === 0 ? pick(kubelet.stdout) : '' };
}

export async function restartKubelet(host: HostOps, ctx: StepContext): Promise<void> {
  await run(host, ['systemctl', 'daemon-reload'], ctx);
  await run(host, ['systemctl', 'restart', 'kubelet'], ctx);
  const active = await host.exec('systemctl', ['is-active', 'kubelet'], { allowFailure: true });
  if (active.exitCode !== 0) throw new KubeadmHaError(`kubelet is ${active.stdout.trim() || 'not active'} after its restart (journalctl -u kubelet)`);
}

export async function kubectlDrain(host: HostOps, nodeName: string, timeoutSeconds: number, server: string, ctx: StepContext): Promise<void> {
  await run(host, drainNodeArgv(nodeName, timeoutSeconds, server || undefined), ctx);
}

export async function kubectlUncordon(host: HostOps, nodeName: string, server: string, ctx: StepContext): Promise<void> {
  try {
    await run(host, uncordonNodeArgv(nodeName, server || undefined), ctx);
  } catch (err) {
    if (err instanceof CommandError && /already uncordoned/.test(err.stderrTail)) return;
    throw err;
  }
}
