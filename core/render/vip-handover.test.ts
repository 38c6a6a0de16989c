import { describe, expect, it } from 'vitest';
import { RELEASE_NEW_CONNECTIONS_ARGS, renderHoldNewConnections } from './vip-handover.js';

describe('renderHoldNewConnections', () => {
  it('drops only new TCP connections (SYN without ACK) to the VIP and LB port, in a table of its own', () => {
    const script = renderHoldNewConnections('198.18.0.100', 8443);
    expect(script).toMatch(/^add table inet kubeadm_ha_vip_handover\nflush table inet kubeadm_ha_vip_handover\n/);
    expect(script).toContain('type filter hook input priority filter - 10; policy accept;');
    expect(script).toContain('ip daddr 198.18.0.100 tcp dport 8443 tcp flags & (syn | ack) == syn drop');
    expect(script.match(/ drop$/gm)).toHaveLength(1);
    expect(RELEASE_NEW_CONNECTIONS_ARGS).toEqual(['delete', 'table', 'inet', 'kubeadm_ha_vip_handover']);
  });

  it('matches an IPv6 VIP with ip6 daddr, normalised', () => {
    expect(renderHoldNewConnections('FD00:0::100', 443)).toContain('ip6 daddr fd00::100 tcp dport 443 ');
  });

  it('refuses what is not an address or a port rather than write a rule that matches something else', () => {
    expect(() => renderHoldNewConnections('198.18.0.100; flush ruleset', 8443)).toThrow(/not an IP address/);
    expect(() => renderHoldNewConnections('198.18.0.100', 0)).toThrow(/out of range/);
  });
});
