import { describe, expect, it } from 'vitest';
import { parseSpecYaml } from '../../core/spec.js';
import { planCluster } from '../../core/plan.js';
import { renderLoadBalancerFiles } from '../../core/render/load-balancer.js';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderEtcdManifest } from '../kubeadm-sim/render.js';
import { prepareContainerMounts } from './container-mounts.js';
import { daemonOf, parseStaticPod, podProblems } from './pod-manifest.js';
import { runSystemctl, type SystemctlUnit } from './systemctl.js';
import { parseEnvironmentFile } from './systemd-unit.js';

function productManifests(): Map<string, string> {
  const spec = parseSpecYaml(`apiVersion: kubeadm-ha.io/v1alpha1
kind: Cluster
metadata:
  name: unit
spec:
  kubernetes:
    version: v1.31.4
  controlPlaneEndpoint:
    vip: 198.18.0.100/24
  nodes:
    - name: master-0
      address: 198.18.0.11
      role: control-plane
      interface: eth0
`);
  const plan = planCluster(spec, { authPass: 'unitpass' });
  const files = renderLoadBalancerFiles({ plan, node: plan.controlPlane[0]!, interface: 'eth0' });
  return new Map(files.filter((f) => f.path.startsWith('/etc/kubernetes/manifests/')).map((f) => [f.path.split('/').pop()!, f.content]));
}

describe('static pod manifests as the kubelet stand-in reads them', () => {
  it('runs the product manifests: keepalived and haproxy, host network, no problems', () => {
    const manifests = productManifests();
    expect([...manifests.keys()].sort()).toEqual(['haproxy.yaml', 'keepalived.yaml']);
    for (const [file, text] of manifests) {
      const pod = parseStaticPod(text);
      const container = pod.containers[0]!;
      expect(daemonOf(container)).toBe(file.replace('.yaml', ''));
      expect(podProblems(pod, container, daemonOf(container)!)).toEqual([]);
      expect(pod.restartPolicy).toBe('Always');
      expect(pod.terminationGracePeriodSeconds).toBe(30);
    }
  });

  it('treats a comment-only edit as the same pod and a spec edit as a new one', () => {
    const text = productManifests().get('haproxy.yaml')!;
    const base = parseStaticPod(text).identity;
    expect(parseStaticPod(`# touched by hand\n${text}`).identity).toBe(base);
    expect(parseStaticPod(text.replace('cpu: 25m', 'cpu: 50m')).identity).not.toBe(base);
  });

  it('reports pods that would misbehave on a real node', () => {
    const text = productManifests().get('keepalived.yaml')!;
    const noHostNet = parseStaticPod(text.replace('hostNetwork: true', 'hostNetwork: false'));
    expect(podProblems(noHostNet, noHostNet.containers[0]!, 'keepalived').join('\n')).toMatch(/hostNetwork is not true/);
    const noCaps = parseStaticPod(text.replace(/ {12}- NET_ADMIN\n/, ''));
    expect(podProblems(noCaps, noCaps.containers[0]!, 'keepalived').join('\n')).toMatch(/capabilities NET_ADMIN/);
    const noVolume = parseStaticPod(text.replace('- name: keepalived-config\n      hostPath', '- name: renamed\n      hostPath'));
    expect(podProblems(noVolume, noVolume.containers[0]!, 'keepalived').join('\n')).toMatch(/volumeMount keepalived-config has no hostPath volume/);
  });

  it('rejects what the kubelet cannot decode', () => {
    expect(() => parseStaticPod('kind: Pod\napiVersion: v1\n')).toThrow(/metadata.name/);
    expect(() => parseStaticPod('kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}\n')).toThrow(/not a v1 Pod/);
    expect(() => parseStaticPod('a: [\n')).toThrow(/invalid YAML/);
  });
});

function fakeUnit(): SystemctlUnit & { calls: string[] } {
  let active = false;
  let enabled = false;
  const calls: string[] = [];
  const ok = { exitCode: 0, stdout: '', stderr: '' };
  return {
    calls,
    start: async () => {
      calls.push('start');
      active = true;
      return ok;
    },
    stop: async () => {
      calls.push('stop');
      active = false;
      return ok;
    },
    restart: async () => {
      calls.push('restart');
      active = true;
      return ok;
    },
    reload: async () => {
      calls.push('reload');
      return ok;
    },
    activeState: () => (active ? 'active' : 'inactive'),
    isEnabled: () => enabled,
    setEnabled: (e: boolean) => {
      enabled = e;
    },
  };
}

