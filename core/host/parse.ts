/** Parsers for the host tools the agent reads: `ip -o addr show`, `ss -ltnH`, os-release. Pure, tested on real output. */
import ipaddr from 'ipaddr.js';

export interface InterfaceAddress {
  readonly interface: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly prefixLength: number;
  readonly scope?: string;
}

/** `ip -o addr show`: one address per line, `2: eth0    inet 198.18.0.11/24 brd … scope global eth0\ …`. */
export function parseIpAddrShow(text: string): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)(.*)$/.exec(line.trim());
    if (!m) continue;
    const scope = /\bscope (\S+)/.exec(m[5]!)?.[1];
    out.push({
      interface: m[1]!,
      family: m[2] === 'inet' ? 'ipv4' : 'ipv6',
      address: ipaddr.parse(m[3]!).toString(),
      prefixLength: Number(m[4]),
      ...(scope ? { scope } : {}),
    });
  }
  return out;
}

export interface Listener {
  readonly address: string;
  readonly port: number;
}

/** `ss -ltnH`: `LISTEN 0 4096 127.0.0.1:14222 0.0.0.0:*`, IPv6 as `[::]:6443`, wildcard as `*:8443`. */
export function parseSsListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    if (cols[0] !== 'LISTEN' || !local) continue;
    const m = /^(.*):(\d+)$/.exec(local);
    if (!m) continue;
    let address = m[1]!.replace(/^\[|\]$/g, '').replace(/%\S+$/, '');
    if (address === '*') address = '0.0.0.0';
    out.push({ address, port: Number(m[2]) });
  }
  return out;
}

/** Whether something listening would take `port` on `address`: the same address, or a wildcard of either family. */
export function portTaken(listeners: readonly Listener[], address: string, port: number): Listener | undefined {
  return listeners.find((l) => l.port === port && (l.address === address || l.address === '0.0.0.0' || l.address === '::'));
}

/** `/etc/os-release` → PRETTY_NAME, for host facts. */
export function parseOsRelease(text: string): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? 'unknown';
}
