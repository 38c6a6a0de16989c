/**
 * The deploy benchmark's simulated hosts must refuse what real kubeadm refuses when the coordinator gets a join wrong,
 * or the benchmark would time a deploy that could not have worked: an unknown or deleted token, a CA pin of another
 * cluster, a control-plane join after the kubeadm-certs Secret was deleted or with another key. And what they
 * answer must be what the agent parses: init's and token create's join commands, the Node's readiness, and etcd's
 * status through the agent's own TLS client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdStatus } from '../../agent/tasks/etcd.js';
import { isCertificateKeyFailure } from '../../coordinator/phases/deploy/join-credentials.js';
import { CommandError } from '../../core/errors.js';
import { parseNodeReadiness } from '../../core/host/kubectl.js';
import { parseInitOutput, parseJoinCommand } from '../../core/kubeadm/parse.js';
import { Fleet, FleetHostOps, type FleetHost } from './deploy-fleet.js';

// Addresses no other suite uses; the "VIP" is master-0's apiserver itself (no load balancer in this test).
const M0: FleetHost = { name: 'master-0', address: '127.0.5.10', role: 'control-plane' };
const M1: FleetHost = { name: 'master-1', address: '127.0.5.11', role: 'control-plane' };
const W0: FleetHost = { name: 'worker-0', address: '127.0.5.20', role: 'worker' };
const W1: FleetHost = { name: 'worker-1', address: '127.0.5.21', role: 'worker' };
const ENDPOINT = '127.0.5.10:6443';
const CONFIG = '/etc/kubeadm-ha/kubeadm.yaml';
const OPS_CONFIG = '/etc/kubeadm-ha/kubeadm-ops.yaml';

const clusterConfiguration = `apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: ${ENDPOINT}
apiServer:
  certSANs: [127.0.5.10, master-0, 127.0.5.11, master-1, 127.0.0.1, localhost]
`;

function opsConfig(node: FleetHost, certificateKey?: string): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration: { name: ${node.name} }
${certificateKey ? `certificateKey: ${certificateKey}\n` : ''}---
${clusterConfiguration}`;
}

function joinConfig(node: FleetHost, join: { token: string; caCertHash: string; certificateKey?: string }): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
nodeRegistration: { name: ${node.name} }
discovery:
  bootstrapToken:
    apiServerEndpoint: ${ENDPOINT}
    token: ${join.token}
    caCertHashes: [${join.caCertHash}]
${
  node.role === 'control-plane'
    ? `controlPlane:
  localAPIEndpoint: { advertiseAddress: ${node.address}, bindPort: 6443 }
  certificateKey: ${join.certificateKey ?? ''}
`
    : ''
}`;
}

describe('deploy bench: simulated kubeadm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-fleet-'));
  const fleet = new Fleet({
    initMs: 0,
    controlPlaneJoinMs: 0,
    workerJoinMs: 0,
    vip: '127.0.5.10/8',
    lbPort: 6443,
    apiserverPort: 6443,
    kubernetesVersion: 'v1.31.4',
    logDir: dir,
  });
  const ops = new Map([M0, M1, W0, W1].map((h) => [h.name, new FleetHostOps(fleet, h, join(dir, h.name))]));
  const host = (h: FleetHost) => ops.get(h.name)!;
  const kubeadm = (h: FleetHost, ...args: string[]) => host(h).exec('kubeadm', args);
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => new Error('it succeeded'),
      (err: unknown) => err as Error,
    );
  let caCertHash = '';

  beforeAll(async () => {
    await fleet.prepare([M0, M1, W0, W1]);
    await host(M0).writeFile(
      CONFIG,
      `apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration: { name: master-0 }\n---\n${clusterConfiguration}`,
      0o600,
    );
    const init = await kubeadm(M0, 'init', '--config', CONFIG, '--upload-certs');
    caCertHash = parseInitOutput(init.stdout).controlPlaneJoin!.caCertHashes[0]!;
  });

  afterAll(async () => {
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mintToken = async () => {
    await host(M0).writeFile(OPS_CONFIG, opsConfig(M0), 0o600);
    return parseJoinCommand((await kubeadm(M0, 'token', 'create', '--print-join-command', '--config', OPS_CONFIG)).stdout);
  };

  it('joins a worker with a minted token and the cluster CA pin; its Node is then Ready', async () => {
    const minted = await mintToken();
    expect(minted.endpoint).toBe(ENDPOINT);
    expect(minted.caCertHashes).toEqual([caCertHash]);
    await host(W0).writeFile(CONFIG, joinConfig(W0, { token: minted.token, caCertHash }), 0o600);
    await kubeadm(W0, 'join', '--config', CONFIG);
    expect(await host(W0).exists('/etc/kubernetes/kubelet.conf')).toBe(true);
    const node = await host(M0).exec('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'node', '-o', 'json', '--', 'worker-0']);
    expect(parseNodeReadiness(node.stdout).ready).toBe(true);
    // A second join finds kubelet.conf, as kubeadm's preflight does.
    expect((await failure(kubeadm(W0, 'join', '--config', CONFIG))).message).toContain('FileAvailable--etc-kubernetes-kubelet.conf');
    expect(fleet.invocations.filter((i) => i.host === 'worker-0').map((i) => i.exitCode)).toEqual([0, 1]);
  });

  it('refuses a deleted token and another CA pin', async () => {
    const minted = await mintToken();
    await host(W1).writeFile(CONFIG, joinConfig(W1, { token: minted.token, caCertHash: `sha256:${'0'.repeat(64)}` }), 0o600);
    const pinned = await failure(kubeadm(W1, 'join', '--config', CONFIG));
    expect(pinned).toBeInstanceOf(CommandError);
    expect(pinned.message).toContain('none of the public keys');
    await kubeadm(M0, 'token', 'delete', minted.token.split('.')[0]!);
    await host(W1).writeFile(CONFIG, joinConfig(W1, { token: minted.token, caCertHash }), 0o600);
    expect((await failure(kubeadm(W1, 'join', '--config', CONFIG))).message).toContain('could not find a JWS signature');
    const missing = await host(M0).exec('kubectl', ['get', 'node', '-o', 'json', '--', 'worker-1'], { allowFailure: true });
    expect(missing.stderr).toContain('nodes "worker-1" not found');
  });

  it('joins a control-plane node only with the uploaded certificate key, and its etcd member answers the agent', async () => {
    const key = 'a'.repeat(64);
    const minted = await mintToken();
    await host(M1).writeFile(CONFIG, joinConfig(M1, { token: minted.token, caCertHash, certificateKey: key }), 0o600);
    // init's Secret is deleted, as the coordinator does after each join: the join cannot download the certificates.
    await host(M0).exec('kubectl', ['-n', 'kube-system', 'delete', 'secret', '--ignore-not-found', '--', 'kubeadm-certs']);
    const gone = await failure(kubeadm(M1, 'join', '--config', CONFIG));
    expect(isCertificateKeyFailure(gone)).toBe(true);
    await host(M0).writeFile(OPS_CONFIG, opsConfig(M0, 'b'.repeat(64)), 0o600);
    await kubeadm(M0, 'init', 'phase', 'upload-certs', '--upload-certs', '--config', OPS_CONFIG, '--skip-certificate-key-print');
    expect((await failure(kubeadm(M1, 'join', '--config', CONFIG))).message).toContain('message authentication failed');
    await host(M0).writeFile(OPS_CONFIG, opsConfig(M0, key), 0o600);
    await kubeadm(M0, 'init', 'phase', 'upload-certs', '--upload-certs', '--config', OPS_CONFIG, '--skip-certificate-key-print');
    await kubeadm(M1, 'join', '--config', CONFIG);
    const status = await etcdStatus(host(M1), M1.address);
    expect(status.membersError).toBe('');
    expect((status.members ?? []).map((m) => m.name)).toEqual(['master-0', 'master-1']);
    expect(status.endpoint?.leaderId).toBe(status.members?.[0]?.id);
    const table = await kubeadm(M1, 'certs', 'check-expiration');
    expect(table.stdout).toMatch(/^apiserver {3,}\w{3} \d{2}, \d{4} \d{2}:\d{2} UTC {3,}\d+d {3,}ca {3,}no$/m);
  });
});