describe("the simulated kubeadm's etcd.yaml under the stand-in", () => {
  it('runs etcd from its own command, with a private overlay for mount points this machine lacks', () => {
    // A certificates dir that exists on no machine: its mount point must come from an overlay, not the real /etc.
    const certDir = '/etc/kubeadm-sim-unit-pki';
    const text = renderEtcdManifest({
      nodeName: 'master-0',
      advertiseAddress: '198.18.0.11',
      bindPort: 6443,
      kubernetesVersion: 'v1.31.4',
      imageRepository: 'registry.k8s.io',
      serviceSubnet: '10.96.0.0/12',
      podSubnet: '',
      certificatesDir: certDir,
      etcdDataDir: '/var/lib/etcd',
      apiServerExtraArgs: [],
      etcdExtraArgs: [],
      etcdInitialCluster: ['master-0=https://198.18.0.11:2380'],
      etcdInitialClusterState: 'new',
    });
    const pod = parseStaticPod(text);
    const container = pod.containers[0]!;
    expect(daemonOf(container)).toBe('etcd');
    expect(podProblems(pod, container, 'etcd')).toEqual([]);
    expect(container.livenessProbe).toMatchObject({ kind: 'httpGet', host: '127.0.0.1', port: 2381, path: '/health?exclude=NOSPACE&serializable=true' });
    const dir = mkdtempSync(join(tmpdir(), 'standin-unit-'));
    try {
      const root = join(dir, 'root');
      const scratch = join(dir, 'scratch');
      const mounts = prepareContainerMounts(root, scratch, pod, container);
      expect(mounts.problems).toEqual([]);
      const overlayAt = mounts.binds.findIndex((b) => b.overlay && b.target === '/etc');
      const certsAt = mounts.binds.findIndex((b) => b.target === `${certDir}/etcd`);
      expect(overlayAt).toBeGreaterThanOrEqual(0);
      expect(certsAt).toBeGreaterThan(overlayAt);
      expect(mounts.binds[certsAt]!.source).toBe(join(root, certDir, 'etcd'));
      expect(statSync(join(mounts.binds[overlayAt]!.source, 'upper', certDir.slice('/etc'.length), 'etcd')).isDirectory()).toBe(true);
      expect(existsSync(certDir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('systemctl grammar of the stand-in', () => {
  it('answers is-active/is-enabled with systemctl exit codes', async () => {
    const unit = fakeUnit();
    const lookup = (n: string) => (n === 'haproxy' ? unit : undefined);
    expect(await runSystemctl(['is-active', 'haproxy.service'], lookup)).toEqual({ exitCode: 3, stdout: 'inactive\n', stderr: '' });
    expect(await runSystemctl(['enable', '--now', 'haproxy'], lookup)).toMatchObject({ exitCode: 0 });
    expect(unit.calls).toEqual(['start']);
    expect(await runSystemctl(['is-active', '-q', 'haproxy'], lookup)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await runSystemctl(['is-enabled', 'haproxy'], lookup)).toMatchObject({ exitCode: 0, stdout: 'enabled\n' });
    expect(await runSystemctl(['reload-or-restart', 'haproxy'], lookup)).toMatchObject({ exitCode: 0 });
    expect(unit.calls).toEqual(['start', 'reload']);
    expect(await runSystemctl(['try-restart', 'haproxy'], lookup)).toMatchObject({ exitCode: 0 });
    expect(unit.calls.at(-1)).toBe('restart');
  });

  it('fails like systemctl on unknown units, verbs and options', async () => {
    const lookup = () => undefined;
    expect(await runSystemctl(['start', 'nosuch'], lookup)).toEqual({
      exitCode: 5,
      stdout: '',
      stderr: 'Failed to start nosuch.service: Unit nosuch.service not found.\n',
    });
    expect(await runSystemctl(['is-active', 'nosuch'], lookup)).toMatchObject({ exitCode: 4, stdout: 'inactive\n' });
    expect(await runSystemctl(['frobnicate', 'x'], lookup)).toMatchObject({ exitCode: 1, stderr: 'Unknown command verb frobnicate.\n' });
    expect(await runSystemctl(['--bogus', 'start', 'x'], lookup)).toMatchObject({ exitCode: 1, stderr: "systemctl: unrecognized option '--bogus'\n" });
    expect(await runSystemctl(['daemon-reload'], lookup)).toMatchObject({ exitCode: 0 });
  });

  it('reads EnvironmentFile syntax', () => {
    expect(parseEnvironmentFile('# c\nDAEMON_ARGS="--vrrp -D"\nCONFIG=/etc/haproxy/x.cfg\n')).toEqual({
      DAEMON_ARGS: '--vrrp -D',
      CONFIG: '/etc/haproxy/x.cfg',
    });
  });
});
