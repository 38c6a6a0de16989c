import { afterEach, describe, expect, it } from 'vitest';
import { PreconditionError } from '../../core/errors.js';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { runPreflight, type PreflightInput } from './preflight.js';

const INPUT: PreflightInput = {
  nodeName: 'master-1',
  nodeAddress: '198.18.0.12',
  isControlPlane: true,
  kubeProxyMode: 'ipvs',
  kubernetesVersion: 'v1.31.4',
  criSocket: 'unix:///run/containerd/containerd.sock',
  vip: '198.18.0.100',
  lbPort: 8443,
  apiserverPort: 6443,
};

let host: ScriptedHostOps;

async function healthyHost(): Promise<ScriptedHostOps> {
  host = new ScriptedHostOps();
  host
    .on('kubeadm version -o short', { stdout: 'v1.31.4\n' })
    .on('kubelet --version', { stdout: 'Kubernetes v1.31.4\n' })
    .on('timedatectl', { stdout: 'yes\n' })
    .on('hostname', { stdout: 'master-1\n' })
    .on('ss -ltnH', { stdout: 'LISTEN 0 4096 127.0.0.1:14222 0.0.0.0:*\n' })
    .on('ip -o addr show', { stdout: '2: eth0    inet 198.18.0.12/24 brd 198.18.0.255 scope global eth0\\       valid_lft forever\n' });
  await host.writeFile('/run/containerd/containerd.sock', '', 0o600);
  await host.writeFile('/etc/fstab', 'UUID=abc / ext4 defaults 0 1\n/swap.img\tnone\tswap\tsw\t0\t0\n', 0o644);
  return host;
}

afterEach(() => host?.dispose());

describe('preflight', () => {
  it('fixes modules, sysctls and swap on a healthy host, and persists them', async () => {
    const h = await healthyHost();
    const result = await runPreflight(h, INPUT);
    expect(result.warnings).toEqual([]);
    for (const m of ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'br_netfilter', 'nf_conntrack']) expect(h.calls).toContain(`modprobe -- ${m}`);
    expect(h.calls).toContain('swapoff -a');
    expect(await h.readFile('/etc/fstab')).toBe('UUID=abc / ext4 defaults 0 1\n#/swap.img\tnone\tswap\tsw\t0\t0\n');
    expect(await h.readFile('/etc/sysctl.d/99-kubeadm-ha.conf')).toMatch(/net\.bridge\.bridge-nf-call-iptables\s*=\s*1/);
    expect(await h.readFile('/etc/modules-load.d/kubeadm-ha.conf')).toMatch(/^ip_vs$/m);
    expect(h.calls.some((c) => c.startsWith('sysctl -p /etc/sysctl.d/99-kubeadm-ha.conf'))).toBe(true);
  });

  it('refuses a leftover VIP, a busy port, a mismatched kubeadm and missing ipvs, all at once', async () => {
    const h = await healthyHost();
    h.on('ip -o addr show', {
      stdout: '2: eth0    inet 198.18.0.12/24 scope global eth0\\ x\n2: eth0    inet 198.18.0.100/24 scope global secondary eth0\\ x\n',
    })
      .on('ss -ltnH', { stdout: 'LISTEN 0 4096 *:8443 *:*\n' })
      .on('kubeadm version -o short', { stdout: 'v1.30.2\n' })
      .on('modprobe -- ip_vs_sh', { exitCode: 1, stderr: 'modprobe: FATAL: Module ip_vs_sh not found in directory /lib/modules/6.1.0\n' });
    const err = await runPreflight(h, INPUT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    const message = (err as Error).message;
    expect(message).toMatch(/^preflight found 4 problems:/);
    expect(message).toMatch(/the VIP 198\.18\.0\.100 is already on interface eth0.*coordinatorctl reset/);
    expect(message).toMatch(/port 8443 is already in use/);
    expect(message).toMatch(/kubeadm is v1\.30\.2 but the spec asks for v1\.31\.4/);
    expect(message).toMatch(/ip_vs_sh.*kubeProxyMode is ipvs/);
  });

  it('only warns about a missing ipvs module when kube-proxy does not use ipvs', async () => {
    const h = await healthyHost();
    h.on('modprobe -- ip_vs_sh', { exitCode: 1, stderr: 'modprobe: FATAL: Module ip_vs_sh not found\n' });
    const result = await runPreflight(h, { ...INPUT, kubeProxyMode: 'iptables' });
    expect(result.warnings.join()).toMatch(/ip_vs_sh/);
  });

  it('falls back to nf_conntrack_ipv4 on old kernels', async () => {
    const h = await healthyHost();
    h.on('modprobe -- nf_conntrack', { exitCode: 1, stderr: 'not found' });
    await runPreflight(h, INPUT);
    expect(h.calls).toContain('modprobe -- nf_conntrack_ipv4');
    expect(await h.readFile('/etc/modules-load.d/kubeadm-ha.conf')).toMatch(/^nf_conntrack_ipv4$/m);
  });
});

