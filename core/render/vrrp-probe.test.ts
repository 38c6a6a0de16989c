import { describe, expect, it } from 'vitest';
import { parseNftSetAddresses, renderVrrpProbe, VRRP_PROBE_DELETE_ARGS } from './vrrp-probe.js';

describe('renderVrrpProbe', () => {
  it('records the senders of VRRP packets whose VRID byte is ours, both families, in a table of its own', () => {
    const script = renderVrrpProbe(51);
    expect(script).toMatch(/^add table inet kubeadm_ha_vrrp_probe\nflush table inet kubeadm_ha_vrrp_probe\n/);
    expect(script).toContain('ip protocol 112 @th,8,8 51 add @senders4 { ip saddr }');
    expect(script).toContain('ip6 nexthdr 112 @th,8,8 51 add @senders6 { ip6 saddr }');
    expect(script).toContain('policy accept;');
    expect(script).not.toMatch(/\b(drop|reject)\b/);
    expect(VRRP_PROBE_DELETE_ARGS).toEqual(['delete', 'table', 'inet', 'kubeadm_ha_vrrp_probe']);
  });

  it('refuses an id outside 1..255', () => {
    expect(() => renderVrrpProbe(0)).toThrow(/not in 1\.\.255/);
    expect(() => renderVrrpProbe(256)).toThrow(/not in 1\.\.255/);
  });
});

describe('parseNftSetAddresses', () => {
  it('reads nft 1.0.6 JSON (captured), plain and object elements, normalised', () => {
    const captured =
      '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "senders4", "table": "kubeadm_ha_vrrp_probe", "type": "ipv4_addr", "handle": 2, "size": 1024, "elem": ["198.18.0.250"]}}]}';
    expect(parseNftSetAddresses(captured)).toEqual(['198.18.0.250']);
    const objects = JSON.stringify({ nftables: [{ set: { elem: [{ elem: { val: 'FD00::0:21', timeout: 60 } }, '198.18.0.3'] } }] });
    expect(parseNftSetAddresses(objects)).toEqual(['fd00::21', '198.18.0.3']);
    expect(parseNftSetAddresses('{"nftables": [{"set": {"name": "senders6"}}]}')).toEqual([]);
  });

  it('throws on what is not nft JSON', () => {
    expect(() => parseNftSetAddresses('table inet x {}')).toThrow();
    expect(() => parseNftSetAddresses('{}')).toThrow(/no "nftables" array/);
  });
});
