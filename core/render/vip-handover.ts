/**
 * The firewall side of a planned VIP handover (remove-node on the VIP holder). Moving a VIP breaks every TCP
 * connection open to it at that instant: the client's next packet reaches the new holder, which has no socket for it
 * and answers with a reset. So before the holder lets go, it holds new connections — their SYNs are dropped, not
 * refused, and the client's kernel sends them again after its initial retransmission timeout (1 s on Linux), by
 * which time the VIP has moved — while the connections it already has finish. Then keepalived goes to FAULT.
 *
 * nftables, in a table of our own that nothing else touches, deleted as soon as the VIP has left (and by cleanup.sh
 * and `kubeadm-ha` verification if an agent died in between).
 */
import { KubeadmHaError } from '../errors.js';
import ipaddr from 'ipaddr.js';

export const VIP_HANDOVER_NFT_FAMILY = 'inet';
export const VIP_HANDOVER_NFT_TABLE = 'kubeadm_ha_vip_handover';

/** `nft -f -` input that drops new TCP connections (a SYN without ACK) to vip:port; established ones pass. */
export function renderHoldNewConnections(vip: string, port: number): string {
  if (!ipaddr.isValid(vip)) throw new KubeadmHaError(`vip handover: ${JSON.stringify(vip)} is not an IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new KubeadmHaError(`vip handover: port ${port} is out of range`);
  const parsed = ipaddr.process(vip);
  const match = parsed.kind() === 'ipv4' ? 'ip daddr' : 'ip6 daddr';
  // "add table" + "flush table" makes the script idempotent: a retried handover replaces the rule, never doubles it.
  return [
    `add table ${VIP_HANDOVER_NFT_FAMILY} ${VIP_HANDOVER_NFT_TABLE}`,
    `flush table ${VIP_HANDOVER_NFT_FAMILY} ${VIP_HANDOVER_NFT_TABLE}`,
    `table ${VIP_HANDOVER_NFT_FAMILY} ${VIP_HANDOVER_NFT_TABLE} {`,
    '  chain input {',
    '    type filter hook input priority filter - 10; policy accept;',
    `    ${match} ${parsed.toString()} tcp dport ${port} tcp flags & (syn | ack) == syn drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export const RELEASE_NEW_CONNECTIONS_ARGS: readonly string[] = ['delete', 'table', VIP_HANDOVER_NFT_FAMILY, VIP_HANDOVER_NFT_TABLE];
export const SHOW_HOLD_ARGS: readonly string[] = ['list', 'table', VIP_HANDOVER_NFT_FAMILY, VIP_HANDOVER_NFT_TABLE];
