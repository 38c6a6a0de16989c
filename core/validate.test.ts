import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { SpecError } from './errors.js';
import { clusterNameProblem, loadSpec } from './validate.js';

const FIXTURE = readFileSync(new URL('../test/fixtures/cluster.yaml', import.meta.url), 'utf8');

/** Edits the fixture as YAML (not as text), so each case changes exactly one thing. */
function edit(mutate: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(FIXTURE);
  mutate(doc);
  return doc.toString();
}

function problems(text: string): { path: string; message: string }[] {
  try {
    loadSpec(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return [...(err as SpecError).issues];
  }
  return [];
}

describe('the fixture', () => {
  it('is valid and warns about nothing', () => {
    const { spec, warnings } = loadSpec(FIXTURE);
    expect(spec.nodes).toHaveLength(5);
    expect(warnings).toEqual([]);
  });
});

const cases: { rule: string; text: () => string; path: string; message: RegExp }[] = [
  {
    rule: 'node name not a DNS-1123 label (seed 000)',
    text: () => edit((d) => d.setIn(['spec', 'nodes', 2, 'name'], 'HCITos_cvm')),
    path: 'spec.nodes[2].name',
    message: /not a DNS-1123 label.*"hcitos-cvm"/,
  },
  {
    rule: 'node name longer than 63',
    text: () => edit((d) => d.setIn(['spec', 'nodes', 1, 'name'], 'm'.repeat(64))),
    path: 'spec.nodes[1].name',
    message: /64 characters.*at most 63/,
  },
  {
    rule: 'cluster name not a DNS-1123 label',
    text: () => edit((d) => d.setIn(['metadata', 'name'], 'Prod_Cluster')),
    path: 'metadata.name',
    message: /not a DNS-1123 label/,
  },
  {
    rule: 'a haproxy timeout longer than haproxy accepts',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'haproxy', 'timeouts', 'client'], '30d')),
    path: 'spec.controlPlaneEndpoint.haproxy.timeouts.client',
    message: /more than haproxy accepts \(2147483647 ms/,
  },
  {
    rule: 'a health-check interval whose check timeout overflows haproxy',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'haproxy', 'healthCheck', 'intervalMs'], 1_100_000_000)),
    path: 'spec.controlPlaneEndpoint.haproxy.healthCheck.intervalMs',
    message: /at most 1073741823 ms/,
  },
  {
    rule: 'duplicate node names',
    text: () => edit((d) => d.setIn(['spec', 'nodes', 4, 'name'], 'worker-0')),
    path: 'spec.nodes[4].name',
    message: /already used by spec.nodes\[3\]/,
  },
  {
    rule: 'duplicate addresses',
    text: () => edit((d) => d.setIn(['spec', 'nodes', 4, 'address'], '198.18.0.21')),
    path: 'spec.nodes[4].address',
    message: /already used by spec.nodes\[3\] \(worker-0\)/,
  },
  {
    rule: 'no control-plane node',
    text: () =>
      edit((d) => {
        for (const i of [0, 1, 2]) d.setIn(['spec', 'nodes', i, 'role'], 'worker');
      }),
    path: 'spec.nodes',
    message: /no node with role "control-plane"/,
  },
  {
    rule: 'VIP equal to a node address',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'vip'], '198.18.0.12/24')),
    path: 'spec.nodes[1].address',
    message: /is the VIP/,
  },
  {
    rule: 'VIP prefix does not contain the control-plane addresses',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'vip'], '198.18.1.100/24')),
    path: 'spec.controlPlaneEndpoint.vip',
    message: /does not contain master-0's address 198\.18\.0\.11/,
  },
  {
    rule: 'LB port equal to apiserverPort with the LB on the masters',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'port'], 6443)),
    path: 'spec.controlPlaneEndpoint.port',
    message: /also apiserverPort/,
  },
  {
    rule: 'virtualRouterId outside 1..255',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'virtualRouterId'], 256)),
    path: 'spec.controlPlaneEndpoint.keepalived.virtualRouterId',
    message: /outside 1\.\.255/,
  },
  {
    rule: 'authPass longer than 8',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'authPass'], 'ninechars')),
    path: 'spec.controlPlaneEndpoint.keepalived.authPass',
    message: /9 characters.*cuts PASS authentication to 8/,
  },
  {
    rule: 'priority overrides that break the failover arithmetic',
    text: () =>
      edit((d) => {
        d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'preempt'], true);
        d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'trackWeight'], -5);
        d.setIn(['spec', 'nodes', 0, 'keepalivedPriority'], 120);
      }),
    path: 'spec.nodes',
    message: /priorities 120\/98\/96 with trackWeight -5: a failed holder at 120 drops only to 115, not below 96/,
  },
  {
    rule: 'a weight that would take a failed holder below 1 (keepalived stops at 1)',
    text: () =>
      edit((d) => {
        d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'preempt'], true);
        d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'trackWeight'], -3);
        d.setIn(['spec', 'nodes', 0, 'keepalivedPriority'], 3);
        d.setIn(['spec', 'nodes', 1, 'keepalivedPriority'], 2);
        d.setIn(['spec', 'nodes', 2, 'keepalivedPriority'], 1);
      }),
    path: 'spec.nodes',
    message: /priorities 3\/2\/1 with trackWeight -3: a failed holder at 3 drops only to 1 \(keepalived never goes below 1\), not below 1/,
  },
  {
    rule: 'a weight too small for the number of masters',
    text: () =>
      edit((d) => {
        d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'preempt'], true);
        d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'trackWeight'], -2);
      }),
    path: 'spec.controlPlaneEndpoint.keepalived.trackWeight',
    message: /priorities 100\/99\/98 with trackWeight -2/,
  },
  {
    rule: 'priority override outside 1..254',
    text: () => edit((d) => d.setIn(['spec', 'nodes', 1, 'keepalivedPriority'], 255)),
    path: 'spec.nodes[1].keepalivedPriority',
    message: /outside 1\.\.254/,
  },
  {
    rule: 'nonzero tracking weight with preempt: false never moves the VIP',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'trackWeight'], -5)),
    path: 'spec.controlPlaneEndpoint.keepalived.trackWeight',
    message: /with preempt: false never moves the VIP/,
  },
  {
    rule: 'etcd election timeout under 5x the heartbeat',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'etcd', 'electionTimeoutMs'], 1000)),
    path: 'spec.kubernetes.etcd.electionTimeoutMs',
    message: /1000 ms is under 5 × the 250 ms heartbeat.*at least 1250/,
  },
  {
    rule: 'etcd snapshots more often than every 10 minutes',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'etcd', 'snapshots'], { every: '5m', keep: 8 })),
    path: 'spec.kubernetes.etcd.snapshots.every',
    message: /"5m" is under 10m; a snapshot reads the whole database/,
  },
  {
    rule: 'etcd snapshot interval that is not a duration',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'etcd', 'snapshots'], { every: 'six hours' })),
    path: 'spec.kubernetes.etcd.snapshots.every',
    message: /"six hours" is not a duration; write it like 6h/,
  },
  {
    rule: 'etcd snapshots kept: none',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'etcd', 'snapshots'], { every: '6h', keep: 0 })),
    path: 'spec.kubernetes.etcd.snapshots.keep',
    message: /must be at least 1/,
  },
  {
    rule: 'etcd snapshots kept: not a whole number',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'etcd', 'snapshots'], { every: '6h', keep: 2.5 })),
    path: 'spec.kubernetes.etcd.snapshots.keep',
    message: /must be a whole number of snapshots to keep/,
  },
  {
    rule: 'pod and service networks overlap',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'serviceSubnet'], '10.244.128.0/20')),
    path: 'spec.kubernetes.serviceSubnet',
    message: /overlaps podSubnet/,
  },
  {
    rule: 'pod network overlaps the node network',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'podSubnet'], '198.18.0.0/16')),
    path: 'spec.kubernetes.podSubnet',
    message: /overlaps the node network/,
  },
  {
    rule: 'service network contains a node (no VIP prefix given)',
    text: () =>
      edit((d) => {
        d.setIn(['spec', 'controlPlaneEndpoint', 'vip'], '198.18.0.100');
        d.setIn(['spec', 'kubernetes', 'serviceSubnet'], '198.18.0.0/27');
      }),
    path: 'spec.kubernetes.serviceSubnet',
    message: /contains master-0's address/,
  },
  {
    rule: 'malformed Kubernetes version',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'version'], 'latest')),
    path: 'spec.kubernetes.version',
    message: /not a Kubernetes version/,
  },
  {
    rule: 'unsupported Kubernetes version',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'version'], 'v1.21.14')),
    path: 'spec.kubernetes.version',
    message: /not supported.*v1\.22 or newer/,
  },
  {
    rule: 'unknown (misspelt) key',
    text: () => edit((d) => d.setIn(['spec', 'nodes', 0, 'keepalivedPriorty'], 100)),
    path: 'spec.nodes[0].keepalivedPriorty',
    message: /unknown field; did you mean "keepalivedPriority"/,
  },
  {
    rule: 'wrong type',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'port'], 'eighty')),
    path: 'spec.controlPlaneEndpoint.port',
    message: /must be a number, not string "eighty"/,
  },
  {
    rule: 'advert interval not VRRPv3 centiseconds',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', 'advertIntervalMs'], 205)),
    path: 'spec.controlPlaneEndpoint.keepalived.advertIntervalMs',
    message: /multiple of 10 ms/,
  },
  {
    rule: 'kube-vip with a separate LB port',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'loadBalancer'], 'kube-vip')),
    path: 'spec.controlPlaneEndpoint.port',
    message: /kube-vip only moves the VIP/,
  },
  {
    rule: "LB port on haproxy's health endpoint",
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'port'], 8404)),
    path: 'spec.controlPlaneEndpoint.port',
    message: /haproxy's loopback health endpoint/,
  },
  {
    rule: 'renewBefore beyond 180 days',
    text: () => edit((d) => d.setIn(['spec', 'certificates'], { renewBefore: '200d' })),
    path: 'spec.certificates.renewBefore',
    message: /not a duration from 1h to 180d/,
  },
  {
    rule: 'binaries directory with a .. segment',
    text: () => edit((d) => d.setIn(['spec', 'kubernetes', 'binariesDir'], '/opt/../etc')),
    path: 'spec.kubernetes.binariesDir',
    message: /must be an absolute directory path/,
  },
  {
    rule: 'unparseable duration',
    text: () => edit((d) => d.setIn(['spec', 'controlPlaneEndpoint', 'haproxy', 'timeouts'], { client: '4 hours' })),
    path: 'spec.controlPlaneEndpoint.haproxy.timeouts.client',
    message: /not a duration/,
  },
];

