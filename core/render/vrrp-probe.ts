/**
 * Checking the L2 segment for VRRP routers that already use our virtual_router_id (DESIGN.md: the id must be unique
 * on the segment, and two keepalived clusters with the same id fight over each other's adverts). Node has no raw
 * sockets, so the agent asks the kernel: an nftables table of its own records the source address of every VRRP
 * packet (IPv4 protocol / IPv6 next header 112) whose second byte — the VRID — is ours, for a few advert intervals.
 */
import { KubeadmHaError } from '../errors.js';
import ipaddr from 'ipaddr.js';

export const VRRP_PROBE_NFT_TABLE = 'kubeadm_ha_vrrp_probe';
export const VRRP_PROBE_FAMILY = 'inet';
/** The VRRP multicast groups' link-layer addresses (224.0.0.18, ff02::12): joined so the NIC's filter lets adverts in. */
export const VRRP_MULTICAST_MACS = ['01:00:5e:00:00:12', '33:33:00:00:00:12'] as const;

export function renderVrrpProbe(virtualRouterId: number): string {
  if (!Number.isInteger(virtualRouterId) || virtualRouterId < 1 || virtualRouterId > 255)
    throw new KubeadmHaError(`vrrp probe: virtual router id ${virtualRouterId} is not in 1..255`);
  const t = `${VRRP_PROBE_FAMILY} ${VRRP_PROBE_NFT_TABLE}`;
  return [
    `add table ${t}`,
    `flush table ${t}`,
    `table ${t} {`,
    '  set senders4 { type ipv4_addr; flags dynamic; size 1024; }',
    '  set senders6 { type ipv6_addr; flags dynamic; size 1024; }',
    '  chain prerouting {',
    // Before conntrack and before the multicast route check drops a group this host has not joined.
    '    type filter hook prerouting priority raw; policy accept;',
    `    ip protocol 112 @th,8,8 ${virtualRouterId} add @senders4 { ip saddr }`,
    `    ip6 nexthdr 112 @th,8,8 ${virtualRouterId} add @senders6 { ip6 saddr }`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export const VRRP_PROBE_LIST_ARGS: readonly (readonly string[])[] = [
  ['-j', 'list', 'set', VRRP_PROBE_FAMILY, VRRP_PROBE_NFT_TABLE, 'senders4'],
  ['-j', 'list', 'set', VRRP_PROBE_FAMILY, VRRP_PROBE_NFT_TABLE, 'senders6'],
];
export const VRRP_PROBE_DELETE_ARGS: readonly string[] = ['delete', 'table', VRRP_PROBE_FAMILY, VRRP_PROBE_NFT_TABLE];

/**
 * The addresses in `nft -j list set …`: elements are plain strings, or `{ "elem": { "val": … } }` objects when the
 * set carries per-element data (timeouts, counters). Throws on anything that is not nft's JSON.
 */
export function parseNftSetAddresses(json: string): string[] {
  const doc = JSON.parse(json) as { nftables?: unknown[] };
  if (!Array.isArray(doc.nftables)) throw new KubeadmHaError('nft -j: no "nftables" array');
  const out: string[] = [];
  for (const item of doc.nftables) {
    const set = (item as { set?: { elem?: unknown[] } }).set;
    for (const e of set?.elem ?? []) {
      const value = typeof e === 'string' ? e : (e as { elem?: { val?: unknown } }).elem?.val;
      if (typeof value === 'string' && ipaddr.isValid(value)) out.push(ipaddr.process(value).toString());
    }
  }
  return out;
}
