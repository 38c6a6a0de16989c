import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, statSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';
import { request } from 'node:https';
import { ensureSimulatorBuilt, freePort, killSimApiservers, runSim, type SimRun } from './testing.js';
import { KUBELET_STOPPED_MARKER } from './state.js';

const roots: string[] = [];
const tempDirs: string[] = [];

function newCluster(extraEnv: Record<string, string> = {}): { state: string; host: (name: string) => { root: string; env: Record<string, string> } } {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-sim-'));
  tempDirs.push(dir);
  const state = join(dir, 'state');
  return {
    state,
    host: (name: string) => {
      const root = join(dir, name);
      mkdirSync(root, { recursive: true });
      roots.push(root);
      return { root, env: { KUBEADM_SIM_ROOT: root, KUBEADM_SIM_STATE: state, KUBEADM_SIM_KEY_ALGORITHM: 'ECDSA-P256', ...extraEnv } };
    },
  };
}

function writeFile(root: string, path: string, content: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}

function kubeadmYaml(node: string, address: string, port: number, endpoint: string): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  name: ${node}
localAPIEndpoint:
  advertiseAddress: ${address}
  bindPort: ${port}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.31.4
controlPlaneEndpoint: ${endpoint}
apiServer:
  certSANs: [198.18.0.100, ${node}]
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
`;
}

function get(address: string, port: number, path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, ca, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function pin(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return 'sha256:' + createHash('sha256').update(spki).digest('hex');
}

const mode = (p: string): number => statSync(p).mode & 0o777;
const expectOk = (r: SimRun): void => expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);

beforeAll(async () => {
  await ensureSimulatorBuilt();
}, 300_000);

afterAll(() => {
  killSimApiservers(roots);
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

describe('kubeadm-sim lifecycle', () => {
  const cluster = newCluster();
  const m0 = cluster.host('master0');
  const m1 = cluster.host('master1');
  const w1 = cluster.host('worker1');
  const w2 = cluster.host('worker2');
  let port = 0;
  let endpoint = '';
  let ca = '';
  let workerJoin: string[] = [];

  it('init writes the PKI, kubeconfigs and manifests, starts a TLS apiserver and prints both join commands', async () => {
    port = await freePort('127.0.0.1');
    endpoint = `127.0.0.1:${port}`;
    writeFile(m0.root, '/etc/kubeadm-ha/kubeadm.yaml', kubeadmYaml('master0', '127.0.0.1', port, endpoint));
    // LB static pods placed before init do not trip preflight: only the control-plane manifests do.
    writeFile(
      m0.root,
      '/etc/kubernetes/manifests/haproxy.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: haproxy, namespace: kube-system}\nspec: {containers: [{name: haproxy, image: haproxy:2.6}]}\n',
    );
    writeFile(
      m0.root,
      '/etc/kubernetes/manifests/keepalived.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: keepalived, namespace: kube-system}\nspec: {containers: [{name: keepalived, image: keepalived}]}\n',
    );

    const r = await runSim('kubeadm', ['init', '--config', '/etc/kubeadm-ha/kubeadm.yaml', '--upload-certs'], m0.env);
    expectOk(r);
    const pki = join(m0.root, 'etc/kubernetes/pki');
    ca = readFileSync(join(pki, 'ca.crt'), 'utf8');
    expect(new X509Certificate(ca).subject).toBe('CN=kubernetes');
    expect(new X509Certificate(ca).ca).toBe(true);
    expect(mode(join(pki, 'ca.key'))).toBe(0o600);
    for (const f of ['front-proxy-ca.crt', 'sa.key', 'sa.pub', 'etcd/ca.crt', 'apiserver.crt']) expect(existsSync(join(pki, f)), f).toBe(true);
    const apiserverCert = new X509Certificate(readFileSync(join(pki, 'apiserver.crt'), 'utf8'));
    expect(apiserverCert.checkIssued(new X509Certificate(ca))).toBe(true);
    expect(apiserverCert.subjectAltName).toContain('IP Address:198.18.0.100');
    expect(apiserverCert.subjectAltName).toContain('DNS:kubernetes.default.svc.cluster.local');
    expect(mode(join(m0.root, 'etc/kubernetes/admin.conf'))).toBe(0o600);
    expect(existsSync(join(m0.root, 'etc/kubernetes/super-admin.conf'))).toBe(true);
    expect(readFileSync(join(m0.root, 'etc/kubernetes/admin.conf'), 'utf8')).toContain(`server: https://${endpoint}`);
    expect(readdirSync(join(m0.root, 'etc/kubernetes/manifests')).sort()).toEqual([
      'etcd.yaml',
      'haproxy.yaml',
      'keepalived.yaml',
      'kube-apiserver.yaml',
      'kube-controller-manager.yaml',
      'kube-scheduler.yaml',
    ]);
    expect(readFileSync(join(m0.root, 'var/lib/kubelet/config.yaml'), 'utf8')).toContain('cgroupDriver: systemd');

    const hash = pin(ca);
    const out = r.stdout;
    expect(out).toContain('[init] Using Kubernetes version: v1.31.4\n');
    expect(out).toMatch(/\[upload-certs\] Using certificate key:\n[0-9a-f]{64}\n/);
    const key = /\[upload-certs\] Using certificate key:\n([0-9a-f]{64})\n/.exec(out)?.[1];
    const token = /\[bootstrap-token\] Using token: ([a-z0-9]{6}\.[a-z0-9]{16})\n/.exec(out)?.[1];
    expect(out).toContain('Your Kubernetes control-plane has initialized successfully!');
    expect(out).toContain(
      `  kubeadm join ${endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${hash} \\\n\t--control-plane --certificate-key ${key}\n`,
    );
    expect(out.endsWith(`kubeadm join ${endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${hash} \n`)).toBe(true);

    const health = await get('127.0.0.1', port, '/healthz', ca);
    expect(health).toEqual({ status: 200, body: 'ok' });
    expect((await get('127.0.0.1', port, '/readyz/etcd', ca)).status).toBe(200);
    expect((await get('127.0.0.1', port, '/api/v1/nodes', ca)).status).toBe(403);
    expect(existsSync(join(m0.root, 'run/kubeadm-sim/apiserver.pid'))).toBe(true);
  });

  it('upload-certs re-uploads under a new key printed on the last line', async () => {
    const r = await runSim('kubeadm', ['init', 'phase', 'upload-certs', '--upload-certs'], m0.env);
    expectOk(r);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace');
    expect(lines.at(-2)).toBe('[upload-certs] Using certificate key:');
    expect(lines.at(-1)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('token create --print-join-command prints the one-line worker command with its trailing space', async () => {
    const r = await runSim('kubeadm', ['token', 'create', '--print-join-command', '--ttl', '15m'], m0.env);
    expectOk(r);
    expect(r.stdout).toMatch(
      new RegExp(`^kubeadm join ${endpoint.replaceAll('.', '\\.')} --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash ${pin(ca)} \\n$`),
    );
    workerJoin = r.stdout.trim().split(/\s+/).slice(1);
    const list = await runSim('kubeadm', ['token', 'list'], m0.env);
    expectOk(list);
    expect(list.stdout.split('\n')[0]).toMatch(/^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/);
    expect(list.stdout).toContain('Proxy for managing TTL for the kubeadm-certs secret');
    expect(list.stdout).toMatch(new RegExp(`${workerJoin[3]?.replace('.', '\\.')}\\s+14m\\s`));
  });

  it('a control-plane join fails on a non-empty manifests dir unless DirAvailable is ignored', async () => {
    const up = await runSim('kubeadm', ['init', 'phase', 'upload-certs', '--upload-certs'], m0.env);
    const key = up.stdout.trim().split('\n').at(-1) as string;
    writeFile(
      m1.root,
      '/etc/kubernetes/manifests/keepalived.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: keepalived, namespace: kube-system}\nspec: {containers: [{name: keepalived, image: keepalived}]}\n',
    );
    const args = [
      ...workerJoin,
      '--control-plane',
      '--certificate-key',
      key,
      '--apiserver-advertise-address',
      '127.0.0.2',
      '--apiserver-bind-port',
      String(port),
      '--node-name',
      'master1',
    ];
    const refused = await runSim('kubeadm', args, m1.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR DirAvailable--etc-kubernetes-manifests]: /etc/kubernetes/manifests is not empty\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\nTo see the stack trace of this error execute with --v=5 or higher\n',
    );
    const joined = await runSim('kubeadm', [...args, '--ignore-preflight-errors=DirAvailable--etc-kubernetes-manifests'], m1.env);
    expectOk(joined);
    expect(joined.stderr).toContain('\t[WARNING DirAvailable--etc-kubernetes-manifests]: /etc/kubernetes/manifests is not empty\n');
    expect(joined.stdout).toContain('This node has joined the cluster and a new control plane instance was created:');
    expect(joined.stdout).toContain('* A new etcd member was added to the local/stacked etcd cluster.');
    expect(readFileSync(join(m1.root, 'etc/kubernetes/pki/ca.crt'), 'utf8')).toBe(ca);
    expect(readFileSync(join(m1.root, 'etc/kubernetes/pki/ca.key'), 'utf8')).toBe(readFileSync(join(m0.root, 'etc/kubernetes/pki/ca.key'), 'utf8'));
    expect(existsSync(join(m1.root, 'etc/kubernetes/manifests/etcd.yaml'))).toBe(true);
    expect(readFileSync(join(m1.root, 'etc/kubernetes/manifests/etcd.yaml'), 'utf8')).toContain('--initial-cluster-state=existing');
    const state = JSON.parse(readFileSync(join(cluster.state, 'cluster.json'), 'utf8'));
    expect(state.etcdMembers.map((m: { name: string }) => m.name)).toEqual(['master0', 'master1']);
    expect(await get('127.0.0.2', port, '/healthz', ca)).toEqual({ status: 200, body: 'ok' });
  });

  it('worker joins run in parallel and each gets a kubelet.conf', async () => {
    const slow = { KUBEADM_SIM_DELAY_JOIN_WORKER_MS: '700' };
    const [a, b] = await Promise.all([
      runSim('kubeadm', [...workerJoin, '--node-name', 'worker1'], { ...w1.env, ...slow }),
      runSim('kubeadm', [...workerJoin, '--node-name', 'worker2'], { ...w2.env, ...slow }),
    ]);
    for (const r of [a, b]) {
      expectOk(r as SimRun);
      expect(
        (r as SimRun).stdout.endsWith(
          "This node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n* The Kubelet was informed of the new secure connection details.\n\nRun 'kubectl get nodes' on the control-plane to see this node join the cluster.\n\n",
        ),
      ).toBe(true);
    }
    expect(readFileSync(join(w1.root, 'etc/kubernetes/kubelet.conf'), 'utf8')).toContain(`server: https://${endpoint}`);
    expect(existsSync(join(w2.root, 'var/lib/kubelet/config.yaml'))).toBe(true);
    const nodes = await runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes'], m0.env);
    expectOk(nodes);
    expect(
      nodes.stdout
        .split('\n')
        .slice(1, -1)
        .map((l) => l.split(/\s+/).slice(0, 3).join(' ')),
    ).toEqual(['master0 Ready control-plane', 'master1 Ready control-plane', 'worker1 Ready <none>', 'worker2 Ready <none>']);
    const again = await runSim('kubeadm', [...workerJoin, '--node-name', 'worker1', '--ignore-preflight-errors=all'], w1.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error execution phase kubelet-start: a Node with name "worker1" and status "Ready" already exists in the cluster.');
  });

  it('kubectl lists static pods per node and drains, cordons and deletes nodes', async () => {
    const env = m0.env;
    const pods = await runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'pods', '-n', 'kube-system', '-o', 'json'], env);
    expectOk(pods);
    const names: string[] = JSON.parse(pods.stdout).items.map((p: { metadata: { name: string } }) => p.metadata.name);
    for (const n of ['etcd-master0', 'etcd-master1', 'kube-apiserver-master1', 'haproxy-master0', 'keepalived-master0', 'keepalived-master1'])
      expect(names).toContain(n);
    const drainNoDs = await runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'drain', 'worker2', '--delete-emptydir-data'], env);
    expect(drainNoDs.code).toBe(1);
    expect(drainNoDs.stderr).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)');
    const drain = await runSim(
      'kubectl',
      ['--kubeconfig', '/etc/kubernetes/admin.conf', 'drain', 'worker2', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout', '60s'],
      env,
    );
    expectOk(drain);
    expect(drain.stdout).toBe('node/worker2 already cordoned\nnode/worker2 drained\n');
    const del = await runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'delete', 'node', 'worker2'], env);
    expectOk(del);
    expect(del.stdout).toBe('node "worker2" deleted\n');
    const missing = await runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'node', 'worker2'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): nodes "worker2" not found\n');
    const noKubeconfig = await runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes'], w1.env);
    expect(noKubeconfig.stderr).toBe('error: stat /etc/kubernetes/admin.conf: no such file or directory\n');
  });

  it('token delete invalidates the token; a wrong CA pin and a wrong endpoint are refused', async () => {
    const tokenId = (workerJoin[3] as string).split('.')[0] as string;
    const hashIdx = workerJoin.indexOf('--discovery-token-ca-cert-hash') + 1;
    const badPin = [...workerJoin];
    badPin[hashIdx] = 'sha256:' + '0'.repeat(64);
    const pinRefused = await runSim('kubeadm', [...badPin, '--node-name', 'worker3'], cluster.host('worker3').env);
    expect(pinRefused.code).toBe(1);
    expect(pinRefused.stderr).toContain(
      `error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${pin(ca)}" are pinned`,
    );
    const wrongEndpoint = [...workerJoin];
    wrongEndpoint[1] = '127.0.0.9:1';
    const epRefused = await runSim('kubeadm', [...wrongEndpoint, '--node-name', 'worker3'], cluster.host('worker3b').env);
    expect(epRefused.stderr).toContain(
      'couldn\'t validate the identity of the API Server: Get "https://127.0.0.9:1/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s"',
    );

    const del = await runSim('kubeadm', ['token', 'delete', tokenId], m0.env);
    expectOk(del);
    expect(del.stdout).toBe(`bootstrap token "${tokenId}" deleted\n`);
    const stale = await runSim('kubeadm', [...workerJoin, '--node-name', 'worker3'], cluster.host('worker3c').env);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      `couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "${tokenId}"`,
    );
  });

  it("a stopped kubelet (the stand-in's marker) makes its node NotReady, Ready=Unknown, until it starts again", async () => {
    const marker = join(m1.root, KUBELET_STOPPED_MARKER);
    const get = (args: string[]) => runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', 'master1', ...args], m0.env);
    expect((await get([])).stdout).toMatch(/master1\s+Ready\s+control-plane/);
    mkdirSync(dirname(marker), { recursive: true });
    writeFileSync(marker, '');
    try {
      expect((await get([])).stdout).toMatch(/master1\s+NotReady\s+control-plane/);
      const node = JSON.parse((await get(['-o', 'json'])).stdout) as { status: { conditions: { type: string; status: string; reason: string }[] } };
      expect(node.status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' });
    } finally {
      rmSync(marker, { force: true });
    }
    expect((await get([])).stdout).toMatch(/master1\s+Ready\s+control-plane/);
  });

  it('reset removes the etcd member, stops the apiserver and cleans like real kubeadm', async () => {
    const r = await runSim('kubeadm', ['reset', '-f'], m1.env);
    expectOk(r);
    expect(r.stdout).toContain('[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]\n');
    expect(r.stdout).toContain('The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d');
    expect(r.stdout).toContain('Please, check the contents of the $HOME/.kube/config file.');
    // Real kubeadm empties the whole manifests directory, LB manifests included.
    expect(readdirSync(join(m1.root, 'etc/kubernetes/manifests'))).toEqual([]);
    expect(existsSync(join(m1.root, 'etc/kubernetes/admin.conf'))).toBe(false);
    expect(existsSync(join(m1.root, 'var/lib/kubelet/config.yaml'))).toBe(false);
    const state = JSON.parse(readFileSync(join(cluster.state, 'cluster.json'), 'utf8'));
    expect(state.etcdMembers.map((m: { name: string }) => m.name)).toEqual(['master0']);
    await expect(get('127.0.0.2', port, '/healthz', ca)).rejects.toThrow(/ECONNREFUSED/);
    const nodes = await runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', 'master1'], m0.env);
    expect(nodes.stdout).toMatch(/master1\s+NotReady\s+control-plane/);
  });

  it('the invocation log records every call with its argv, host and exit code', () => {
    const lines = readFileSync(join(cluster.state, 'invocations.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(15);
    const init = lines[0];
    expect(init).toMatchObject({
      tool: 'kubeadm',
      host: 'master0',
      root: m0.root,
      argv: ['init', '--config', '/etc/kubeadm-ha/kubeadm.yaml', '--upload-certs'],
      exitCode: 0,
    });
    expect(init.ts_end).toBeGreaterThanOrEqual(init.ts_start);
    const workers = lines.filter((l) => l.tool === 'kubeadm' && l.argv[0] === 'join' && (l.host === 'worker1' || l.host === 'worker2') && l.exitCode === 0);
    expect(workers).toHaveLength(2);
    // the two worker joins ran concurrently
    expect(workers[0].ts_start).toBeLessThan(workers[1].ts_end);
    expect(workers[1].ts_start).toBeLessThan(workers[0].ts_end);
    expect(workers[0].argv).toContain(workerJoin[3]);
    expect(lines.find((l) => l.argv[0] === 'token' && l.argv[1] === 'create')?.host).toBe('master0');
    const refusedCp = lines.find((l) => l.host === 'master1' && l.exitCode === 1);
    expect(refusedCp.argv).toContain('--certificate-key');
  });
});

describe('kubeadm-certs expiry', () => {
  it('an expired certificate key fails the control-plane join until the certs are re-uploaded', async () => {
    const cluster = newCluster({ KUBEADM_SIM_CERT_KEY_TTL_MS: '300' });
    const m0 = cluster.host('master0');
    const m1 = cluster.host('master1');
    const port = await freePort('127.0.0.1');
    writeFile(m0.root, '/etc/kubeadm-ha/kubeadm.yaml', kubeadmYaml('master0', '127.0.0.1', port, `127.0.0.1:${port}`));
    const init = await runSim('kubeadm', ['init', '--config', '/etc/kubeadm-ha/kubeadm.yaml', '--upload-certs'], m0.env);
    expectOk(init);
    const key = /Using certificate key:\n([0-9a-f]{64})/.exec(init.stdout)?.[1] as string;
    const join1 = (await runSim('kubeadm', ['token', 'create', '--print-join-command'], m0.env)).stdout.trim().split(/\s+/).slice(1);
    await new Promise((r) => setTimeout(r, 400));
    const args = (k: string): string[] => [
      ...join1,
      '--control-plane',
      '--certificate-key',
      k,
      '--apiserver-advertise-address',
      '127.0.0.3',
      '--apiserver-bind-port',
      String(port),
      '--node-name',
      'master1',
    ];
    const expired = await runSim('kubeadm', args(key), m1.env);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toBe(
      'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one\nTo see the stack trace of this error execute with --v=5 or higher\n',
    );
    // Re-upload with a fresh key (minted by `certs certificate-key`) and a long enough TTL.
    const fresh = (await runSim('kubeadm', ['certs', 'certificate-key'], m0.env)).stdout.trim();
    expect(fresh).toMatch(/^[0-9a-f]{64}$/);
    const longEnv = { ...m0.env, KUBEADM_SIM_CERT_KEY_TTL_MS: '600000' };
    expectOk(await runSim('kubeadm', ['init', 'phase', 'upload-certs', '--upload-certs', '--certificate-key', fresh], longEnv));
    const wrongKey = await runSim('kubeadm', args(key), m1.env);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('error downloading certs: error decoding secret data with provided key: cipher: message authentication failed');
    const ok = await runSim('kubeadm', args(fresh), m1.env);
    expectOk(ok);
    expect(ok.stdout).toContain('[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace');

    // Network discovery fetches cluster-info from the endpoint and checks the JWS and the pin for real.
    // One attempt: these cases check the error texts, not kubeadm's retry loop.
    const net = { KUBEADM_SIM_DISCOVERY: 'network', KUBEADM_SIM_DISCOVERY_TIMEOUT_MS: '0' };
    const badSecret = [...join1];
    badSecret[3] = `${(join1[3] as string).split('.')[0]}.0000000000000000`;
    const jwsRefused = await runSim('kubeadm', [...badSecret, '--node-name', 'worker1'], { ...cluster.host('worker1').env, ...net });
    expect(jwsRefused.stderr).toContain(
      "couldn't validate the identity of the API Server: failed to verify JWS signature of received cluster info object, can't trust this API Server",
    );
    const closed = await freePort('127.0.0.1');
    const deadEndpoint = [...join1];
    deadEndpoint[1] = `127.0.0.1:${closed}`;
    const refused = await runSim('kubeadm', [...deadEndpoint, '--node-name', 'worker1'], { ...cluster.host('worker1b').env, ...net });
    expect(refused.stderr).toContain(
      `couldn't validate the identity of the API Server: Get "https://127.0.0.1:${closed}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    );
    // any live control-plane apiserver can serve discovery, as with the real one
    const viaMaster1 = [...join1];
    viaMaster1[1] = `127.0.0.3:${port}`;
    expectOk(await runSim('kubeadm', [...viaMaster1, '--node-name', 'worker1'], { ...cluster.host('worker1c').env, ...net }));
  });
});

describe('kubeadm-sim grammar and preflight failures', () => {
  const cluster = newCluster({ KUBEADM_SIM_APISERVER: 'off' });
  const h = cluster.host('m0');

  it('rejects unknown flags like kubeadm', async () => {
    const r = await runSim('kubeadm', ['join', '198.18.0.100:8443', '--tokn', 'x'], h.env);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'unknown flag: --tokn\nTo see the stack trace of this error execute with --v=5 or higher\n' });
    const k = await runSim('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '--bogus'], h.env);
    expect(k).toEqual({ code: 1, stdout: '', stderr: "error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n" });
  });

  it('rejects forbidden --config mixes for init, upload-certs, join and token create', async () => {
    writeFile(h.root, '/etc/kubeadm-ha/kubeadm.yaml', kubeadmYaml('m0', '127.0.0.1', 6443, '127.0.0.1:6443'));
    const key = 'ab'.repeat(32);
    const cases: [string[], string][] = [
      [['init', '--config', '/etc/kubeadm-ha/kubeadm.yaml', '--upload-certs', '--certificate-key', key], '[certificate-key]'],
      [['init', 'phase', 'upload-certs', '--upload-certs', '--config', '/etc/kubeadm-ha/kubeadm.yaml', '--certificate-key', key], '[certificate-key]'],
      [['join', '127.0.0.1:6443', '--config', '/etc/kubeadm-ha/join.yaml', '--token', 'abcdef.0123456789abcdef', '--control-plane'], '[control-plane token]'],
      [['token', 'create', '--config', '/etc/kubeadm-ha/kubeadm.yaml', '--ttl', '15m', '--print-join-command'], '[ttl]'],
    ];
    for (const [argv, flags] of cases) {
      const r = await runSim('kubeadm', argv, h.env);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stderr).toBe(`can not mix '--config' with arguments ${flags}\nTo see the stack trace of this error execute with --v=5 or higher\n`);
    }
  });

  it('fails init preflight only on the control-plane manifests, and validates node names', async () => {
    writeFile(h.root, '/etc/kubernetes/manifests/kube-apiserver.yaml', 'x');
    writeFile(h.root, '/etc/kubernetes/manifests/haproxy.yaml', 'x');
    const r = await runSim('kubeadm', ['init', '--config', '/etc/kubeadm-ha/kubeadm.yaml'], h.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '\t[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists\n',
    );
    expect(r.stderr).not.toContain('haproxy');
    const bad = await runSim('kubeadm', ['init', '--config', '/etc/kubeadm-ha/kubeadm.yaml', '--node-name', 'HCITos_cvm'], h.env);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('nodeRegistration.name: Invalid value: "HCITos_cvm": a lowercase RFC 1123 subdomain');
  });

  it('requires admin.conf for token create and prints versions', async () => {
    const r = await runSim('kubeadm', ['token', 'create', '--print-join-command'], cluster.host('w9').env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory');
    expect((await runSim('kubeadm', ['version', '-o', 'short'], { ...h.env, KUBEADM_SIM_VERSION: 'v1.30.8' })).stdout).toBe('v1.30.8\n');
  });
});
