/**
 * Installing kubeadm and kubelet at one version with the host's package manager, as Kubernetes documents it for
 * pkgs.k8s.io: apt pins `PKG=X.Y.Z-*` past the hold (`--allow-change-held-packages`) and holds it again; dnf names
 * `PKG-X.Y.Z` past the repository's exclude (`--disableexcludes=kubernetes`), which is what keeps it from moving by
 * itself. Argv only: the agent runs them.
 */
import { KubeadmHaError } from '../errors.js';

export type PackageManager = 'apt' | 'dnf';

/**
 * Where a tarball host keeps the binaries today, looked at in this order; the first that has one is replaced in place
 * (/usr/bin is where seed 000's hand-written kubelet.service runs it from). None: /usr/local/bin, where Kubernetes'
 * "without a package manager" instructions put them.
 */
export const BINARY_INSTALL_DIRS = ['/usr/bin', '/usr/local/bin', '/opt/bin'] as const;
export const DEFAULT_BINARY_INSTALL_DIR = '/usr/local/bin';

/** The staged binary for `pkg` at `version`: `<dir>/vX.Y.Z/<pkg>`. `dir` comes from the validated spec; checked again here. */
export function stagedBinaryPath(dir: string, pkg: string, version: string): string {
  if (dir.length > 200 || !/^(\/[A-Za-z0-9._-]+)+$/.test(dir) || dir.split('/').some((s) => s === '.' || s === '..'))
    throw new KubeadmHaError(`binaries directory ${JSON.stringify(dir.slice(0, 60))} is not an absolute path without .. segments`);
  return `${dir}/v${packageVersion(version)}/${checkPackage(pkg)}`;
}

/** The argv (after the binary itself) that makes each binary print its version. */
export function binaryVersionArgs(pkg: KubernetesPackage): string[] {
  return pkg === 'kubeadm' ? ['version', '-o', 'short'] : pkg === 'kubelet' ? ['--version'] : ['version', '--client'];
}

/** `vX.Y.Z` from what a binary printed for {@link binaryVersionArgs}: kubeadm's short version, "Kubernetes vX.Y.Z", "Client Version: vX.Y.Z". */
export function reportedVersion(output: string): string | undefined {
  // The whole version, pre-release and build included, so that v1.32.0-rc.1 is not taken for v1.32.0.
  return /\bv\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?/.exec(output)?.[0];
}
export const KUBERNETES_PACKAGES = ['kubeadm', 'kubelet', 'kubectl'] as const;
export type KubernetesPackage = (typeof KUBERNETES_PACKAGES)[number];

export function checkPackage(name: string): KubernetesPackage {
  if (!(KUBERNETES_PACKAGES as readonly string[]).includes(name))
    throw new KubeadmHaError(`package ${JSON.stringify(name.slice(0, 40))} is not one of ${KUBERNETES_PACKAGES.join(', ')}`);
  return name as KubernetesPackage;
}

/** `1.32.0` from `v1.32.0` or `1.32.0`; anything else is refused. */
export function packageVersion(version: string): string {
  const m = /^v?(\d+\.\d+\.\d+)$/.exec(version);
  if (!m) throw new KubeadmHaError(`${JSON.stringify(version.slice(0, 40))} is not a release version X.Y.Z`);
  return m[1]!;
}

/** Which package manager a host has, from /etc/os-release (ID and ID_LIKE). */
export function packageManagerOf(osRelease: string): PackageManager | undefined {
  const field = (name: string) => new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1]?.toLowerCase().split(/\s+/) ?? [];
  const ids = [...field('ID'), ...field('ID_LIKE')];
  if (ids.some((i) => i === 'debian' || i === 'ubuntu')) return 'apt';
  if (ids.some((i) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol', 'amzn'].includes(i))) return 'dnf';
  return undefined;
}

/** The command lines that install `packages` at `version`, held against unattended upgrades, in order. */
export function installPackagesArgv(manager: PackageManager, packages: readonly string[], version: string): string[][] {
  const names = packages.map(checkPackage);
  const v = packageVersion(version);
  if (names.length === 0) throw new KubeadmHaError('no package to install');
  if (manager === 'apt') {
    return [
      ['apt-get', 'install', '-y', '--allow-change-held-packages', ...names.map((n) => `${n}=${v}-*`)],
      ['apt-mark', 'hold', ...names],
    ];
  }
  return [['dnf', 'install', '-y', ...names.map((n) => `${n}-${v}`), '--disableexcludes=kubernetes']];
}
