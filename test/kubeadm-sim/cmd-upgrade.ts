/**
 * `kubeadm upgrade plan|apply|node` (cmd/kubeadm/app/cmd/upgrade, phases/upgrade/policy.go). The cluster's version is
 * the state's `kubernetesVersion`; the binary's own is what the host's package manager installed (env.ts
 * installedVersion). apply checks kubeadm's version-skew policy with its texts, renews the node's certificates (as
 * `--certificate-renewal=true`, the default, does), rewrites the control-plane static pods with the new images (etcd's
 * image from kubeadm's table for the new minor) and records the new cluster version; `upgrade node` rewrites this
 * control-plane node's static pods to the cluster's version, or on a worker only its kubelet configuration. The
 * kubelet stand-in restarts what changed (the stand-in apiserver then reports the new /version); without it (loopback
 * labs) the stand-in apiserver is restarted here.
 */
import { readFileSync } from 'node:fs';
import { apiserverPid, isAlive, restartApiserverWithVersion } from './apiserver-control.js';
import { minorOf } from './config.js';
import { hostPath, out, readHostFile, SimFailure, writeHostFile, type SimEnv } from './env.js';
import { getBool, type ParsedCommand } from './grammar.js';
import { runningKubeletVersion, StateStore, type ClusterState } from './state.js';
import { runCertsRenewQuietly } from './cmd-certs.js';

/** kubeadm's constants.SupportedEtcdVersion for the minors the simulator knows. */
const ETCD_FOR_MINOR: Record<number, string> = { 28: '3.5.15-0', 29: '3.5.16-0', 30: '3.5.15-0', 31: '3.5.15-0', 32: '3.5.16-0', 33: '3.5.21-0' };
const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
/** policy.go's MaximumAllowedMinorVersionKubeletSkew since v1.29 (the kubelet may be three minors behind). */
const KUBELET_SKEW = 3;

interface Version {
  text: string;
  major: number;
  minor: number;
  patch: number;
  pre: string;
}

function parseVersion(text: string): Version | undefined {
  const m = /^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(text);
  return m ? { text, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ?? '' } : undefined;
}

const less = (a: Version, b: Version) => (a.major !== b.major ? a.major < b.major : a.minor !== b.minor ? a.minor < b.minor : a.patch < b.patch);

/** `kubelet`: `upgrade node` falls back to the kubelet's kubeconfig where there is no admin.conf (a worker). */
function cluster(env: SimEnv, kubeletFallback = false): { store: StateStore; s: ClusterState } {
  const kubeconfig = readHostFile(env.root, '/etc/kubernetes/admin.conf') ?? (kubeletFallback ? readHostFile(env.root, '/etc/kubernetes/kubelet.conf') : null);
  if (kubeconfig === null) {
    throw new SimFailure(
      'couldn\'t create a Kubernetes client from file "/etc/kubernetes/admin.conf": failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory',
    );
  }
  const store = new StateStore(env.stateDir);
  const s = store.read();
  if (!s) throw new SimFailure('unable to fetch the kubeadm-config ConfigMap: configmaps "kubeadm-config" not found');
  return { store, s };
}

function readingConfiguration(prefix: string): void {
  out(`[${prefix}] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n`);
  out(`[${prefix}] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it.\n`);
}

/** policy.go EnforceVersionPolicies: the mandatory errors and the ones --force skips. */
export function versionPolicy(
  target: Version,
  clusterVersion: Version,
  kubeadm: Version,
  kubelets: readonly string[],
): { mandatory: string[]; skippable: string[] } {
  const mandatory: string[] = [];
  const skippable: string[] = [];
  if (target.minor > clusterVersion.minor + 1) {
    const e = `Specified version to upgrade to "${target.text}" is too high; kubeadm can upgrade only 1 minor version at a time`;
    (target.pre ? skippable : mandatory).push(e);
  }
  if (target.minor < clusterVersion.minor - 1) {
    const e = `Specified version to downgrade to "${target.text}" is too low; kubeadm can downgrade only 1 minor version at a time`;
    (target.pre ? skippable : mandatory).push(e);
  }
  if (less(kubeadm, target)) {
    if (target.minor > kubeadm.minor) {
      const e = `Specified version to upgrade to "${target.text}" is at least one minor release higher than the kubeadm minor release (${target.minor} > ${kubeadm.minor}). Such an upgrade is not supported`;
      (target.pre ? skippable : mandatory).push(e);
    } else
      skippable.push(
        `Specified version to upgrade to "${target.text}" is higher than the kubeadm version "${kubeadm.text}". Upgrade kubeadm first using the tool you used to install kubeadm`,
      );
  }
  if (kubeadm.major > target.major || kubeadm.minor > target.minor)
    skippable.push(`Kubeadm version ${kubeadm.text} can only be used to upgrade to Kubernetes version ${kubeadm.major}.${kubeadm.minor}`);
  const old = [...new Set(kubelets)].filter((k) => target.minor > minorOf(k) + KUBELET_SKEW);
  if (old.length > 0) skippable.push(`There are kubelets in this cluster that are too old that have these versions [${old.join(' ')}]`);
  return { mandatory, skippable };
}