describe('preflight: VRRP router id on the segment', () => {
  const VRRP = { virtualRouterId: 51, listenMs: 20, clusterAddresses: ['198.18.0.11', '198.18.0.12', '198.18.0.13'] };
  const senders = (addresses: string[], name = 'senders4') => ({
    stdout: JSON.stringify({ nftables: [{ metainfo: {} }, { set: { family: 'inet', name, ...(addresses.length > 0 ? { elem: addresses } : {}) } }] }),
  });
  const probingHost = async () => {
    const h = await healthyHost();
    h.on('nft -j list set inet kubeadm_ha_vrrp_probe senders4', senders([]));
    h.on('nft -j list set inet kubeadm_ha_vrrp_probe senders6', senders([], 'senders6'));
    return h;
  };

  it('refuses when another router on the segment uses the id, naming it and what to change', async () => {
    host = await probingHost();
    host.on('nft -j list set inet kubeadm_ha_vrrp_probe senders4', senders(['198.18.0.250', '198.18.0.13']));
    const err = await runPreflight(host, { ...INPUT, vrrp: VRRP }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toContain(
      'virtual_router_id 51 is already used on this segment: VRRP adverts from 198.18.0.250, which is not a node of this cluster; set spec.controlPlaneEndpoint.keepalived.virtualRouterId',
    );
    // The probe went in, was read, and was taken out again, with the multicast memberships it added.
    const at = host.calls.indexOf('nft -f -');
    expect(host.inputs.get(at)).toContain('@th,8,8 51 add @senders4');
    expect(host.calls).toContain('nft delete table inet kubeadm_ha_vrrp_probe');
    const maddr = host.calls.filter((c) => c.startsWith('ip maddr'));
    expect(maddr.filter((c) => c.startsWith('ip maddr add')).length).toBe(maddr.filter((c) => c.startsWith('ip maddr del')).length);
  });

  it('adverts from this cluster (a re-run) or from nobody pass', async () => {
    host = await probingHost();
    host.on('nft -j list set inet kubeadm_ha_vrrp_probe senders4', senders(['198.18.0.12', '198.18.0.13']));
    expect((await runPreflight(host, { ...INPUT, vrrp: VRRP })).warnings).toEqual([]);
    host.dispose();
    host = await probingHost();
    expect((await runPreflight(host, { ...INPUT, vrrp: VRRP })).warnings).toEqual([]);
    expect(host.calls).toContain('nft delete table inet kubeadm_ha_vrrp_probe');
  });

  it('without nftables it warns that it could not check, and goes on', async () => {
    host = await probingHost();
    host.on(/^nft /, { exitCode: -1, stderr: 'spawn nft ENOENT' });
    const result = await runPreflight(host, { ...INPUT, vrrp: VRRP });
    expect(result.warnings).toContain(
      'could not check the segment for other VRRP routers using virtual_router_id 51 (nft: spawn nft ENOENT); install nftables, or make sure no other keepalived on the segment uses it',
    );
  });

  it('listens while the other checks run, and reports its finding after theirs', async () => {
    host = await probingHost();
    host.on('nft -j list set inet kubeadm_ha_vrrp_probe senders4', senders(['198.18.0.250']));
    // A leftover VIP: a problem of an earlier step.
    host.on('ip -o addr show', {
      stdout:
        '2: eth0    inet 198.18.0.12/24 brd 198.18.0.255 scope global eth0\\       valid_lft forever\n2: eth0    inet 198.18.0.100/32 scope global eth0\\       valid_lft forever\n',
    });
    // A listen long enough for the other checks (instant here) to finish well inside it.
    const err = await runPreflight(host, { ...INPUT, vrrp: { ...VRRP, listenMs: 1_000 } }).catch((e: unknown) => e);
    // The other checks' commands fall between the probe going in and coming out: the wait is not added to them.
    const [loaded, removed] = [host.calls.indexOf('nft -f -'), host.calls.indexOf('nft delete table inet kubeadm_ha_vrrp_probe')];
    for (const other of ['swapoff -a', 'timedatectl show -p NTPSynchronized --value', 'kubeadm version -o short', 'ss -ltnH']) {
      expect(host.calls.indexOf(other)).toBeGreaterThan(loaded);
      expect(host.calls.indexOf(other)).toBeLessThan(removed);
    }
    const message = (err as Error).message;
    expect(message).toContain('198.18.0.100 is already on interface eth0');
    expect(message.indexOf('virtual_router_id 51 is already used')).toBeGreaterThan(message.indexOf('198.18.0.100 is already on interface eth0'));
  });

  it('output it cannot read is a warning, and the probe is still taken out', async () => {
    host = await probingHost();
    host.on('nft -j list set inet kubeadm_ha_vrrp_probe senders6', { stdout: 'not json' });
    const result = await runPreflight(host, { ...INPUT, vrrp: VRRP });
    expect(result.warnings.join('\n')).toMatch(/could not check the segment .* \(nft -j list set inet kubeadm_ha_vrrp_probe senders6: .*JSON/);
    // Taken out after it was read (the other checks run meanwhile, so their commands may come later).
    expect(host.calls.lastIndexOf('nft delete table inet kubeadm_ha_vrrp_probe')).toBeGreaterThan(
      host.calls.indexOf('nft -j list set inet kubeadm_ha_vrrp_probe senders6'),
    );
  });
});
