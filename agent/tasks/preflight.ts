/**
 * Preflight, run on every host before kubeadm: fixes what it may fix (modules, sysctls, swap) and refuses with every
 * problem at once what it must not guess about (a leftover VIP, a busy port, a missing or mismatched kubeadm, another VRRP
 * router on the segment with our virtual_router_id).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import ipaddr from 'ipaddr.js';
import { KubeadmHaError, PreconditionError } from '../../core/errors.js';
import { CONNTRACK_FALLBACK, IPVS_MODULES, KERNEL_MODULES, requiredPorts } from '../../core/host/kernel.js';
import { parseIpAddrShow, parseSsListeners, portTaken } from '../../core/host/parse.js';
import { FSTAB_PATH } from '../../core/host/paths.js';
import { commentOutSwap, renderModulesLoad, renderSysctl } from '../../core/render/host.js';
import { parseKubernetesVersion } from '../../core/spec.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import { parseNftSetAddresses, renderVrrpProbe, VRRP_MULTICAST_MACS, VRRP_PROBE_DELETE_ARGS, VRRP_PROBE_LIST_ARGS } from '../../core/render/vrrp-probe.js';
import type { HostOps } from '../hostops.js';

export interface PreflightInput {
  readonly nodeName: string;
  readonly nodeAddress: string;
  readonly isControlPlane: boolean;
  readonly kubeProxyMode: 'ipvs' | 'iptables' | 'nftables';
  readonly kubernetesVersion: string;
  readonly criSocket: string;
  readonly vip: string;
  /** The haproxy port on control-plane nodes running keepalived-haproxy. */
  readonly lbPort?: number;
  readonly apiserverPort: number;
  /** keepalived runs here: look for other VRRP routers using its id on the node's segment first. */
  readonly vrrp?: VrrpCheck;
}

export interface VrrpCheck {
  readonly virtualRouterId: number;
  readonly listenMs: number;
  /** Every node address of the cluster: adverts from them are our own keepalived (a re-run), not a collision. */
  readonly clusterAddresses: readonly string[];
}

export interface PreflightResult {
  readonly warnings: readonly string[];
  readonly actions: readonly string[];
}

type Report = { problems: string[]; warnings: string[]; actions: string[]; progress: (line: string) => void };

async function loadModules(host: HostOps, input: PreflightInput, r: Report): Promise<void> {
  const failed: string[] = [];
  let conntrackModule: 'nf_conntrack' | typeof CONNTRACK_FALLBACK = 'nf_conntrack';
  for (const module of KERNEL_MODULES) {
    let result = await host.exec('modprobe', ['--', module], { allowFailure: true });
    if (result.exitCode !== 0 && module === 'nf_conntrack') {
      result = await host.exec('modprobe', ['--', CONNTRACK_FALLBACK], { allowFailure: true });
      if (result.exitCode === 0) conntrackModule = CONNTRACK_FALLBACK;
    }
    if (result.exitCode !== 0) failed.push(`${module} (${result.stderr.trim().split('\n').pop() || `exit ${result.exitCode}`})`);
  }
  const ipvsFailed = failed.filter((f) => IPVS_MODULES.includes(f.split(' ')[0]!));
  if (ipvsFailed.length > 0 && input.kubeProxyMode === 'ipvs') {
    r.problems.push(
      `kernel modules ${ipvsFailed.join(', ')} cannot be loaded, and kubeProxyMode is ipvs; install the kernel's ipvs modules (linux-modules-extra) or set spec.kubernetes.kubeProxyMode: iptables`,
    );
  }
  for (const f of failed) if (!ipvsFailed.includes(f) || input.kubeProxyMode !== 'ipvs') r.warnings.push(`kernel module ${f} could not be loaded`);
  const file = renderModulesLoad({ conntrackModule });
  await host.writeFile(file.path, file.content, file.mode);
  r.actions.push(`modules loaded and persisted in ${file.path}`);
}