const formatErrors = (errors: readonly string[]) => errors.map((e) => `\t- ${e}\n`).join('');

/** Rewrites this node's control-plane manifests to `version` (and etcd to kubeadm's image for its minor). */
function rewriteManifests(env: SimEnv, version: Version): string[] {
  const changed: string[] = [];
  const etcdTag = ETCD_FOR_MINOR[version.minor];
  for (const [file, image] of [...COMPONENTS.map((c) => [`${c}.yaml`, c] as const), ['etcd.yaml', 'etcd'] as const]) {
    const path = `/etc/kubernetes/manifests/${file}`;
    const text = readHostFile(env.root, path);
    if (text === null) continue;
    const tag = image === 'etcd' ? etcdTag : version.text;
    if (!tag) continue;
    const next = text.replace(new RegExp(`(image: \\S+/${image}):\\S+`), `$1:${tag}`);
    if (next === text) continue;
    out(`[upgrade/staticpods] Preparing for "${image}" upgrade\n`);
    writeHostFile(env.root, path, next, 0o600);
    out(
      `[upgrade/staticpods] Moving new manifest to "${path}" and backing up old manifest to "/etc/kubernetes/tmp/kubeadm-backup-manifests-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '-')}/${file}"\n`,
    );
    changed.push(image);
  }
  return changed;
}

