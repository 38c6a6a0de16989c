/**
 * `kubeadm reset`: removes this host's etcd member, stops its kubelet (and stand-in apiserver)
 * and cleans the directories and files real kubeadm cleans — the whole of
 * /etc/kubernetes/manifests and /var/lib/kubelet included, whoever put files there.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getBool, getString, validateMixedArguments, type ParsedCommand } from './grammar.js';
import { err, hostPath, out, SimFailure, sleep, warn, type SimEnv } from './env.js';
import { connect } from 'node:net';
import { loadConfigFile } from './cluster-ops.js';
import { goSlice, RESET_CLOSING } from './output.js';
import { StateStore, type ClusterState } from './state.js';
import { clientURL, errorText, etcdClientTls, membersToState, removeOwnMember } from './etcd-ops.js';
import { stopApiserver } from './apiserver-control.js';

/** CleanDir: removes everything in a directory, but not the directory itself. */
function cleanDir(root: string, dir: string): void {
  const full = hostPath(root, dir);
  if (!existsSync(full)) return;
  for (const name of readdirSync(full)) rmSync(join(full, name), { recursive: true, force: true });
}

async function confirm(): Promise<boolean> {
  err("[reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be reverted.\n");
  out('[reset] Are you sure you want to proceed? [y/N]: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const answer = Buffer.concat(chunks).toString().split('\n')[0]?.trim().toLowerCase() ?? '';
  return answer === 'y' || answer === 'yes';
}

export async function runReset(p: ParsedCommand, env: SimEnv, setHost: (h: string) => void): Promise<void> {
  const mixed = validateMixedArguments(p.changed);
  if (mixed) throw new SimFailure(mixed);
  const cfgPath = getString(p, 'config');
  if (cfgPath) loadConfigFile(env.root, cfgPath, 'reset', env.version);
  if (getBool(p, 'dry-run')) throw new SimFailure('kubeadm-sim: --dry-run is not simulated');
  const store = new StateStore(env.stateDir);
  const snapshot = store.read();
  const node = snapshot?.nodes.find((n) => n.root === env.root && !n.kubeletStopped) ?? null;
  if (node) setHost(node.name);
  const kubeconfig = getString(p, 'kubeconfig');
  if (node && existsSync(hostPath(env.root, kubeconfig))) {
    out('[reset] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n');
    out("[reset] Use 'kubeadm init phase upload-config --config your-config.yaml' to re-upload it.\n");
  }
  if (!getBool(p, 'force') && !(await confirm())) {
    throw new SimFailure("won't proceed; the user didn't answer (Y|n) in order to continue");
  }
  out('[preflight] Running pre-flight checks\n');

  const certDir = getString(p, 'cert-dir');
  const etcdManifest = existsSync(hostPath(env.root, '/etc/kubernetes/manifests/etcd.yaml'));
  const etcdDataDir = snapshot?.etcdDataDir ?? '/var/lib/etcd';
  let wipeEtcd = true;
  if (node && node.role === 'control-plane' && snapshot && !snapshot.etcdExternal) {
    if (env.etcd === 'real' && etcdManifest) wipeEtcd = await removeRealMember(env, store, snapshot, node.address);
    else
      await store.update((s) =>
        s ? { next: { ...s, etcdMembers: s.etcdMembers.filter((m) => m.name !== node.name) }, result: undefined } : { result: undefined },
      );
  }
  if (etcdManifest) {
    if (wipeEtcd) {
      cleanDir(env.root, etcdDataDir);
      out(`[reset] Deleted contents of the etcd data directory: ${etcdDataDir}\n`);
    }
  } else {
    out('[reset] No etcd config found. Assuming external etcd\n[reset] Please, manually reset etcd to prevent further issues\n');
  }
  out('[reset] Stopping the kubelet service\n');
  await stopApiserver(env.root);
  if (node) {
    await store.update((s) =>
      s
        ? { next: { ...s, nodes: s.nodes.map((n) => (n.name === node.name && n.root === env.root ? { ...n, kubeletStopped: true } : n)) }, result: undefined }
        : { result: undefined },
    );
  }
  out('[reset] Unmounting mounted directories in "/var/lib/kubelet"\n');
  const dirs = ['/etc/kubernetes/manifests', '/var/lib/kubelet', certDir];
  if (getBool(p, 'cleanup-tmp-dir')) dirs.push('/etc/kubernetes/tmp');
  out(`[reset] Deleting contents of directories: ${goSlice(dirs)}\n`);
  for (const d of dirs) cleanDir(env.root, d);
  const files = ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'bootstrap-kubelet.conf', 'controller-manager.conf', 'scheduler.conf'].map(
    (f) => `/etc/kubernetes/${f}`,
  );
  out(`[reset] Deleting files: ${goSlice(files)}\n`);
  for (const f of files) rmSync(hostPath(env.root, f), { force: true });
  if (env.etcd === 'real' && etcdManifest && wipeEtcd) {
    // cleanup-node removes every container, etcd's included. The kubelet stand-in stops etcd once its manifest is
    // gone, but may have restarted the removed member (which exits on its removal) in between, and that one writes a
    // fresh member directory: wipe again once it is down, for the end state real kubeadm leaves.
    await waitPortClosed('127.0.0.1', 2379, 10_000);
    cleanDir(env.root, etcdDataDir);
  }
  out(RESET_CLOSING);
}

/**
 * remove-etcd-member with a real etcd (RemoveStackedEtcdMemberFromCluster): the node's member is removed through the
 * cluster's API unless it is the last one. When that fails kubeadm warns and leaves the data directory alone; the
 * return value says whether to wipe it.
 */
async function removeRealMember(env: SimEnv, store: StateStore, s: ClusterState, address: string): Promise<boolean> {
  const own = clientURL(address);
  // The other members first: this one may be the unhealthy one.
  const endpoints = [...s.etcdMembers.map((m) => m.clientURL).filter((u) => u && u !== own), own];
  try {
    const outcome = await removeOwnMember(endpoints, etcdClientTls(env.root, s.certificatesDir), address);
    const left = !outcome.removed && outcome.reason === 'last-member' ? [] : membersToState(outcome.members);
    await store.update((cur) => (cur ? { next: { ...cur, etcdMembers: left }, result: undefined } : { result: undefined }));
    return true;
  } catch (e) {
    warn('removeetcdmember.go:69', `[reset] Failed to remove etcd member: ${errorText(e)}, please manually remove this etcd member using etcdctl`);
    return false;
  }
}

/** Waits until nothing accepts connections on address:port (or the timeout passes). */
async function waitPortClosed(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const open = (): Promise<boolean> =>
    new Promise((resolve) => {
      const sock = connect({ host: address, port, timeout: 500 });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('timeout', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
  while ((await open()) && Date.now() < deadline) await sleep(100);
}