async function applySysctls(host: HostOps, input: PreflightInput, r: Report): Promise<void> {
  const file = renderSysctl({ ipv6: input.nodeAddress.includes(':') });
  await host.writeFile(file.path, file.content, file.mode);
  const result = await host.exec('sysctl', ['-p', file.path], { allowFailure: true });
  if (result.exitCode !== 0) r.problems.push(`sysctl -p ${file.path} failed: ${result.stderr.trim() || `exit ${result.exitCode}`} (is br_netfilter loaded?)`);
  else r.actions.push(`sysctls applied and persisted in ${file.path}`);
}

async function disableSwap(host: HostOps, r: Report): Promise<void> {
  const off = await host.exec('swapoff', ['-a'], { allowFailure: true });
  if (off.exitCode !== 0) r.problems.push(`swapoff -a failed: ${off.stderr.trim()}; kubelet refuses to run with swap on`);
  const fstab = await host.readFile(FSTAB_PATH);
  if (fstab !== undefined) {
    const edited = commentOutSwap(fstab);
    if (edited !== fstab) {
      // Its own mode, less what HostOps refuses to write (a world-writable fstab is the operator's to fix, not ours to keep).
      await host.writeFile(FSTAB_PATH, edited, ((await host.mode(FSTAB_PATH)) ?? 0o644) & 0o775);
      r.actions.push(`swap lines commented out of ${FSTAB_PATH}`);
    }
  }
}

