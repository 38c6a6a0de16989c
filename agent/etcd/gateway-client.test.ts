/**
 * The agent's etcd client and tasks against a real etcd (Debian's /usr/bin/etcd): one member on 127.0.0.1 with free
 * ports, TLS with certificates made here the way kubeadm makes them (an etcd CA, a server certificate for the
 * address, healthcheck-client and apiserver-etcd-client), and --client-cert-auth. The certificates sit under a
 * temporary host root, where the tasks read them through HostOps as on a real host.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotTrailerOk } from '../../core/etcd/snapshot.js';
import { silentLogger } from '../../lib/log.js';
import { createCA, signLeaf, type CertAndKey } from '../../test/kubeadm-sim/pki.js';
import { freePort } from '../../test/kubeadm-sim/testing.js';
import { LocalHostOps } from '../hostops.js';
import { etcdCredentials, etcdRemoveMember, etcdSnapshot, etcdStatus } from '../tasks/etcd.js';
import { EtcdGatewayClient } from './gateway-client.js';

const ETCD = '/usr/bin/etcd';
const ADDRESS = '127.0.0.1';
const skip = existsSync(ETCD) ? false : `${ETCD} is missing (sudo npm run setup installs etcd-server)`;

describe.skipIf(skip !== false)(`agent etcd client against a real etcd${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-etcd-'));
  const root = join(dir, 'root');
  const host = new LocalHostOps(root, silentLogger);
  let etcd: ChildProcess | undefined;
  let port = 0;
  let peerPort = 0;
  let ca: CertAndKey;
  let apiserverClient: CertAndKey;
  let log = '';

  const write = (path: string, content: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content, { mode: 0o600 });
  };

  /** One raw gateway call with the apiserver client certificate, for what the product never does (put, member add). */
  const raw = (path: string, body: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(
        { host: ADDRESS, port, path, method: 'POST', ca: ca.certPem, cert: apiserverClient.certPem, key: apiserverClient.keyPem, agent: false },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${path}: HTTP ${res.statusCode}: ${text}`))));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  beforeAll(async () => {
    const now = Date.now();
    ca = await createCA('etcd-ca', 'ECDSA-P256', now);
    const server = await signLeaf(ca, { commonName: 'master-0', dnsNames: ['localhost'], ips: [ADDRESS], usages: ['server', 'client'] }, 'ECDSA-P256', now);
    const healthcheck = await signLeaf(ca, { commonName: 'kube-etcd-healthcheck-client', usages: ['client'] }, 'ECDSA-P256', now);
    apiserverClient = await signLeaf(ca, { commonName: 'kube-apiserver-etcd-client', usages: ['client'] }, 'ECDSA-P256', now);
    write('/etc/kubernetes/pki/etcd/ca.crt', ca.certPem);
    write('/etc/kubernetes/pki/etcd/server.crt', server.certPem);
    write('/etc/kubernetes/pki/etcd/server.key', server.keyPem);
    write('/etc/kubernetes/pki/etcd/healthcheck-client.crt', healthcheck.certPem);
    write('/etc/kubernetes/pki/etcd/healthcheck-client.key', healthcheck.keyPem);
    write('/etc/kubernetes/pki/apiserver-etcd-client.crt', apiserverClient.certPem);
    write('/etc/kubernetes/pki/apiserver-etcd-client.key', apiserverClient.keyPem);
    port = await freePort(ADDRESS);
    peerPort = await freePort(ADDRESS);
    const pki = join(root, 'etc/kubernetes/pki/etcd');
    const peer = `https://${ADDRESS}:${peerPort}`;
    etcd = spawn(
      ETCD,
      [
        '--name=master-0',
        `--data-dir=${join(dir, 'data')}`,
        `--listen-client-urls=https://${ADDRESS}:${port}`,
        `--advertise-client-urls=https://${ADDRESS}:${port}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=master-0=${peer}`,
        '--initial-cluster-state=new',
        `--cert-file=${pki}/server.crt`,
        `--key-file=${pki}/server.key`,
        `--trusted-ca-file=${pki}/ca.crt`,
        '--client-cert-auth=true',
        `--peer-cert-file=${pki}/server.crt`,
        `--peer-key-file=${pki}/server.key`,
        `--peer-trusted-ca-file=${pki}/ca.crt`,
        '--peer-client-cert-auth=true',
        '--listen-metrics-urls=',
        '--heartbeat-interval=50',
        '--election-timeout=500',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    etcd.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await etcdStatus(host, ADDRESS, { port });
      if (r.endpoint && r.endpoint.leaderId !== '0') break;
      if (Date.now() > deadline) throw new Error(`etcd did not come up: ${r.endpointError}\n${log}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    await raw('/v3/kv/put', { key: Buffer.from('/registry/test').toString('base64'), value: Buffer.from('hello').toString('base64') });
  }, 30_000);

  afterAll(async () => {
    if (etcd && etcd.exitCode === null) {
      const exited = new Promise((r) => etcd!.once('exit', r));
      etcd.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('status: the member list, this member as its own leader, no alarms', async () => {
    const r = await etcdStatus(host, ADDRESS, { port });
    expect(r.membersError).toBe('');
    expect(r.endpointError).toBe('');
    expect(r.alarmsError).toBe('');
    const members = r.members ?? [];
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({
      name: 'master-0',
      peerUrls: [`https://${ADDRESS}:${peerPort}`],
      clientUrls: [`https://${ADDRESS}:${port}`],
      isLearner: false,
    });
    expect(r.endpoint!.memberId).toBe(members[0]!.id);
    expect(r.endpoint!.leaderId).toBe(members[0]!.id);
    expect(r.endpoint!.version).toMatch(/^3\./);
    expect(r.endpoint!.dbSize).toBeGreaterThan(0);
    expect(r.endpoint!.revision).toBeGreaterThan(1);
    expect(r.alarms).toEqual([]);
  });

  it('status of a node whose etcd is down is an answer with the error, not a failed task', async () => {
    const closed = await freePort(ADDRESS);
    const r = await etcdStatus(host, ADDRESS, { port: closed, timeoutMs: 2_000 });
    expect(r.members).toEqual([]);
    expect(r.endpointError).toMatch(new RegExp(`https://127\\.0\\.0\\.1:${closed}/v3/maintenance/status: ECONNREFUSED`));
    expect(r.membersError).toMatch(/ECONNREFUSED/);
    await expect(etcdStatus(host, 'not-an-ip', { port })).rejects.toThrow(/is not an IP address/);
  });

  it('refuses a client without a certificate the etcd CA signed (the server checks ours, we check its)', async () => {
    const other = await createCA('other-ca', 'ECDSA-P256', Date.now());
    const stranger = await signLeaf(other, { commonName: 'x', usages: ['client'] }, 'ECDSA-P256', Date.now());
    const creds = await etcdCredentials(host, 'healthcheck');
    await expect(
      new EtcdGatewayClient(ADDRESS, port, { ...creds, cert: stranger.certPem, key: stranger.keyPem }, { timeoutMs: 2_000 }).status(),
    ).rejects.toThrow();
    await expect(new EtcdGatewayClient(ADDRESS, port, { ...creds, ca: other.certPem }, { timeoutMs: 2_000 }).status()).rejects.toThrow(/certificate/i);
  });

  it('snapshot: streamed in bounded chunks, ends with etcd sha256 trailer, hashed, at the revision before it', async () => {
    const chunks: Buffer[] = [];
    const progress: string[] = [];
    const r = await etcdSnapshot(
      host,
      ADDRESS,
      async (c) => void chunks.push(c),
      (l) => void progress.push(l),
      { port },
    );
    const bytes = Buffer.concat(chunks);
    expect(r.size).toBe(bytes.length);
    expect(chunks.every((c) => c.length <= 1024 * 1024)).toBe(true);
    expect(snapshotTrailerOk(bytes)).toBe(true);
    const { createHash } = await import('node:crypto');
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(Number(r.revision)).toBeGreaterThan(1);
    expect(r.memberName).toBe('master-0');
    expect(progress[0]).toMatch(/^snapshot of etcd member master-0 at revision \d+/);
  });

  it('member remove: only the named member with that peer URL, never this node itself; a member already gone is no error', async () => {
    const added = (await raw('/v3/cluster/member/add', { peerURLs: ['https://127.0.0.2:2380'], isLearner: true })) as { member: { ID: string } };
    const id = BigInt(added.member.ID).toString(16);
    const progress: string[] = [];
    await expect(etcdRemoveMember(host, { address: ADDRESS, memberId: id, peerUrl: 'https://127.0.0.3:2380' }, () => undefined, { port })).rejects.toThrow(
      /has peer URL https:\/\/127\.0\.0\.2:2380, not https:\/\/127\.0\.0\.3:2380: refusing/,
    );
    const removed = await etcdRemoveMember(host, { address: ADDRESS, memberId: id, peerUrl: 'https://127.0.0.2:2380' }, (l) => void progress.push(l), { port });
    expect(removed).toEqual({ removed: true, detail: `removed etcd member (never started) ${id} (https://127.0.0.2:2380)` });
    expect((await etcdStatus(host, ADDRESS, { port })).members).toHaveLength(1);
    expect(await etcdRemoveMember(host, { address: ADDRESS, memberId: id, peerUrl: 'https://127.0.0.2:2380' }, () => undefined, { port })).toEqual({
      removed: false,
      detail: `no etcd member ${id} (already gone)`,
    });
    const self = String((await etcdStatus(host, ADDRESS, { port })).endpoint!.memberId);
    await expect(
      etcdRemoveMember(host, { address: ADDRESS, memberId: self, peerUrl: `https://${ADDRESS}:${peerPort}` }, () => undefined, { port }),
    ).rejects.toThrow(/is this node's own member: refusing to remove it from here/);
    await expect(etcdRemoveMember(host, { address: ADDRESS, memberId: 'zz', peerUrl: 'https://127.0.0.2:2380' }, () => undefined, { port })).rejects.toThrow(
      /not a hexadecimal member id/,
    );
  });
});
