import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../core/errors.js';
import { STATIC_POD_MANIFESTS_DIR, STOPPED_MANIFESTS_DIR } from '../../core/host/paths.js';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { stopLoadBalancer, verifyClean } from './load-balancer.js';

const SOCK = 'unix:///run/containerd/containerd.sock';
const ID = (n: number) => String(n).repeat(64).slice(0, 64);
let host: ScriptedHostOps;
afterEach(() => host?.dispose());

async function staticPodHost(): Promise<ScriptedHostOps> {
  host = new ScriptedHostOps();
  for (const f of ['keepalived.yaml', 'haproxy.yaml']) await host.writeFile(`${STATIC_POD_MANIFESTS_DIR}/${f}`, `kind: Pod # ${f}\n`, 0o600);
  return host;
}

describe('stopLoadBalancer', () => {
  it('moves the manifests aside, then waits until the runtime runs none of the containers', async () => {
    await staticPodHost();
    const answers = [`${ID(1)}\n${ID(2)}\n`, `${ID(2)}\n`, ''];
    host.on(/^crictl /, () => ({ stdout: answers.shift() ?? '' }));
    const progress: string[] = [];
    await stopLoadBalancer(host, (l) => progress.push(l), { criSocket: SOCK, timeoutMs: 5_000 });
    expect(await host.exists(`${STATIC_POD_MANIFESTS_DIR}/haproxy.yaml`)).toBe(false);
    expect(await host.readFile(`${STOPPED_MANIFESTS_DIR}/haproxy.yaml`)).toBe('kind: Pod # haproxy.yaml\n');
    expect(host.calls.filter((c) => c.startsWith('crictl '))).toHaveLength(3);
    expect(host.calls[0]).toBe(
      `crictl --runtime-endpoint ${SOCK} ps --quiet --state running --name ^(keepalived|haproxy|kube-vip)$ --label io.kubernetes.pod.namespace=kube-system`,
    );
    expect(progress).toEqual([
      'moved /etc/kubernetes/manifests/keepalived.yaml aside; kubelet stops the pod',
      'moved /etc/kubernetes/manifests/haproxy.yaml aside; kubelet stops the pod',
      '2 load-balancer container(s) still running; waiting for kubelet to stop them',
      '1 load-balancer container(s) still running; waiting for kubelet to stop them',
      expect.stringMatching(/^the load-balancer containers stopped \d+ ms after their manifests went$/),
    ]);
  });

  it('a container kubelet never stops is a timeout that says what to look at', async () => {
    await staticPodHost();
    host.on(/^crictl /, { stdout: `${ID(3)}\n` });
    const err = await stopLoadBalancer(host, () => {}, { criSocket: SOCK, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(
      /^1 load-balancer container\(s\) \(keepalived\/haproxy\/kube-vip\) still running 300 ms after .*; is kubelet running\?/,
    );
  });

  it('without crictl or a runtime it says so and does not wait', async () => {
    await staticPodHost();
    host.on(/^crictl /, { exitCode: 1, stderr: 'level=fatal msg="validate service connection: ... connection refused"' });
    const progress: string[] = [];
    await stopLoadBalancer(host, (l) => progress.push(l), { criSocket: SOCK, timeoutMs: 5_000 });
    expect(progress.at(-1)).toBe(
      'cannot ask the container runtime whether the load-balancer containers stopped (crictl: level=fatal msg="validate service connection: ... connection refused"); not waiting',
    );
  });

  it('systemd units: systemctl stop is the wait; no crictl, and without a wait request neither', async () => {
    host = new ScriptedHostOps();
    await host.writeFile('/etc/keepalived/keepalived.conf', 'x\n', 0o644);
    await stopLoadBalancer(host, () => {}, { criSocket: SOCK, timeoutMs: 5_000 });
    expect(host.calls).toEqual(['systemctl stop keepalived haproxy']);
    host.dispose();
    await staticPodHost();
    await stopLoadBalancer(host, () => {});
    expect(host.calls).toEqual([]);
  });
});

describe('verifyClean', () => {
  it('reports a VIP handover hold that an interrupted handover left in nftables, when asked', async () => {
    host = new ScriptedHostOps();
    host.on('ip -o addr show', { stdout: '' });
    host.on('nft list table inet kubeadm_ha_vip_handover', { stdout: 'table inet kubeadm_ha_vip_handover {\n}\n' });
    expect(await verifyClean(host, [], '198.18.0.100', { firewallHold: true })).toEqual([
      { kind: 'firewall', detail: 'nftables table inet kubeadm_ha_vip_handover' },
    ]);
    // The VIP and file probes that share the task do not pay for an nft process.
    const calls = host.calls.length;
    expect(await verifyClean(host, [], '198.18.0.100')).toEqual([]);
    expect(host.calls.slice(calls)).toEqual(['ip -o addr show']);
    host.on('nft list table inet kubeadm_ha_vip_handover', { exitCode: 1, stderr: 'Error: No such file or directory' });
    expect(await verifyClean(host, [], '198.18.0.100', { firewallHold: true })).toEqual([]);
  });
});
