import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  addBackend,
  decodeBackendSet,
  diffBackends,
  drainBackend,
  emptyBackendSet,
  encodeBackendSet,
  isNewer,
  nextBackendSet,
  removeBackend,
  withBackends,
  withLoadBalancerConfig,
  type Backend,
  type BackendSet,
  type LoadBalancerConfig,
} from './backend-set.js';
import { SpecError } from './errors.js';

const m0: Backend = { name: 'master-0', address: '198.18.0.10', port: 6443, state: 'active' };
const m1: Backend = { name: 'master-1', address: '198.18.0.11', port: 6443, state: 'active' };
const m2: Backend = { name: 'master-2', address: '198.18.0.12', port: 6443, state: 'active' };

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a SpecError');
}

describe('transitions', () => {
  it('start from version 0 and bump the version by exactly one per change', () => {
    const s0 = emptyBackendSet('prod');
    expect(s0).toEqual({ cluster: 'prod', version: 0, backends: [] });
    const s1 = addBackend(s0, { name: 'master-0', address: '198.18.0.10', port: 6443 });
    expect(s1.version).toBe(1);
    expect(s1.backends).toEqual([m0]);
    const s2 = addBackend(s1, m1);
    const s3 = drainBackend(s2, 'master-0');
    const s4 = removeBackend(s3, 'master-0');
    expect([s2.version, s3.version, s4.version]).toEqual([2, 3, 4]);
    expect(s3.backends).toEqual([{ ...m0, state: 'draining' }, m1]);
    expect(s4.backends).toEqual([m1]);
  });

  it('return the very same set, version unchanged, when nothing changes', () => {
    const s = withBackends(emptyBackendSet('prod'), [m0, m1]);
    expect(addBackend(s, m0)).toBe(s);
    expect(drainBackend(s, 'absent')).toBe(s);
    expect(removeBackend(s, 'absent')).toBe(s);
    expect(withBackends(s, [m1, m0])).toBe(s);
    const drained = drainBackend(s, 'master-0');
    expect(drainBackend(drained, 'master-0')).toBe(drained);
  });

  it('keep backends sorted by name whatever the insertion order', () => {
    const s = [m2, m0, m1].reduce<BackendSet>((acc, b) => addBackend(acc, b), emptyBackendSet('prod'));
    expect(s.backends.map((b) => b.name)).toEqual(['master-0', 'master-1', 'master-2']);
  });

  it('addBackend updates a backend of the same name (readdress, reactivate)', () => {
    const s = withBackends(emptyBackendSet('prod'), [m0, { ...m1, state: 'draining' }]);
    const moved = addBackend(s, { ...m0, address: '198.18.0.99' });
    expect(moved.backends.find((b) => b.name === 'master-0')?.address).toBe('198.18.0.99');
    expect(moved.backends).toHaveLength(2);
    const back = addBackend(s, m1);
    expect(back.backends.find((b) => b.name === 'master-1')?.state).toBe('active');
  });

  it('reject names that are not DNS-1123 labels, bad addresses and ports, duplicates', () => {
    const s = emptyBackendSet('prod');
    expect(issuesOf(() => addBackend(s, { name: 'HCITos_cvm', address: '198.18.0.1', port: 6443 })).join('\n')).toMatch(/backends\[0\]\.name: .*DNS-1123/);
    expect(issuesOf(() => addBackend(s, { name: 'm', address: '198.18.0', port: 6443 }))).toEqual([
      'backends[0].address: "198.18.0" is not an IPv4 or IPv6 address',
    ]);
    expect(issuesOf(() => addBackend(s, { name: 'm', address: '010.1.1.1', port: 6443 }))[0]).toMatch(/address/);
    expect(issuesOf(() => addBackend(s, { name: 'm', address: 'fe80::1%eth0', port: 6443 }))[0]).toMatch(/address/);
    expect(issuesOf(() => addBackend(s, { name: 'm', address: '198.18.0.1', port: 0 }))).toEqual(['backends[0].port: must be 1-65535, got 0']);
    expect(issuesOf(() => withBackends(s, [m0, m0])).join('\n')).toMatch(/appears more than once/);
    expect(issuesOf(() => withBackends(s, [m0, { ...m1, address: m0.address }])).join('\n')).toMatch(/both point at 198\.18\.0\.10:6443/);
    expect(issuesOf(() => emptyBackendSet('Prod_1'))[0]).toMatch(/^cluster: /);
  });

  it('accept exactly the dotted quads and zone-less IPv6 addresses ipaddr.js reads, whatever the string', () => {
    const accepted = (address: string) => {
      try {
        addBackend(emptyBackendSet('prod'), { name: 'm', address, port: 6443 });
        return true;
      } catch {
        return false;
      }
    };
    const byIpaddr = (address: string) =>
      ipaddr.isValid(address) &&
      (ipaddr.IPv4.isValidFourPartDecimal(address) || (address.includes(':') && !address.includes('%') && ipaddr.IPv6.isValid(address)));
    const chars = fc.constantFrom(...'0123456789abcdefx.:%'.split(''));
    const quad = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((parts) => parts.join('.'));
    const zeroPadded = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.map((p) => `0${p}`).join('.'));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: chars, maxLength: 24 }), quad, zeroPadded, fc.ipV4Extended(), fc.ipV6()),
        (address) => accepted(address) === byIpaddr(address),
      ),
    );
    for (const address of ['0.0.0.0', '255.255.255.255', '198.18.0.1']) expect(accepted(address)).toBe(true);
    for (const address of ['256.0.0.1', '0.256.0.0', '0.0.256.0', '0.0.0.256', '1.2.3.04', '1.2.3', '1.2.3.4.5', '0x7f.0.0.1', ' 1.2.3.4', '1.2.3.4 '])
      expect(accepted(address)).toBe(false);
  });

  it('accept IPv6 backends', () => {
    const s = addBackend(emptyBackendSet('prod'), { name: 'master-0', address: '2001:db8::10', port: 6443 });
    expect(decodeBackendSet(encodeBackendSet(s))).toEqual(s);
  });
});

