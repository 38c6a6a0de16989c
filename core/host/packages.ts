/**
 * Installing kubeadm and kubelet at one version with the host's package manager, as Kubernetes documents it for
 * pkgs.k8s.io: apt pins `PKG=X.Y.Z-*` past the hold (`--allow-change-held-packages`) and holds it again; dnf names
 * `PKG-X.Y.Z` past the repository's exclude (`--disableexcludes=kubernetes`), which is what keeps it from moving by
 * itself. Argv only: the agent runs them.
 */
import { KubeadmHaError } from '../errors.js';

export type PackageManager = 'apt' | 'dnf';
export const KUBERNETES_PACKAGES = ['kubeadm', 'kubelet', 'kubectl'] as const;
export type KubernetesPackage = (typeof KUBERNETES_PACKAGES)[number];

function checkPackage(name: string): KubernetesPackage {
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