describe('validation rules, one case each', () => {
  it.each(cases)('$rule', ({ text, path, message }) => {
    const found = problems(text());
    const matching = found.filter((p) => p.path === path && message.test(p.message));
    expect(matching, `problems were: ${JSON.stringify(found, null, 2)}`).toHaveLength(1);
  });

  it('reports every problem at once', () => {
    const text = edit((d) => {
      d.setIn(['spec', 'nodes', 2, 'name'], 'HCITos_cvm');
      d.setIn(['spec', 'controlPlaneEndpoint', 'port'], 6443);
      d.setIn(['spec', 'kubernetes', 'etcd', 'electionTimeoutMs'], 300);
    });
    expect(problems(text).map((p) => p.path)).toEqual(['spec.nodes[2].name', 'spec.controlPlaneEndpoint.port', 'spec.kubernetes.etcd.electionTimeoutMs']);
  });
});

describe('tarball hosts', () => {
  it('takes spec.kubernetes.binariesDir, and a spec without it keeps to the package manager', () => {
    expect(loadSpec(edit((d) => d.setIn(['spec', 'kubernetes', 'binariesDir'], '/opt/kubernetes/releases'))).spec.kubernetes.binariesDir).toBe(
      '/opt/kubernetes/releases',
    );
    expect(loadSpec(FIXTURE).spec.kubernetes.binariesDir).toBeUndefined();
  });
});

