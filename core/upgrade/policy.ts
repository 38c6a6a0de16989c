/**
 * What an upgrade to a Kubernetes version must satisfy before it touches a node, judged from what the nodes report.
 * Pure. Each refusal names its rule and the node, so the operator knows what to fix: kubeadm's own policy (one minor
 * at a time, never past kubeadm's minor) and Kubernetes' version-skew policy for kubelets (not newer than the
 * apiserver, at most three minors older), every node Ready, and no downgrade.
 */
export interface Version {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseReleaseVersion(text: string): Version | undefined {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return m ? { text, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The kubelet may be this many minors older than the apiserver (Kubernetes' version-skew policy since v1.28). */
export const KUBELET_MAX_MINORS_BEHIND = 3;

export interface NodeVersions {
  readonly node: string;
  readonly role: 'control-plane' | 'worker';
  /** `v1.31.4`, as the Node reports it. */
  readonly kubelet: string;
  readonly ready: boolean;
}

export interface UpgradeCheck {
  readonly target: string;
  /** The cluster's Kubernetes version now (its control plane's). */
  readonly cluster: string;
  readonly nodes: readonly NodeVersions[];
}

/** Every rule the upgrade breaks, one line each (`rule: detail`); empty when it may go. */
export function upgradeRefusals(input: UpgradeCheck): string[] {
  const target = parseReleaseVersion(input.target);
  if (!target) return [`target version: ${JSON.stringify(input.target.slice(0, 40))} is not a release version vX.Y.Z`];
  const cluster = parseReleaseVersion(input.cluster);
  if (!cluster) return [`cluster version: the cluster reports ${JSON.stringify(input.cluster.slice(0, 40))}, not vX.Y.Z`];
  const out: string[] = [];
  if (compareVersions(target, cluster) < 0) out.push(`no downgrade: the cluster runs ${cluster.text}, above ${target.text}`);
  if (target.major !== cluster.major || target.minor > cluster.minor + 1)
    out.push(`one minor version at a time: ${cluster.text} → ${target.text} skips a minor; upgrade to v${cluster.major}.${cluster.minor + 1} first`);
  for (const n of input.nodes) {
    if (!n.ready) out.push(`every node Ready: ${n.node} is not Ready`);
    const k = parseReleaseVersion(n.kubelet);
    if (!k) {
      out.push(`kubelet version skew: ${n.node} reports kubelet ${JSON.stringify(n.kubelet.slice(0, 40))}`);
      continue;
    }
    if (compareVersions(k, target) > 0) out.push(`kubelet version skew: ${n.node}'s kubelet ${k.text} is newer than ${target.text}`);
    if (target.minor - k.minor > KUBELET_MAX_MINORS_BEHIND)
      out.push(
        `kubelet version skew: ${n.node}'s kubelet ${k.text} would be more than ${KUBELET_MAX_MINORS_BEHIND} minors behind ${target.text}; upgrade it first`,
      );
  }
  return out;
}

/** Where a node is in the upgrade, from what it runs: nothing to do, kubeadm to install, or kubelet to upgrade. */
export function nodeUpgradeStep(target: string, installedKubeadm: string, kubelet: string): 'done' | 'kubeadm' | 'kubelet' {
  if (installedKubeadm !== target) return 'kubeadm';
  return kubelet === target ? 'done' : 'kubelet';
}
