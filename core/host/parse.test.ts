import { describe, expect, it } from 'vitest';
import { parseIpAddrShow, parseOsRelease, parseSsConnections, parseSsListeners, portTaken, unfinishedConnectionsTo } from './parse.js';

const IP_ADDR = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever
2: eth0@if7    inet 198.18.0.11/24 brd 198.18.0.255 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0@if7    inet 198.18.0.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever
2: eth0@if7    inet6 fe80::a8c1:abff:fe2d:1/64 scope link \\       valid_lft forever preferred_lft forever`;

const SS = `LISTEN 0      4096   127.0.0.1:14222 0.0.0.0:*
LISTEN 0      4096           *:8443            *:*
LISTEN 0      4096   198.18.0.11:6443   0.0.0.0:*
LISTEN 0      4096        [::]:10250         [::]:*
LISTEN 0      128    [fe80::1%eth0]:53       [::]:*`;

describe('host output parsers', () => {
  it('reads ip -o addr show, veth suffixes and secondary addresses included', () => {
    const addrs = parseIpAddrShow(IP_ADDR);
    expect(addrs).toHaveLength(5);
    expect(addrs[2]).toEqual({ interface: 'eth0', family: 'ipv4', address: '198.18.0.11', prefixLength: 24, scope: 'global' });
    expect(addrs.filter((a) => a.address === '198.18.0.100').map((a) => a.interface)).toEqual(['eth0']);
  });

  it('reads ss -ltnH and finds which listener takes a port', () => {
    const ls = parseSsListeners(SS);
    expect(ls).toContainEqual({ address: '0.0.0.0', port: 8443 });
    expect(ls).toContainEqual({ address: 'fe80::1', port: 53 });
    expect(portTaken(ls, '198.18.0.11', 6443)).toEqual({ address: '198.18.0.11', port: 6443 });
    expect(portTaken(ls, '198.18.0.12', 6443)).toBeUndefined();
    expect(portTaken(ls, '198.18.0.12', 8443)?.address).toBe('0.0.0.0');
    expect(portTaken(ls, '198.18.0.12', 10250)?.address).toBe('::');
  });

  it('reads os-release', () => {
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)');
  });
});

describe('parseSsConnections / unfinishedConnectionsTo', () => {
  // `ss -Htn` on a VIP holder (iproute2 6.1): haproxy's side of client connections to the VIP, its own connections to
  // the apiservers, a v4-mapped dual-stack peer, and IPv6.
  const SS = [
    'ESTAB      0      0         198.18.0.100:8443  198.18.0.21:40512',
    'TIME-WAIT  0      0         198.18.0.100:8443  198.18.0.21:40498',
    'FIN-WAIT-2 0      0         198.18.0.100:8443  198.18.0.22:51000',
    'CLOSE-WAIT 1      0         198.18.0.100:8443  198.18.0.22:51002',
    'FIN-WAIT-1 0      517       [::ffff:198.18.0.100]:8443 [::ffff:198.18.0.23]:39000',
    'ESTAB      0      0         198.18.0.11:41830  198.18.0.12:6443',
    'ESTAB      0      0         198.18.0.11:8443   198.18.0.21:40600',
    'SYN-RECV   0      0         [fd00::100]:8443   [fd00::21]:50000',
    'LISTEN     0      4096      *:8443             *:*',
    '',
  ].join('\n');

  it('reads state and both endpoints, bracketed IPv6 and v4-mapped addresses included', () => {
    const all = parseSsConnections(SS);
    expect(all).toHaveLength(8);
    expect(all[0]).toEqual({ state: 'ESTAB', localAddress: '198.18.0.100', localPort: 8443, peerAddress: '198.18.0.21', peerPort: 40512 });
    expect(all[4]).toMatchObject({ localAddress: '198.18.0.100', peerAddress: '198.18.0.23' });
    expect(all[7]).toMatchObject({ state: 'SYN-RECV', localAddress: 'fd00::100', peerAddress: 'fd00::21' });
  });

  it('counts only connections to the VIP and port whose client may still wait for bytes', () => {
    const all = parseSsConnections(SS);
    expect(unfinishedConnectionsTo(all, '198.18.0.100', 8443).map((c) => `${c.state} ${c.peerAddress}:${c.peerPort}`)).toEqual([
      'ESTAB 198.18.0.21:40512',
      'CLOSE-WAIT 198.18.0.22:51002',
      'FIN-WAIT-1 198.18.0.23:39000',
    ]);
    expect(unfinishedConnectionsTo(all, 'fd00:0::100', 8443)).toHaveLength(1);
    expect(unfinishedConnectionsTo(all, '198.18.0.100', 6443)).toEqual([]);
  });
});