describe('warnings', () => {
  it('warns on an even number of control-plane nodes', () => {
    const { warnings } = loadSpec(edit((d) => d.setIn(['spec', 'nodes', 3, 'role'], 'control-plane')));
    expect(warnings.map((w) => w.message).join()).toMatch(/4 control-plane nodes.*odd number/);
  });
  it('warns on a single control-plane node', () => {
    const { warnings } = loadSpec(
      edit((d) => {
        for (const i of [1, 2]) d.setIn(['spec', 'nodes', i, 'role'], 'worker');
      }),
    );
    expect(warnings.map((w) => w.message).join()).toMatch(/single control-plane node.*not highly available/);
  });
});

describe('bad documents', () => {
  it('reports invalid YAML with a line and column', () => {
    const found = problems('apiVersion: [\n');
    expect(found[0]!.path).toMatch(/^line \d+, column \d+$/);
    expect(found[0]!.message).toMatch(/^invalid YAML/);
  });
  it('refuses a document that is not a mapping', () => {
    expect(problems('- a\n- b\n')[0]!.message).toMatch(/must be a mapping/);
  });
  it('refuses duplicate keys', () => {
    expect(problems(FIXTURE.replace('  name: prod\n', '  name: prod\n  name: other\n'))[0]!.message).toMatch(/invalid YAML/);
  });
});

describe('defaults', () => {
  it('fills the documented defaults', () => {
    const { spec } = loadSpec(FIXTURE);
    expect(spec.kubernetes).toMatchObject({
      imageRepository: 'registry.k8s.io',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      cgroupDriver: 'systemd',
      kubeProxyMode: 'ipvs',
    });
    expect(spec.controlPlaneEndpoint).toMatchObject({
      vip: '198.18.0.100',
      vipPrefixLength: 24,
      port: 8443,
      apiserverPort: 6443,
      loadBalancer: 'keepalived-haproxy',
      runAs: 'static-pod',
      keepalived: { virtualRouterId: 'auto', advertIntervalMs: 200, preempt: false, unicast: false, trackWeight: 0 },
      haproxy: {
        timeouts: { clientMs: 4 * 3600_000, serverMs: 4 * 3600_000, tunnelMs: 4 * 3600_000, connectMs: 5000 },
        healthCheck: { intervalMs: 1000, fall: 2, rise: 2 },
      },
    });
    expect(spec.autoJoin).toEqual({ enabled: true, role: 'worker' });
    expect(Object.isFrozen(spec.nodes[0])).toBe(true);
  });
});

describe('clusterNameProblem', () => {
  it("accepts the coordinator's own cluster and names metadata.name and both clusters otherwise", () => {
    const { spec } = loadSpec(FIXTURE);
    expect(clusterNameProblem(spec, spec.name)).toBeUndefined();
    expect(clusterNameProblem(spec, 'other')).toEqual({ path: 'metadata.name', message: `is "${spec.name}", but this coordinator manages cluster "other"` });
  });
});
