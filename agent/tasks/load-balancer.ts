/**
 * Host-side load-balancer operations: stopping and starting keepalived/haproxy the way they run (kubelet static pods
 * or systemd units), moving the VIP away on purpose, deleting a VIP left behind, and proving nothing of ours is left.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, TimeoutError } from '../../core/errors.js';
import { LB_CONTAINER_NAMES, parseContainerIds, runningContainersArgv } from '../../core/host/crictl.js';
import { parseIpAddrShow } from '../../core/host/parse.js';
import {
  HAPROXY_CFG_PATH,
  KEEPALIVED_CONF_PATH,
  LOAD_BALANCER_MANIFEST_NAMES,
  STATIC_POD_MANIFESTS_DIR,
  STOPPED_MANIFESTS_DIR,
} from '../../core/host/paths.js';
import { KEEPALIVED_TRACK_FILE_PATH } from '../../core/render/keepalived.js';
import { SHOW_HOLD_ARGS, VIP_HANDOVER_NFT_FAMILY, VIP_HANDOVER_NFT_TABLE } from '../../core/render/vip-handover.js';
import { HAPROXY_ADMIN_SOCKET, HAPROXY_BACKEND } from '../../core/render/haproxy.js';
import type { LbServer } from '../../proto/generated/kubeadm_ha/v1/LbServer.js';
import type { HostOps } from '../hostops.js';
import { HaproxyRuntime } from '../lb/haproxy-runtime.js';

const LB_UNITS = ['keepalived', 'haproxy'] as const;

export type LbRuntime = 'static-pod' | 'systemd' | 'none';

export async function detectLbRuntime(host: HostOps): Promise<LbRuntime> {
  for (const name of LOAD_BALANCER_MANIFEST_NAMES) {
    if ((await host.exists(`${STATIC_POD_MANIFESTS_DIR}/${name}`)) || (await host.exists(`${STOPPED_MANIFESTS_DIR}/${name}`))) return 'static-pod';
  }
  if ((await host.exists(KEEPALIVED_CONF_PATH)) || (await host.exists(HAPROXY_CFG_PATH))) return 'systemd';
  return 'none';
}

export interface StopWait {
  readonly criSocket: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

const CONTAINER_POLL_MS = 250;

export async function stopLoadBalancer(host: HostOps, progress: (line: string) => void, wait?: StopWait, runAs?: 'static-pod' | 'systemd'): Promise<void> {
  const runtime = runAs ?? (await detectLbRuntime(host));
  if (runtime === 'static-pod') {
    for (const name of LOAD_BALANCER_MANIFEST_NAMES) {
      const content = await host.readFile(`${STATIC_POD_MANIFESTS_DIR}/${name}`);
      if (content === undefined) continue;
      await host.writeFile(`${STOPPED_MANIFESTS_DIR}/${name}`, content, 0o600);
      await host.remove(`${STATIC_POD_MANIFESTS_DIR}/${name}`);
      progress(`moved ${STATIC_POD_MANIFESTS_DIR}/${name} aside; kubelet stops the pod`);
    }
  } else if (runtime === 'systemd') {
    // systemctl stop returns once the units have stopped: nothing left to wait for. Exit 5 is "unit not loaded":
    // the distribution's package is not installed, so nothing of it runs.
    const stop = await host.exec('systemctl', ['stop', ...LB_UNITS], { allowFailure: true });
    if (stop.exitCode !== 0 && stop.exitCode !== 5) throw new CommandError(`systemctl stop ${LB_UNITS.join(' ')}`, stop.exitCode, stop.stderr.trim());
    progress(stop.exitCode === 0 ? 'systemctl stop keepalived haproxy' : `systemctl stop keepalived haproxy: ${stop.stderr.trim() || 'not loaded'}`);
    return;
  }
  // Also after a kubeadm reset emptied the manifests directory: its pods may still be shutting down.
  if (wait && wait.timeoutMs > 0) await waitForLbContainersGone(host, progress, wait);
}

/** Polls the container runtime until none of our load-balancer containers runs; a timeout names what still does. */
function waitForLbContainersGone(host: HostOps, progress: (line: string) => void, wait: StopWait): Promise<void> {
  return waitForContainersGone(host, LB_CONTAINER_NAMES, 'load-balancer', progress, wait);
}

/**
 * Polls the container runtime (crictl, on the task's socket) until no container named one of `names` runs in
 * kube-system: kubelet stops a static pod some time after its manifest went. `what` names them in messages.
 */
export async function waitForContainersGone(
  host: HostOps,
  names: readonly string[],
  what: string,
  progress: (line: string) => void,
  wait: StopWait,
): Promise<void> {
  const argv = runningContainersArgv(wait.criSocket, names);
  const started = Date.now();
  let reported = -1;
  for (;;) {
    wait.signal?.throwIfAborted();
    const ps = await host.exec('crictl', argv, { allowFailure: true, timeoutMs: 10_000 });
    if (ps.exitCode !== 0) {
      // No crictl, or no runtime answering: nothing we can watch, and kubelet cannot be running pods without one.
      progress(
        `cannot ask the container runtime whether the ${what} containers stopped (crictl: ${ps.stderr.trim().split('\n').at(-1) || `exit ${ps.exitCode}`}); not waiting`,
      );
      return;
    }
    const running = parseContainerIds(ps.stdout).length;
    if (running === 0) {
      if (reported >= 0) progress(`the ${what} containers stopped ${Date.now() - started} ms after their manifests went`);
      return;
    }
    if (running !== reported) {
      progress(`${running} ${what} container(s) still running; waiting for kubelet to stop them`);
      reported = running;
    }
    if (Date.now() - started > wait.timeoutMs) {
      throw new TimeoutError(
        `${running} ${what} container(s) (${names.join('/')}) still running ${wait.timeoutMs} ms after their static pod manifests were removed; is kubelet running? (crictl ps --name '${argv[argv.indexOf('--name') + 1]}')`,
      );
    }
    await sleep(CONTAINER_POLL_MS);
  }
}