async function checkTimeSync(host: HostOps, r: Report): Promise<void> {
  const result = await host.exec('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { allowFailure: true });
  const value = result.stdout.trim();
  if (result.exitCode !== 0) r.warnings.push('could not ask timedatectl whether the clock is synchronised; etcd and certificates need synchronised clocks');
  else if (value !== 'yes')
    r.warnings.push(
      'the system clock is not NTP-synchronised (timedatectl NTPSynchronized=no); etcd elections and certificate validity suffer from clock skew',
    );
}

async function checkNames(host: HostOps, input: PreflightInput, r: Report): Promise<void> {
  const nameProblem = dns1123LabelProblem(input.nodeName);
  if (nameProblem) r.problems.push(`node name ${nameProblem}`);
  const hostname = (await host.exec('hostname', [], { allowFailure: true })).stdout.trim();
  if (hostname) {
    const resolved = await host.exec('getent', ['hosts', hostname], { allowFailure: true });
    if (resolved.exitCode !== 0) r.warnings.push(`the hostname "${hostname}" does not resolve; add it to /etc/hosts or DNS (kubeadm warns too)`);
  }
}

async function checkPorts(host: HostOps, input: PreflightInput, r: Report): Promise<void> {
  const ss = await host.exec('ss', ['-ltnH'], { allowFailure: true });
  if (ss.exitCode !== 0) {
    r.warnings.push('could not list listening ports with ss');
    return;
  }
  const listeners = parseSsListeners(ss.stdout);
  for (const port of requiredPorts(input)) {
    const taken = portTaken(listeners, input.nodeAddress, port);
    if (taken)
      r.problems.push(
        `port ${port} is already in use (listener on ${taken.address}:${taken.port}); stop whatever holds it, or run \`coordinatorctl reset\` if it is left from an earlier install`,
      );
  }
}

async function checkBinaries(host: HostOps, input: PreflightInput, r: Report): Promise<void> {
  const wanted = parseKubernetesVersion(input.kubernetesVersion);
  const kubeadm = await host.exec('kubeadm', ['version', '-o', 'short'], { allowFailure: true });
  if (kubeadm.exitCode !== 0) r.problems.push('kubeadm is not installed or does not run; install kubeadm ' + input.kubernetesVersion);
  else {
    const have = parseKubernetesVersion(kubeadm.stdout.trim());
    if (!have || !wanted || have.minor !== wanted.minor || have.major !== wanted.major)
      r.problems.push(`kubeadm is ${kubeadm.stdout.trim()} but the spec asks for ${input.kubernetesVersion}; install the matching minor version`);
    else if (have.patch !== wanted.patch) r.warnings.push(`kubeadm is ${kubeadm.stdout.trim()}, the spec says ${input.kubernetesVersion}`);
  }
  const kubelet = await host.exec('kubelet', ['--version'], { allowFailure: true });
  if (kubelet.exitCode !== 0) r.problems.push('kubelet is not installed or does not run; install kubelet ' + input.kubernetesVersion);
  else {
    const have = parseKubernetesVersion(kubelet.stdout.trim().replace(/^Kubernetes\s+/, ''));
    // kubelet may be one minor older than the control plane, never newer.
    if (!have || !wanted || have.minor > wanted.minor || wanted.minor - have.minor > 1)
      r.problems.push(`kubelet is ${kubelet.stdout.trim()} but the spec asks for ${input.kubernetesVersion}; kubelet must not be newer than the control plane`);
  }
  const socket = input.criSocket.replace(/^unix:\/\//, '');
  if (!(await host.exists(socket)))
    r.problems.push(`the container runtime socket ${socket} does not exist; install and start containerd (or set spec.kubernetes.criSocket)`);
}

async function checkLeftoverVip(host: HostOps, input: PreflightInput, r: Report): Promise<void> {
  const result = await host.exec('ip', ['-o', 'addr', 'show'], { allowFailure: true });
  if (result.exitCode !== 0) {
    r.problems.push('could not list addresses with `ip -o addr show`; is iproute2 installed?');
    return;
  }
  const holder = parseIpAddrShow(result.stdout).find((a) => a.address === input.vip);
  if (holder) {
    r.problems.push(
      `the VIP ${input.vip} is already on interface ${holder.interface}, left from an earlier install; run \`coordinatorctl reset\` (or \`ip addr del ${input.vip}/${holder.prefixLength} dev ${holder.interface}\`) first`,
    );
  }
}

export interface VrrpListenResult {
  /** False when nftables could not load the probe; `reason` says why. */
  readonly listened: boolean;
  readonly reason?: string;
  /** Source addresses of VRRP packets carrying the id, normalised, each once. */
  readonly senders: readonly string[];
}

/**
 * Listens `listenMs` for VRRP packets with `virtualRouterId` reaching this host (see core/render/vrrp-probe.ts); on
 * `iface`, when given, the NIC is told to accept the VRRP groups meanwhile. Leaves nothing behind: the nft table and
 * the multicast memberships it added go in every case.
 */
export async function listenForVrrpAdverts(
  host: HostOps,
  virtualRouterId: number,
  listenMs: number,
  iface: string | undefined,
  progress: (line: string) => void = () => {},
): Promise<VrrpListenResult> {
  const load = await host.exec('nft', ['-f', '-'], { input: renderVrrpProbe(virtualRouterId), allowFailure: true });
  if (load.exitCode !== 0) return { listened: false, reason: `nft: ${load.stderr.trim().split('\n')[0] || `exit ${load.exitCode}`}`, senders: [] };
  const joined: string[] = [];
  const senders: string[] = [];
  try {
    if (iface) {
      for (const mac of VRRP_MULTICAST_MACS) {
        if ((await host.exec('ip', ['maddr', 'add', mac, 'dev', iface], { allowFailure: true })).exitCode === 0) joined.push(mac);
      }
    }
    progress(`[preflight] listening ${listenMs} ms for VRRP adverts with virtual_router_id ${virtualRouterId}${iface ? ` on ${iface}` : ''}`);
    await sleep(listenMs);
    for (const args of VRRP_PROBE_LIST_ARGS) {
      const listed = await host.exec('nft', [...args], { allowFailure: true });
      try {
        if (listed.exitCode !== 0) throw new KubeadmHaError(listed.stderr.trim().split('\n')[0] || `exit ${listed.exitCode}`);
        senders.push(...parseNftSetAddresses(listed.stdout));
      } catch (err) {
        return { listened: false, reason: `nft ${args.join(' ')}: ${(err as Error).message}`, senders: [] };
      }
    }
  } finally {
    await host.exec('nft', [...VRRP_PROBE_DELETE_ARGS], { allowFailure: true });
    for (const mac of joined) await host.exec('ip', ['maddr', 'del', mac, 'dev', iface!], { allowFailure: true });
  }
  return { listened: true, senders: [...new Set(senders)] };
}

/** Other routers with our virtual_router_id on this segment: two VRRP clusters with one id fight over the VIP. */
async function checkVrrpRouterId(host: HostOps, input: PreflightInput, r: Report): Promise<void> {
  const vrrp = input.vrrp;
  if (!vrrp) return;
  const own = parseIpAddrShow((await host.exec('ip', ['-o', 'addr', 'show'], { allowFailure: true })).stdout);
  const iface = own.find((a) => a.address === input.nodeAddress)?.interface;
  const heard = await listenForVrrpAdverts(host, vrrp.virtualRouterId, vrrp.listenMs, iface, r.progress);
  if (!heard.listened) {
    r.warnings.push(
      `could not check the segment for other VRRP routers using virtual_router_id ${vrrp.virtualRouterId} (${heard.reason}); install nftables, or make sure no other keepalived on the segment uses it`,
    );
    return;
  }
  const ours = new Set([...vrrp.clusterAddresses, ...own.map((a) => a.address)].map((a) => (ipaddr.isValid(a) ? ipaddr.process(a).toString() : a)));
  const foreign = heard.senders.filter((a) => !ours.has(a));
  if (foreign.length > 0) {
    r.problems.push(
      `virtual_router_id ${vrrp.virtualRouterId} is already used on this segment: VRRP adverts from ${foreign.join(', ')}, which ${foreign.length === 1 ? 'is' : 'are'} not a node of this cluster; set spec.controlPlaneEndpoint.keepalived.virtualRouterId to an id no other router on the segment uses (1–255)`,
    );
  }
}

export async function runPreflight(host: HostOps, input: PreflightInput, progress: (line: string) => void = () => {}): Promise<PreflightResult> {
  const r: Report = { problems: [], warnings: [], actions: [], progress };
  // The VRRP listen is a fixed wait (3 s at least), the rest of preflight a few quick commands: the listen starts first
  // and the other checks run meanwhile, so the wait is not added to them. Its findings are reported last, as before.
  const vrrpReport: Report = { problems: [], warnings: [], actions: [], progress };
  if (input.vrrp) progress('[preflight] VRRP router id (listening while the other checks run)');
  const vrrp = checkVrrpRouterId(host, input, vrrpReport).then(
    () => undefined,
    (err: unknown) => err,
  );
  const steps: [string, () => Promise<void>][] = [
    ['kernel modules', () => loadModules(host, input, r)],
    ['sysctls', () => applySysctls(host, input, r)],
    ['swap', () => disableSwap(host, r)],
    ['time sync', () => checkTimeSync(host, r)],
    ['names', () => checkNames(host, input, r)],
    ['ports', () => checkPorts(host, input, r)],
    ['kubeadm, kubelet, CRI', () => checkBinaries(host, input, r)],
    ['leftover VIP', () => checkLeftoverVip(host, input, r)],
  ];
  try {
    for (const [name, step] of steps) {
      progress(`[preflight] ${name}`);
      await step();
    }
  } catch (err) {
    // Never leave the listen (its nft table, its multicast groups) running behind a failed step.
    await vrrp;
    throw err;
  }
  const failed = await vrrp;
  if (failed !== undefined) throw failed;
  r.problems.push(...vrrpReport.problems);
  r.warnings.push(...vrrpReport.warnings);
  r.actions.push(...vrrpReport.actions);
  if (r.problems.length > 0) {
    throw new PreconditionError(
      `preflight found ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}:\n` + r.problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
  return { warnings: r.warnings, actions: r.actions };
}
