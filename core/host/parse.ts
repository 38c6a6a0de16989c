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

export interface TcpConnection {
  /** As ss prints it: ESTAB, SYN-RECV, CLOSE-WAIT, FIN-WAIT-1, TIME-WAIT, … */
  readonly state: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly peerAddress: string;
  readonly peerPort: number;
}

function splitEndpoint(text: string): { address: string; port: number } | undefined {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m) return undefined;
  const raw = m[1]!.replace(/^\[|\]$/g, '').replace(/%\S+$/, '');
  // ss prints v4-mapped peers of a dual-stack socket as ::ffff:198.18.0.21.
  const address = ipaddr.isValid(raw) ? ipaddr.process(raw).toString() : raw;
  return { address, port: Number(m[2]) };
}

/** `ss -Htn`: `ESTAB 0 0 198.18.0.100:8443 198.18.0.21:40512`, IPv6 endpoints in brackets. Listeners are skipped. */
export function parseSsConnections(text: string): TcpConnection[] {
  const out: TcpConnection[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || cols[0] === 'LISTEN') continue;
    const local = splitEndpoint(cols[3]!);
    const peer = splitEndpoint(cols[4]!);
    if (!local || !peer) continue;
    out.push({ state: cols[0]!, localAddress: local.address, localPort: local.port, peerAddress: peer.address, peerPort: peer.port });
  }
  return out;
}

/**
 * States in which a client may still be waiting for bytes from this side: the request is not fully answered and
 * acknowledged. TIME-WAIT, FIN-WAIT-2, LAST-ACK and CLOSING come after the client has everything.
 */
const UNFINISHED_STATES = new Set(['ESTAB', 'SYN-RECV', 'CLOSE-WAIT', 'FIN-WAIT-1']);

/** Connections clients opened to `address:port` on this host that would break if the address moved now. */
export function unfinishedConnectionsTo(connections: readonly TcpConnection[], address: string, port: number): TcpConnection[] {
  const want = ipaddr.process(address).toString();
  return connections.filter((c) => c.localPort === port && c.localAddress === want && UNFINISHED_STATES.has(c.state));
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
