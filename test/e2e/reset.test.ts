/**
 * Issue 5, scenario 7: `coordinatorctl reset --yes` on a cluster deployed in namespaces leaves no VIP on any interface
 * of any host, no keepalived or haproxy process in any host namespace, and none of our files under any host root;
 * the coordinator forgets the spec and revokes every agent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resetPaths } from '../../coordinator/actions/reset.js';
import { planCluster } from '../../core/plan.js';
import { loadSpec } from '../../core/validate.js';
import { describeE2E } from '../netns/describe-e2e.js';
import { E2eCluster, type E2eHost } from './cluster.js';
import { ensureBuilt } from './build.js';

const HOSTS: E2eHost[] = [
  { name: 'master-0', address: '198.18.0.11', role: 'control-plane' },
  { name: 'master-1', address: '198.18.0.12', role: 'control-plane' },
  { name: 'master-2', address: '198.18.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '198.18.0.21', role: 'worker' },
];
/** What a deploy certainly leaves on each kind of host: if these were absent before the reset, the test proves nothing. */
const DEPLOYED_ON_EVERY_HOST = ['/etc/kubernetes/kubelet.conf', '/etc/kubeadm-ha/kubeadm.yaml'];
const DEPLOYED_ON_MASTERS = [
  '/etc/kubernetes/manifests/keepalived.yaml',
  '/etc/kubernetes/manifests/haproxy.yaml',
  '/etc/kubernetes/manifests/etcd.yaml',
  '/etc/kubernetes/admin.conf',
  '/etc/keepalived/keepalived.conf',
  '/etc/haproxy/haproxy.cfg',
];
/** kubeadm's own files, which `kubeadm reset` (run by the reset) removes; not in the product's cleanup list. */
const KUBEADM_FILES = [
  '/etc/kubernetes/kubelet.conf',
  '/etc/kubernetes/admin.conf',
  '/etc/kubernetes/manifests/etcd.yaml',
  '/etc/kubernetes/manifests/kube-apiserver.yaml',
  '/var/lib/kubelet/config.yaml',
];

describeE2E('e2e: coordinatorctl reset in namespaces', () => {
  let c: E2eCluster;

  beforeAll(async () => {
    await ensureBuilt();
    c = await E2eCluster.create({ name: 'e2e-reset', hosts: HOSTS });
    await c.bringUp();
    const r = await c.deploy();
    if (r.code !== 0) throw new Error(`deploy failed (logs in ${c.logs()}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  }, 120_000);

  afterAll(async () => {
    await c?.destroy();
  }, 120_000);

  /** Every file of ours on `host`: the product's cleanup and removal list (kubelet drop-in included) and kubeadm's files. */
  const ourPaths = (host: E2eHost): string[] => {
    const spec = loadSpec(readFileSync(c.specPath, 'utf8')).spec;
    const node = [...planCluster(spec).controlPlane, ...planCluster(spec).workers].find((n) => n.name === host.name)!;
    return [...new Set([...resetPaths(spec, node, true), ...KUBEADM_FILES])];
  };
  const present = (host: E2eHost, paths: readonly string[]) => paths.filter((p) => existsSync(join(c.root(host.name), p)));

  /** keepalived and haproxy processes in the host's namespace, whoever started them (not only the stand-in's view). */
  const lbProcessesIn = async (host: string): Promise<string[]> => {
    const r = await c.lab.exec(host, 'ip', ['netns', 'pids', c.lab.host(host).netns], { reject: false });
    const names: string[] = [];
    for (const pid of r.stdout.split(/\s+/).filter(Boolean)) {
      try {
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        if (comm === 'keepalived' || comm === 'haproxy') names.push(`${comm}[${pid}]`);
      } catch {
        // exited in between
      }
    }
    return names;
  };
  const vipOnAnyInterface = async (host: string) => (await c.lab.exec(host, 'ip', ['-o', 'addr', 'show'], { reject: false })).stdout.includes(`${c.vip}/`);

  it('reset --yes: no VIP on any interface, no keepalived/haproxy processes, none of our files; every agent revoked', async () => {
    // Before: the deploy put everything in place, so each "after" check below could fail.
    expect((await c.lab.whoHolds(c.vip)).length).toBe(1);
    for (const h of HOSTS) {
      const expected = h.role === 'control-plane' ? [...DEPLOYED_ON_EVERY_HOST, ...DEPLOYED_ON_MASTERS] : DEPLOYED_ON_EVERY_HOST;
      expect({ host: h.name, missing: expected.filter((p) => !present(h, [p]).length) }).toEqual({ host: h.name, missing: [] });
      expect(present(h, ourPaths(h)).length, h.name).toBeGreaterThanOrEqual(expected.length);
      if (h.role === 'control-plane')
        expect([...new Set((await lbProcessesIn(h.name)).map((p) => p.split('[')[0]))].sort(), h.name).toEqual(['haproxy', 'keepalived']);
    }

    const t0 = Date.now();
    const r = await c.ctl(['reset', '--yes']);
    const resetMs = Date.now() - t0;
    if (r.code !== 0) console.error(r.stdout.slice(-3000), r.stderr.slice(-3000), '\nlogs in', c.logs());
    expect(r.code).toBe(0);
    console.log(`reset --yes: ${resetMs} ms`);

    // When reset returns: no VIP anywhere and none of our files.
    const everyHost = [...HOSTS.map((x) => x.name), 'coordinator'];
    for (const h of everyHost) expect({ host: h, vip: await vipOnAnyInterface(h) }).toEqual({ host: h, vip: false });
    for (const h of HOSTS) {
      expect({ host: h.name, left: present(h, ourPaths(h)) }).toEqual({ host: h.name, left: [] });
      // The agent's own configuration stays (it is the operator's); its token no longer registers it (tombstone).
      expect(existsSync(join(c.root(h.name), 'etc/kubeadm-ha/agent.yaml'))).toBe(true);
    }
    // The daemons, also when reset returns: it waits until the container runtime (crictl) runs neither.
    for (const h of HOSTS) expect({ host: h.name, processes: await lbProcessesIn(h.name) }).toEqual({ host: h.name, processes: [] });
    for (const h of HOSTS) {
      const standin = c.standins.get(h.name);
      if (standin)
        expect({ host: h.name, keepalived: standin.pidOf('keepalived'), haproxy: standin.pidOf('haproxy') }).toEqual({
          host: h.name,
          keepalived: undefined,
          haproxy: undefined,
        });
    }
    // Still nothing a moment later: no kubelet stand-in restarts a daemon, nothing puts the VIP back.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const h of everyHost) expect({ host: h, vip: await vipOnAnyInterface(h) }).toEqual({ host: h, vip: false });
    for (const h of HOSTS) expect({ host: h.name, processes: await lbProcessesIn(h.name) }).toEqual({ host: h.name, processes: [] });

    const status = JSON.parse((await c.ctl(['status', '-o', 'json'])).stdout) as {
      status: { specPresent: boolean };
      nodes: { name: string; connected: boolean; joined: boolean }[];
    };
    expect(status.status.specPresent).toBe(false);
    // Every agent revoked: none registered, although each one has kept trying with the token in its agent.yaml (which
    // has uses left, but is older than the revocation) since its session was ended.
    expect(status.nodes.map((n) => n.name)).toEqual([]);
    for (const h of HOSTS) expect(c.agents.get(h.name)!.readLog(), h.name).toMatch(/was revoked \(reset\)/);
  }, 120_000);
});