export async function startLoadBalancer(host: HostOps, progress: (line: string) => void): Promise<void> {
  const runtime = await detectLbRuntime(host);
  if (runtime === 'static-pod') {
    for (const name of LOAD_BALANCER_MANIFEST_NAMES) {
      const content = await host.readFile(`${STOPPED_MANIFESTS_DIR}/${name}`);
      if (content === undefined) continue;
      await host.writeFile(`${STATIC_POD_MANIFESTS_DIR}/${name}`, content, 0o600);
      await host.remove(`${STOPPED_MANIFESTS_DIR}/${name}`);
      progress(`restored ${STATIC_POD_MANIFESTS_DIR}/${name}`);
    }
  } else if (runtime === 'systemd') {
    await host.exec('systemctl', ['enable', '--now', ...LB_UNITS]);
    progress('systemctl enable --now keepalived haproxy');
  }
}

/** keepalived's track_file with weight 0: any non-zero value puts the instance in FAULT and the VIP moves at once. */
export async function setVipTrack(host: HostOps, fault: boolean): Promise<void> {
  await host.writeFile(KEEPALIVED_TRACK_FILE_PATH, fault ? '1\n' : '0\n', 0o644);
}

/** Interfaces that hold `vip` right now. */
export async function vipHolders(host: HostOps, vip: string): Promise<{ interface: string; prefixLength: number }[]> {
  const result = await host.exec('ip', ['-o', 'addr', 'show']);
  return parseIpAddrShow(result.stdout)
    .filter((a) => a.address === vip)
    .map((a) => ({ interface: a.interface, prefixLength: a.prefixLength }));
}

/**
 * Deletes the VIP wherever it is on this host (seed 000: a VIP left behind breaks the next install). The given
 * interface and prefix are what we configured; what is actually there wins, so a hand-added /32 goes too.
 */
export async function removeVip(host: HostOps, vip: string, progress: (line: string) => void): Promise<number> {
  let removed = 0;
  for (const holder of await vipHolders(host, vip)) {
    await host.exec('ip', ['addr', 'del', `${vip}/${holder.prefixLength}`, 'dev', holder.interface]);
    progress(`ip addr del ${vip}/${holder.prefixLength} dev ${holder.interface}`);
    removed++;
  }
  return removed;
}

export interface Leftover {
  readonly kind: 'file' | 'vip' | 'process' | 'firewall';
  readonly detail: string;
}

export async function verifyClean(host: HostOps, paths: readonly string[], vip: string, opts: { firewallHold?: boolean } = {}): Promise<Leftover[]> {
  const leftovers: Leftover[] = [];
  for (const path of paths) if (await host.exists(path)) leftovers.push({ kind: 'file', detail: path });
  if (vip) for (const holder of await vipHolders(host, vip)) leftovers.push({ kind: 'vip', detail: `${vip}/${holder.prefixLength} on ${holder.interface}` });
  // A handover's hold on new connections, left if the agent died in the middle of one (no nft: nothing to check).
  if (opts.firewallHold && (await host.exec('nft', [...SHOW_HOLD_ARGS], { allowFailure: true })).exitCode === 0) {
    leftovers.push({ kind: 'firewall', detail: `nftables table ${VIP_HANDOVER_NFT_FAMILY} ${VIP_HANDOVER_NFT_TABLE}` });
  }
  // On a real host (root /) a running keepalived or haproxy is ours to have stopped; in tests the harness checks processes.
  if (host.root === '/') {
    for (const daemon of LB_UNITS) {
      const found = await host.exec('pgrep', ['-x', daemon], { allowFailure: true });
      if (found.exitCode === 0) leftovers.push({ kind: 'process', detail: `${daemon} (pid ${found.stdout.trim().split('\n').join(', ')})` });
    }
  }
  return leftovers;
}

/**
 * haproxy's servers in the apiserver backend, through its runtime socket under the host's root. `sessions` also asks
 * for each server's open sessions (the lbStatus task; a maintenance window waits for a drained one's); without it
 * they read 0 and the answer costs one command.
 */
export async function readLbServers(host: HostOps, opts: { sessions?: boolean } = {}): Promise<LbServer[]> {
  const runtime = new HaproxyRuntime(host.root === '/' ? HAPROXY_ADMIN_SOCKET : `${host.root}${HAPROXY_ADMIN_SOCKET}`);
  const servers = await runtime.showServersState(HAPROXY_BACKEND);
  const sessions = opts.sessions ? await runtime.serverSessions(HAPROXY_BACKEND) : undefined;
  return servers.map((s) => ({
    backend: s.backend,
    name: s.name,
    address: s.address,
    port: s.port,
    state: s.operational,
    checkStatus: s.admin,
    sessions: sessions?.get(s.name)?.current ?? 0,
  }));
}
