import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKubeletStandins, type KubeletStandins } from '../kubelet-standin/standin.js';
import { describeE2E } from './describe-e2e.js';
import { createLab, type Lab } from './harness.js';
import { httpGetFrom, loadLoop } from './http-client.js';
import { selfSignedCertificate, startHttpsBackend } from './https-server.js';
import { installLoadBalancerFiles, planForLab } from './lb-cluster.js';
import { sleep } from './proc.js';

const VIP = '198.18.0.100';

describeE2E('VRRP failover drill: product keepalived + haproxy as static pods on three hosts', () => {
  let lab: Lab;
  let standins: KubeletStandins | undefined;

  beforeAll(async () => {
    lab = await createLab({
      name: 'vrrp-drill',
      hosts: [
        { name: 'master-0', address: '198.18.0.11/24' },
        { name: 'master-1', address: '198.18.0.12/24' },
        { name: 'master-2', address: '198.18.0.13/24' },
      ],
    });
    const cert = await selfSignedCertificate(
      lab.dir,
      'apiserver',
      lab.hosts.map((h) => h.address),
    );
    for (const h of lab.hosts) await startHttpsBackend(lab, h.name, { port: 6443, cert });
    const plan = planForLab(lab, { vip: `${VIP}/24`, runAs: 'static-pod', virtualRouterId: 51 });
    expect(plan.controlPlane.map((n) => n.priority)).toEqual([100, 98, 96]);
    installLoadBalancerFiles(lab, plan);
    standins = await startKubeletStandins({ lab });
    for (const h of lab.hosts) {
      await standins.of(h.name).waitUntilRunning('haproxy', { timeoutMs: 15_000 });
      await standins.of(h.name).waitUntilRunning('keepalived', { timeoutMs: 15_000 });
    }
  });

  afterAll(async () => {
    await standins?.stop();
    await lab?.destroy();
  });

  it('runs the manifests as written, with no problem reported', () => {
    for (const h of lab.hosts) expect(standins!.of(h.name).problems()).toEqual([]);
  });

  it('elects exactly one VIP holder, and haproxy behind the VIP reaches every apiserver', async () => {
    const { holders } = await lab.waitForHolders(VIP, (hs) => hs.length === 1, { timeoutMs: 10_000 });
    expect(holders).toHaveLength(1);
    const direct = await httpGetFrom(lab, 'master-1', `https://${VIP}:8443/healthz`);
    expect(direct).toMatchObject({ status: 200, body: 'ok' });
    const loop = await loadLoop({ lab, fromHost: 'master-2', url: `https://${VIP}:8443/`, durationMs: 1500, intervalMs: 10 });
    expect(loop.failed).toBe(0);
    // roundrobin over three healthy backends: every apiserver answers.
    expect(Object.keys(loop.bodies).sort()).toEqual(['master-0', 'master-1', 'master-2']);
  });

  it('moves the VIP when the holder keepalived is killed, and nopreempt keeps it away when it returns', async () => {
    const [oldHolder] = await lab.whoHolds(VIP);
    expect(oldHolder).toBeDefined();
    const standin = standins!.of(oldHolder!);
    const oldPid = standin.pidOf('keepalived');
    expect(standin.kill('keepalived', 'SIGKILL')).toBe(true);
    const moved = await lab.waitForHolders(VIP, (hs) => hs.some((h) => h !== oldHolder), { timeoutMs: 10_000, intervalMs: 10 });
    console.log(`VIP ${VIP} failover after SIGKILL of keepalived on ${oldHolder}: ${moved.elapsedMs} ms (holders then: ${moved.holders.join(', ')})`);
    expect(moved.elapsedMs).toBeLessThan(10_000);

    // The kubelet restarts the container; keepalived starts in BACKUP and removes the VIP it left behind.
    const newPid = await standin.waitUntilRunning('keepalived', { timeoutMs: 15_000 });
    expect(newPid).not.toBe(oldPid);
    expect(standin.status('keepalived')?.restarts).toBeGreaterThanOrEqual(1);
    // Two backups may both claim the VIP for an advert or two; the higher priority keeps it.
    const settled = await lab.waitForHolders(VIP, (hs) => hs.length === 1 && hs[0] !== oldHolder, { timeoutMs: 10_000 });
    const newHolder = settled.holders[0]!;
    expect(standin.events().some((e) => e.daemon === 'keepalived' && e.kind === 'restarting')).toBe(true);

    // nopreempt: the returned old holder has the higher priority but does not take the VIP back.
    for (let i = 0; i < 12; i++) {
      await sleep(250);
      expect(await lab.whoHolds(VIP)).toEqual([newHolder]);
    }
    const after = await loadLoop({ lab, fromHost: oldHolder!, url: `https://${VIP}:8443/healthz`, durationMs: 800, intervalMs: 20 });
    expect(after.failed).toBe(0);
  });
});