describe('isNewer', () => {
  it('compares versions strictly; anything is newer than nothing', () => {
    const s = withBackends(emptyBackendSet('prod'), [m0]);
    expect(isNewer(s, undefined)).toBe(true);
    expect(isNewer(s, 0)).toBe(true);
    expect(isNewer(s, 1)).toBe(false);
    expect(isNewer(s, 2)).toBe(false);
    expect(isNewer(5, 4)).toBe(true);
  });
});

describe('encode/decode', () => {
  it('round-trips and encodes equal sets to equal bytes', () => {
    const a = withBackends(emptyBackendSet('prod'), [m1, { ...m0, state: 'draining' }]);
    const b = withBackends(emptyBackendSet('prod'), [{ ...m0, state: 'draining' }, m1]);
    expect(encodeBackendSet(a)).toBe(encodeBackendSet(b));
    expect(decodeBackendSet(encodeBackendSet(a))).toEqual(a);
    expect(decodeBackendSet(new TextEncoder().encode(encodeBackendSet(a)))).toEqual(a);
  });

  it('throws a SpecError naming the problem on garbage', () => {
    expect(issuesOf(() => decodeBackendSet('{not json'))[0]).toMatch(/^\(document\): not JSON/);
    expect(issuesOf(() => decodeBackendSet('null'))[0]).toMatch(/^\(document\): /);
    expect(issuesOf(() => decodeBackendSet('{"cluster":"prod","version":-1,"backends":[]}'))[0]).toMatch(/^version: /);
    expect(
      issuesOf(() => decodeBackendSet('{"cluster":"prod","version":1,"backends":[{"name":"m","address":"198.18.0.1","port":6443,"state":"up"}]}'))[0],
    ).toMatch(/^backends\.0\.state: /);
    expect(
      issuesOf(() => decodeBackendSet('{"cluster":"prod","version":1,"backends":[{"name":"m","address":"not-an-ip","port":6443,"state":"active"}]}'))[0],
    ).toMatch(/is not an IPv4 or IPv6 address/);
    try {
      decodeBackendSet('{', 'kha-lb/prod');
    } catch (err) {
      expect((err as Error).message).toMatch(/^kha-lb\/prod: 1 problem/);
    }
  });

  it('sorts backends of a decoded set', () => {
    const text = JSON.stringify({ cluster: 'prod', version: 3, backends: [m2, m0] });
    expect(decodeBackendSet(text).backends.map((b) => b.name)).toEqual(['master-0', 'master-2']);
  });
});

