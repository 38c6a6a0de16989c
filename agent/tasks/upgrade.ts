/**
 * The host side of an upgrade: packages at one version, kubeadm's upgrade commands, the kubelet restarted, the node
 * drained and uncordoned, and what this host runs.
 *
 * Who may cause them: the coordinator, over the session this agent opened to the CA it pinned, in an upgrade an
 * operator started. What they reach: the kubeadm, kubelet and kubectl packages through the host's own package manager
 * (apt or dnf, from /etc/os-release; argv from core/host/packages.ts, the version checked as X.Y.Z), or, for tarball
 * hosts (spec.kubernetes.binariesDir), the three binaries copied from `<dir>/vX.Y.Z/` over the ones in place (root's
 * files only, each checked to report the version first, the previous kept beside it), kubeadm's upgrade
 * commands (version checked), `systemctl restart kubelet`, and kubectl drain/uncordon of one checked node name through
 * this node's admin.conf. Nothing else: no repository, no other package, no shell.
 */
import { CommandError, KubeadmHaError, PreconditionError } from '../../core/errors.js';
import { drainNodeArgv, uncordonNodeArgv } from '../../core/host/kubectl.js';
import {
  BINARY_INSTALL_DIRS,
  binaryVersionArgs,
  checkPackage,
  DEFAULT_BINARY_INSTALL_DIR,
  installPackagesArgv,
  type KubernetesPackage,
  packageManagerOf,
  packageVersion,
  reportedVersion,
  stagedBinaryPath,
} from '../../core/host/packages.js';
import { OS_RELEASE_PATH } from '../../core/host/paths.js';
import { upgradeApplyArgv, upgradeNodeArgv, upgradePlanArgv, versionArgv } from '../../core/kubeadm/argv.js';
import type { TaskResultInput } from '../../proto/index.js';
import type { HostOps } from '../hostops.js';
import { join } from 'node:path';
import { run, type StepContext } from './kubeadm.js';

export async function installPackages(
  host: HostOps,
  packages: readonly string[],
  version: string,
  ctx: StepContext,
  binariesDir = '',
): Promise<TaskResultInput['installPackages']> {
  if (binariesDir) return installBinaries(host, packages, version, binariesDir, ctx);
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

/**
 * A tarball host's binaries at `version`: each staged one must run and report that version before anything is
 * replaced; then each replaces the one in place (the previous kept as `<name>.kubeadm-ha-previous`, for a roll back
 * by hand). Nothing pins them: no package manager moves them.
 */
async function installBinaries(
  host: HostOps,
  packages: readonly string[],
  version: string,
  dir: string,
  ctx: StepContext,
): Promise<TaskResultInput['installPackages']> {
  const want = `v${packageVersion(version)}`;
  const names = [...new Set(packages.map(checkPackage))];
  if (names.length === 0) throw new PreconditionError('no package to install');
  const reports = async (path: string, pkg: KubernetesPackage) => {
    const r = await host.exec(join(host.root, path), binaryVersionArgs(pkg), { allowFailure: true, timeoutMs: 20_000 });
    return r.exitCode === 0 ? reportedVersion(`${r.stdout}\n${r.stderr}`) : undefined;
  };
  const plan: { pkg: KubernetesPackage; from: string; to: string; current: boolean }[] = [];
  for (const pkg of names) {
    const from = stagedBinaryPath(dir, pkg, version);
    // The one the host runs: it must be the only one, or the copy replaced might not be the one that runs.
    const found: string[] = [];
    for (const d of BINARY_INSTALL_DIRS) if (await host.exists(`${d}/${pkg}`)) found.push(`${d}/${pkg}`);
    if (found.length > 1)
      throw new PreconditionError(`${pkg} is in ${found.join(' and ')}: remove the copies the host does not run, then run the upgrade again`);
    const to = found[0] ?? `${DEFAULT_BINARY_INSTALL_DIR}/${pkg}`;
    // Already there (a resumed or repeated upgrade): nothing to replace, and the kept previous one stays the old one.
    if (found.length === 1 && (await reports(to, pkg)) === want) {
      plan.push({ pkg, from, to, current: true });
      continue;
    }
    if (!(await host.exists(from))) throw new PreconditionError(`${from} does not exist: stage the ${want} binaries in ${dir}/${want}/ on this host first`);
    // Run only once it is known to be root's, all the way up: the version check runs it as root.
    await host.checkInstallable(from);
    const reported = await reports(from, pkg);
    if (reported !== want)
      throw new PreconditionError(`${from} reports ${reported ?? 'nothing (it did not run)'}, not ${want}: stage the ${want} release there`);
    plan.push({ pkg, from, to, current: false });
  }
  const lines: string[] = [];
  for (const { pkg, from, to, current } of plan) {
    if (current) {
      lines.push(`${pkg} ${want} already installed as ${to}`);
      ctx.progress(lines.at(-1)!);
      continue;
    }
    const previous = `${to}.kubeadm-ha-previous`;
    if (await host.exists(to)) await host.installFile(to, previous, 0o755);
    await host.installFile(from, to, 0o755);
    const line = `${pkg} ${want} installed from ${from} as ${to}${(await host.exists(previous)) ? ` (the previous one kept as ${previous})` : ''}`;
    lines.push(line);
    ctx.progress(line);
  }
  return { manager: 'binaries', lines };
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
