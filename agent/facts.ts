/** What the agent tells the coordinator about its host, at registration and on every Hello. */
import { arch, cpus, totalmem } from 'node:os';
import { parseIpAddrShow, parseOsRelease } from '../core/host/parse.js';
import { MACHINE_ID_PATH, OS_RELEASE_PATH } from '../core/host/paths.js';
import type { HostOps } from './hostops.js';

export interface HostFactsData {
  hostname: string;
  addresses: { interface: string; address: string; prefixLength: number; family: 'ADDRESS_FAMILY_IPV4' | 'ADDRESS_FAMILY_IPV6' }[];
  interfaces: { name: string; mac: string; mtu: number; up: boolean }[];
  kernel: string;
  osRelease: string;
  kubeadmVersion: string;
  kubeletVersion: string;
  cri: { socket: string; present: boolean; version: string };
  kubeletInstalledByPackageManager: boolean;
  swapOn: boolean;
  arch: string;
  cpus: number;
  memoryBytes: string;
  timeSynchronized: boolean;
  machineId: string;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

async function out(host: HostOps, cmd: string, args: string[]): Promise<string> {
  const r = await host.exec(cmd, args, { allowFailure: true, timeoutMs: 5000 });
  return r.exitCode === 0 ? r.stdout.trim() : '';
}

/** `ip -o link show`: `2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 … link/ether aa:bb:… brd …`. */
export function parseIpLinkShow(text: string): HostFactsData['interfaces'] {
  return text
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>\s+mtu\s+(\d+).*?link\/\S+\s+([0-9a-f:]+)?/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1]!, up: m[2]!.split(',').includes('UP'), mtu: Number(m[3]), mac: m[4] ?? '' }));
}

export async function gatherFacts(host: HostOps, criSocket = 'unix:///run/containerd/containerd.sock'): Promise<HostFactsData> {
  const socketPath = criSocket.replace(/^unix:\/\//, '');
  const kubeletPath = (await out(host, 'sh', ['-c', 'command -v kubelet'])) || '/usr/bin/kubelet';
  const dpkgOwned = (await host.exec('dpkg-query', ['-S', kubeletPath], { allowFailure: true })).exitCode === 0;
  const rpmOwned = !dpkgOwned && (await host.exec('rpm', ['-qf', kubeletPath], { allowFailure: true })).exitCode === 0;
  const swaps = (await host.readFile('/proc/swaps')) ?? '';
  return {
    hostname: await out(host, 'hostname', []),
    addresses: parseIpAddrShow(await out(host, 'ip', ['-o', 'addr', 'show'])).map((a) => ({
      interface: a.interface,
      address: a.address,
      prefixLength: a.prefixLength,
      family: a.family === 'ipv4' ? 'ADDRESS_FAMILY_IPV4' : 'ADDRESS_FAMILY_IPV6',
    })),
    interfaces: parseIpLinkShow(await out(host, 'ip', ['-o', 'link', 'show'])),
    kernel: await out(host, 'uname', ['-r']),
    osRelease: parseOsRelease((await host.readFile(OS_RELEASE_PATH)) ?? ''),
    kubeadmVersion: await out(host, 'kubeadm', ['version', '-o', 'short']),
    kubeletVersion: (await out(host, 'kubelet', ['--version'])).replace(/^Kubernetes\s+/, ''),
    cri: { socket: criSocket, present: await host.exists(socketPath), version: '' },
    kubeletInstalledByPackageManager: dpkgOwned || rpmOwned,
    swapOn: swaps.trim().split('\n').length > 1,
    arch: GOARCH[arch()] ?? arch(),
    cpus: cpus().length,
    memoryBytes: String(totalmem()),
    timeSynchronized: (await out(host, 'timedatectl', ['show', '-p', 'NTPSynchronized', '--value'])) === 'yes',
    machineId: ((await host.readFile(MACHINE_ID_PATH)) ?? '').trim(),
  };
}

/** The interface that carries `address`, for keepalived's `interface` when the spec does not name one. */
export function interfaceFor(facts: Pick<HostFactsData, 'addresses'>, address: string): string | undefined {
  return facts.addresses.find((a) => a.address === address)?.interface;
}