const lb: LoadBalancerConfig = {
  runAs: 'static-pod',
  port: 8443,
  vipFamily: 'ipv4',
  timeouts: { connectMs: 5000, clientMs: 14_400_000, serverMs: 14_400_000, tunnelMs: 14_400_000 },
  healthCheck: { intervalMs: 1000, fall: 2, rise: 2 },
};

describe('load-balancer settings', () => {
  it('withLoadBalancerConfig: the next version when they change, the very same set when they do not', () => {
    const s1 = withBackends(emptyBackendSet('prod'), [m0]);
    const s2 = withLoadBalancerConfig(s1, lb);
    expect(s2).toEqual({ ...s1, version: 2, loadBalancer: lb });
    expect(withLoadBalancerConfig(s2, { ...lb, healthCheck: { ...lb.healthCheck } })).toBe(s2);
    const s3 = withLoadBalancerConfig(s2, { ...lb, runAs: 'systemd' });
    expect(s3.version).toBe(3);
    expect(s3.loadBalancer?.runAs).toBe('systemd');
    expect(s3.backends).toEqual(s1.backends);
  });

  it('are kept by every backend transition', () => {
    const s = withLoadBalancerConfig(emptyBackendSet('prod'), lb);
    const changed = removeBackend(drainBackend(addBackend(addBackend(s, m0), m1), 'master-0'), 'master-1');
    expect(changed.loadBalancer).toEqual(lb);
    expect(withBackends(changed, []).loadBalancer).toEqual(lb);
  });

  it('nextBackendSet: one version for any number of changes, none for none', () => {
    const current = withLoadBalancerConfig(withBackends(emptyBackendSet('prod'), [m0]), lb);
    expect(nextBackendSet(current, current)).toBe(current);
    expect(nextBackendSet(current, removeBackend(addBackend(current, m1), 'master-1'))).toBe(current);
    const proposed = withLoadBalancerConfig(addBackend(addBackend(current, m1), m2), { ...lb, port: 9443 });
    expect(proposed.version).toBe(current.version + 3);
    const next = nextBackendSet(current, proposed);
    expect(next).toEqual({ ...proposed, version: current.version + 1 });
    // Only the content of the proposal counts, not its cluster or version.
    expect(nextBackendSet(current, { ...current, cluster: 'other', version: 99 })).toBe(current);
  });

  it('round-trip through the codec, to the same bytes whatever the key order', () => {
    const s = withLoadBalancerConfig(withBackends(emptyBackendSet('prod'), [m0]), lb);
    expect(decodeBackendSet(encodeBackendSet(s))).toEqual(s);
    const reordered = {
      healthCheck: { rise: 2, fall: 2, intervalMs: 1000 },
      timeouts: { tunnelMs: 14_400_000, serverMs: 14_400_000, clientMs: 14_400_000, connectMs: 5000 },
      vipFamily: 'ipv4',
      port: 8443,
      runAs: 'static-pod',
    } as const;
    const decoded = decodeBackendSet(JSON.stringify({ cluster: 'prod', version: 2, backends: [m0], loadBalancer: reordered }));
    expect(encodeBackendSet(decoded)).toBe(encodeBackendSet(s));
    // A set from a coordinator that did not publish them decodes without them.
    expect(decodeBackendSet(encodeBackendSet(withBackends(emptyBackendSet('prod'), [m0]))).loadBalancer).toBeUndefined();
  });

  it('are validated and bounded, from the network and in code alike', () => {
    const wire = (loadBalancer: unknown) => JSON.stringify({ cluster: 'prod', version: 2, backends: [m0], loadBalancer });
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, port: 0 })))).toEqual([expect.stringMatching(/^loadBalancer\.port: /)]);
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, port: 65536 })))[0]).toMatch(/^loadBalancer\.port: /);
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, runAs: 'docker' })))[0]).toMatch(/^loadBalancer\.runAs: /);
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, vipFamily: 'ipx' })))[0]).toMatch(/^loadBalancer\.vipFamily: /);
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, timeouts: { ...lb.timeouts, clientMs: 2 ** 31 } })))[0]).toMatch(
      /^loadBalancer\.timeouts\.clientMs: /,
    );
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, timeouts: { ...lb.timeouts, connectMs: 0.5 } })))[0]).toMatch(/^loadBalancer\.timeouts\.connectMs: /);
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, healthCheck: { ...lb.healthCheck, intervalMs: 99 } })))[0]).toMatch(
      /^loadBalancer\.healthCheck\.intervalMs: /,
    );
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, healthCheck: { ...lb.healthCheck, fall: 0 } })))[0]).toMatch(/^loadBalancer\.healthCheck\.fall: /);
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, timeouts: undefined })))[0]).toMatch(/^loadBalancer\.timeouts: /);
    expect(issuesOf(() => decodeBackendSet(wire('static-pod')))[0]).toMatch(/^loadBalancer: /);
    // A setting this agent does not know could change what the file means: the set is refused, not half-understood.
    expect(issuesOf(() => decodeBackendSet(wire({ ...lb, maxconn: 100 })))[0]).toMatch(/^loadBalancer: .*maxconn/);
    expect(issuesOf(() => withLoadBalancerConfig(emptyBackendSet('prod'), { ...lb, port: -1 }))[0]).toMatch(/^loadBalancer\.port: /);
    expect(issuesOf(() => encodeBackendSet({ cluster: 'prod', version: 1, backends: [], loadBalancer: { ...lb, fall: 1 } as LoadBalancerConfig }))[0]).toMatch(
      /^loadBalancer: /,
    );
  });
});