/** Waits until this node's apiserver runs the new version: the kubelet stand-in restarts it; in loopback labs, we do. */
async function apiserverAt(env: SimEnv, version: string): Promise<void> {
  const underKubelet = env.etcd === 'real';
  if (!underKubelet) {
    if (env.apiserverMode === 'spawn') await restartApiserverWithVersion(env.root, version);
    return;
  }
  const deadline = Date.now() + env.apiserverWaitMs * 3;
  const pidFile = hostPath(env.root, '/run/kubeadm-sim/apiserver.json');
  while (Date.now() < deadline) {
    const pid = apiserverPid(env.root);
    let argv: string[] = [];
    try {
      argv = (JSON.parse(readFileSync(pidFile, 'utf8')) as { argv: string[] }).argv;
    } catch {
      argv = [];
    }
    if (pid !== null && isAlive(pid) && argv[argv.indexOf('--git-version') + 1] === version) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new SimFailure(`[upgrade/staticpods] timed out waiting for the kube-apiserver on this node to run ${version}`);
}

async function confirm(): Promise<boolean> {
  out('[upgrade] Are you sure you want to proceed? [y/N]: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const answer = Buffer.concat(chunks).toString().split('\n')[0]?.trim().toLowerCase() ?? '';
  return answer === 'y' || answer === 'yes';
}

export function runUpgradePlan(p: ParsedCommand, env: SimEnv): void {
  const { s } = cluster(env);
  readingConfiguration('upgrade/config');
  out('[preflight] Running pre-flight checks.\n');
  out('[upgrade] Running cluster health checks\n');
  const current = parseVersion(s.kubernetesVersion);
  const kubeadm = parseVersion(env.version);
  if (!current || !kubeadm) throw new SimFailure(`unable to parse the cluster version ${JSON.stringify(s.kubernetesVersion)}`);
  const target = p.args[0] ? parseVersion(p.args[0]) : kubeadm;
  if (!target) throw new SimFailure(`unable to parse normalized version "${p.args[0]}" as a semantic version`);
  out(
    `[upgrade] Fetching available versions to upgrade to\n[upgrade/versions] Cluster version: ${current.text}\n[upgrade/versions] kubeadm version: ${kubeadm.text}\n`,
  );
  if (!less(current, target)) {
    out("\nAwesome, you're up-to-date! Enjoy!\n");
    return;
  }
  out(
    `[upgrade/versions] Target version: ${target.text}\n[upgrade/versions] Latest version in the v${current.major}.${current.minor} series: ${current.text}\n\n`,
  );
  const kubelets = s.nodes.filter((n) => !n.kubeletStopped);
  out("Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':\n");
  out(`COMPONENT   NODE${' '.repeat(Math.max(3, Math.max(...kubelets.map((n) => n.name.length)) - 1))}CURRENT   TARGET\n`);
  for (const n of kubelets)
    out(`kubelet     ${n.name.padEnd(Math.max(...kubelets.map((x) => x.name.length)) + 3)}${runningKubeletVersion(n).padEnd(10)}${target.text}\n`);
  out(`\nUpgrade to the latest stable version:\n\nCOMPONENT                 NODE   CURRENT   TARGET\n`);
  for (const c of COMPONENTS) out(`${c.padEnd(26)}       ${current.text.padEnd(10)}${target.text}\n`);
  out(
    `\nYou can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply ${target.text}\n\n_____________________________________________________________________\n`,
  );
}

export async function runUpgradeApply(p: ParsedCommand, env: SimEnv, setHost: (h: string) => void): Promise<void> {
  const { store, s } = cluster(env);
  const node = s.nodes.find((n) => n.root === env.root && !n.kubeletStopped);
  if (node) setHost(node.name);
  if (node?.role !== 'control-plane') throw new SimFailure('[upgrade] this node is not a control-plane node: run "kubeadm upgrade node" on it instead');
  const wanted = p.args[0];
  if (!wanted) throw new SimFailure('missing one or more required arguments: [version]');
  readingConfiguration('upgrade');
  out('[upgrade/preflight] Running preflight checks\n[upgrade] Running cluster health checks\n');
  const target = parseVersion(wanted);
  if (!target) throw new SimFailure(`unable to parse normalized version "${wanted}" as a semantic version`);
  out(`[upgrade/preflight] You have chosen to upgrade the cluster version to "${target.text}"\n`);
  const current = parseVersion(s.kubernetesVersion)!;
  const kubeadm = parseVersion(env.version)!;
  out(`[upgrade/versions] Cluster version: ${current.text}\n[upgrade/versions] kubeadm version: ${kubeadm.text}\n`);
  const policy = versionPolicy(target, current, kubeadm, s.nodes.filter((n) => !n.kubeletStopped).map(runningKubeletVersion));
  if (policy.mandatory.length > 0) {
    throw new SimFailure(
      `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n${formatErrors(policy.mandatory)}\nPlease fix the misalignments highlighted above and try upgrading again`,
    );
  }
  if (policy.skippable.length > 0 && !getBool(p, 'force')) {
    throw new SimFailure(
      `[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n${formatErrors(policy.skippable)}\nCan be bypassed if you pass the --force flag`,
    );
  }
  if (!getBool(p, 'yes') && !(await confirm())) throw new SimFailure("won't proceed; the user didn't answer (Y|n) in order to continue");
  out('[upgrade/prepull] Pulling images required for setting up a Kubernetes cluster\n');
  out(`[upgrade/control-plane] Upgrading your static Pod-hosted control plane to version "${target.text}" (timeout: 5m0s)...\n`);
  await runCertsRenewQuietly(env);
  const changed = rewriteManifests(env, target);
  if (changed.includes('kube-apiserver')) await apiserverAt(env, target.text);
  for (const c of changed) out(`[upgrade/staticpods] Component "${c}" upgraded successfully!\n`);
  out('[upgrade/control-plane] The control plane instance for this node was successfully upgraded!\n');
  await store.update((cur) => (cur ? { next: { ...cur, kubernetesVersion: target.text }, result: undefined } : { result: undefined }));
  out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace\n');
  out('[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!\n');
  out('[addons] Applied essential addon: CoreDNS\n[addons] Applied essential addon: kube-proxy\n');
  out(`\n[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "${target.text}".\n\n`);
  out('[upgrade] Now please proceed with upgrading the rest of the nodes by following the right order.\n');
}

export async function runUpgradeNode(_p: ParsedCommand, env: SimEnv, setHost: (h: string) => void): Promise<void> {
  const { s } = cluster(env, true);
  const node = s.nodes.find((n) => n.root === env.root && !n.kubeletStopped);
  if (!node) throw new SimFailure("couldn't find this node in the cluster: is it joined?");
  setHost(node.name);
  readingConfiguration('upgrade');
  const target = parseVersion(s.kubernetesVersion)!;
  const kubeadm = parseVersion(env.version)!;
  if (less(kubeadm, target) && kubeadm.minor < target.minor) {
    throw new SimFailure(`the kubeadm version ${kubeadm.text} is lower than the version of the cluster ${target.text}: upgrade kubeadm on this node first`);
  }
  out('[upgrade/preflight] Running pre-flight checks\n');
  if (node.role === 'control-plane') {
    out(`[upgrade/control-plane] Upgrading your Static Pod-hosted control plane instance to version "${target.text}"...\n`);
    await runCertsRenewQuietly(env);
    const changed = rewriteManifests(env, target);
    if (changed.includes('kube-apiserver')) await apiserverAt(env, target.text);
    for (const c of changed) out(`[upgrade/staticpods] Component "${c}" upgraded successfully!\n`);
    out('[upgrade/control-plane] The control plane instance for this node was successfully upgraded!\n');
  } else out('[upgrade/control-plane] Skipping phase. Not a control plane node.\n');
  out('[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!\n');
  out('[upgrade] The upgrade for this node was successfully completed!\n');
}