describe('diffBackends', () => {
  it('classifies every kind of change', () => {
    const applied: Backend[] = [m0, { ...m1, state: 'draining' }, m2, { name: 'master-3', address: '198.18.0.13', port: 6443, state: 'active' }];
    const next: Backend[] = [
      { ...m0, state: 'draining' },
      m1,
      { ...m2, port: 7443 },
      { name: 'master-4', address: '198.18.0.14', port: 6443, state: 'active' },
    ];
    expect(diffBackends(applied, next)).toEqual({
      add: [next[3]],
      drain: [next[0]],
      remove: [applied[3]],
      reactivate: [m1],
      readdress: [next[2]],
    });
  });

  it('is empty between equal lists and the inverse of itself for adds/removes', () => {
    expect(diffBackends([m0, m1], [m1, m0])).toEqual({ add: [], drain: [], remove: [], reactivate: [], readdress: [] });
    const d = diffBackends([m0], [m1]);
    expect(d.add).toEqual([m1]);
    expect(d.remove).toEqual([m0]);
  });

  it('applying a diff to the applied list yields the next list (property)', () => {
    const backendArb = fc.record({
      name: fc.constantFrom('m-a', 'm-b', 'm-c', 'm-d', 'm-e'),
      address: fc.constantFrom('198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5', '198.18.0.6'),
      port: fc.constantFrom(6443, 7443),
      state: fc.constantFrom('active' as const, 'draining' as const),
    });
    const listArb = fc.uniqueArray(backendArb, { selector: (b) => b.name, maxLength: 5 });
    fc.assert(
      fc.property(listArb, listArb, (applied, next) => {
        const d = diffBackends(applied, next);
        const servers = new Map<string, Backend>(applied.map((b) => [b.name, b]));
        for (const b of [...d.remove, ...d.readdress]) servers.delete(b.name);
        for (const b of [...d.add, ...d.readdress, ...d.drain, ...d.reactivate]) servers.set(b.name, b);
        const byName = (a: Backend, b: Backend) => a.name.localeCompare(b.name);
        expect([...servers.values()].sort(byName)).toEqual([...next].sort(byName));
        const touched = [...d.add, ...d.drain, ...d.remove, ...d.reactivate, ...d.readdress].map((b) => b.name);
        expect(new Set(touched).size).toBe(touched.length);
      }),
    );
  });
});

describe('versions stay monotonic (property)', () => {
  it('any sequence of transitions bumps by one on change and by zero otherwise', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), i: fc.integer({ min: 0, max: 3 }), port: fc.constantFrom(6443, 7443) }),
      fc.record({ kind: fc.constant('drain' as const), i: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('remove' as const), i: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        let s = emptyBackendSet('prod');
        for (const o of ops) {
          const name = `master-${o.i}`;
          const next =
            o.kind === 'add'
              ? addBackend(s, { name, address: `198.18.0.${10 + o.i}`, port: o.port })
              : o.kind === 'drain'
                ? drainBackend(s, name)
                : removeBackend(s, name);
          const changed = encodeBackendSet({ ...next, version: 0 }) !== encodeBackendSet({ ...s, version: 0 });
          expect(next.version).toBe(s.version + (changed ? 1 : 0));
          if (!changed) expect(next).toBe(s);
          s = next;
        }
      }),
    );
  });
});
