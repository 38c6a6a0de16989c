import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { STATIC_POD_MANIFESTS_DIR, STOPPED_MANIFESTS_DIR } from '../../core/host/paths.js';
import { kubeadmEtcdManifest } from '../../test/support/etcd-manifest.js';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { etcdRestoreMember, etcdStageSnapshot, parkControlPlane, removeRestoreLeftovers, type StagingState } from './etcd-restore.js';

const SOCK = 'unix:///run/containerd/containerd.sock';
const WORK = '/var/lib/etcd.kubeadm-ha-restore';
const ID = 'restore-20261203t193000-abcd1234';
let host: ScriptedHostOps;
afterEach(() => host?.dispose());

/** A snapshot as etcd streams one: content, then the sha256 of the content. */
function snapshot(bytes: number): Buffer {
  const content = Buffer.alloc(bytes, 7);
  return Buffer.concat([content, createHash('sha256').update(content).digest()]);
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function controlPlaneHost(parked = false): Promise<ScriptedHostOps> {
  host = new ScriptedHostOps();
  await host.writeFile(
    `${parked ? STOPPED_MANIFESTS_DIR : STATIC_POD_MANIFESTS_DIR}/etcd.yaml`,
    kubeadmEtcdManifest({ name: 'master-1', address: '198.18.0.12' }),
    0o600,
  );
  return host;
}

async function stage(data: Buffer, chunk: number, staging: StagingState = {}) {
  let last;
  for (let offset = 0; offset < data.length; offset += chunk) {
    const part = data.subarray(offset, offset + chunk);
    const end = offset + part.length === data.length;
    last = await etcdStageSnapshot(
      host,
      { restoreId: ID, offset, data: part, totalSize: data.length, sha256: end ? sha(data) : '', last: end },
      staging,
      () => undefined,
    );
  }
  return last!;
}

describe('etcdStageSnapshot', () => {
  it('writes the chunks beside the data dir, checks the whole, and keeps it 0600 in a 0700 directory', async () => {
    await controlPlaneHost();
    const data = snapshot(3000);
    expect(await stage(data, 1024)).toEqual({ received: data.length, staged: true, alreadyRestored: false });
    expect(readFileSync(join(host.root, WORK, 'snapshot.db')).equals(data)).toBe(true);
    expect(await host.mode(`${WORK}/snapshot.db`)).toBe(0o600);
    expect(await host.mode(WORK)).toBe(0o700);
    expect(await host.exists(`${WORK}/snapshot.db.partial`)).toBe(false);
  });

  it('refuses a chunk out of order, and a whole that fails its sha256 or trailer (nothing is kept)', async () => {
    await controlPlaneHost();
    const data = snapshot(3000);
    const staging: StagingState = {};
    await etcdStageSnapshot(
      host,
      { restoreId: ID, offset: 0, data: data.subarray(0, 1000), totalSize: data.length, sha256: '', last: false },
      staging,
      () => undefined,
    );
    await expect(
      etcdStageSnapshot(
        host,
        { restoreId: ID, offset: 2000, data: data.subarray(2000), totalSize: data.length, sha256: sha(data), last: true },
        staging,
        () => undefined,
      ),
    ).rejects.toThrow('the staged snapshot is at 1000 bytes, not 2000: send it again from offset 0');

    const corrupt = Buffer.from(data);
    corrupt[10] = 0;
    await expect(stage(corrupt, 1024)).rejects.toThrow("etcd's sha256 trailer does not match the content");
    expect(await host.exists(`${WORK}/snapshot.db`)).toBe(false);
    expect(await host.exists(`${WORK}/snapshot.db.partial`)).toBe(false);

    await expect(
      etcdStageSnapshot(host, { restoreId: ID, offset: 0, data, totalSize: data.length, sha256: 'f'.repeat(64), last: true }, {}, () => undefined),
    ).rejects.toThrow(/sha256 [0-9a-f]{64} differs from the coordinator's f{64}/);
  });

  it('answers already restored, and writes nothing, on a host whose member this restore already rebuilt', async () => {
    await controlPlaneHost(true);
    await host.writeFile(`${WORK}/restored`, `${ID}\n`, 0o600);
    expect(await stage(snapshot(100), 1024)).toEqual({ received: 0, staged: false, alreadyRestored: true });
    expect(await host.exists(`${WORK}/snapshot.db.partial`)).toBe(false);
  });

  it('checks before any downtime that the member is the one the restore rebuilds and that its data dir can be swapped', async () => {
    await controlPlaneHost();
    const data = snapshot(100);
    const first = (extra: { name?: string; peerUrl?: string }) =>
      etcdStageSnapshot(host, { restoreId: ID, offset: 0, data, totalSize: data.length, sha256: sha(data), last: true, ...extra }, {}, () => undefined);
    await expect(first({ name: 'master-0', peerUrl: 'https://198.18.0.11:2380' })).rejects.toThrow(
      "this node's etcd.yaml names its member master-1 at https://198.18.0.12:2380, not master-0 at https://198.18.0.11:2380",
    );
    mkdirSync(join(host.root, 'srv/etcd-real'), { recursive: true });
    mkdirSync(join(host.root, 'var/lib'), { recursive: true });
    symlinkSync(join(host.root, 'srv/etcd-real'), join(host.root, 'var/lib/etcd'));
    await expect(first({ name: 'master-1', peerUrl: 'https://198.18.0.12:2380' })).rejects.toThrow('is a symbolic link');
    expect(await host.exists(`${WORK}/snapshot.db`)).toBe(false);
  });

  it('refuses a host that is not a stacked control-plane node', async () => {
    host = new ScriptedHostOps();
    await expect(stage(snapshot(100), 1024)).rejects.toThrow('no etcd.yaml in /etc/kubernetes/manifests or /etc/kubeadm-ha/stopped-manifests');
  });
});

describe('parkControlPlane', () => {
  it('moves the manifests aside and waits for their containers, then puts them back; twice is harmless', async () => {
    await controlPlaneHost();
    for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'])
      await host.writeFile(`${STATIC_POD_MANIFESTS_DIR}/${c}.yaml`, `# ${c}\n`, 0o600);
    const answers = ['a'.repeat(64), ''];
    host.on(/^crictl /, () => ({ stdout: answers.shift() ?? '' }));
    const park = await parkControlPlane(host, { park: true, components: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] }, () => undefined, {
      criSocket: SOCK,
      timeoutMs: 5_000,
    });
    expect(park.actions).toEqual([
      'kube-apiserver.yaml parked in /etc/kubeadm-ha/stopped-manifests; kubelet stops the pod',
      'kube-controller-manager.yaml parked in /etc/kubeadm-ha/stopped-manifests; kubelet stops the pod',
      'kube-scheduler.yaml parked in /etc/kubeadm-ha/stopped-manifests; kubelet stops the pod',
    ]);
    expect(host.calls.filter((c) => c.startsWith('crictl'))).toEqual([
      `crictl --runtime-endpoint ${SOCK} ps --quiet --state running --name ^(kube-apiserver|kube-controller-manager|kube-scheduler)$ --label io.kubernetes.pod.namespace=kube-system`,
      `crictl --runtime-endpoint ${SOCK} ps --quiet --state running --name ^(kube-apiserver|kube-controller-manager|kube-scheduler)$ --label io.kubernetes.pod.namespace=kube-system`,
    ]);
    expect(await host.exists(`${STATIC_POD_MANIFESTS_DIR}/kube-apiserver.yaml`)).toBe(false);
    expect(await host.exists(`${STATIC_POD_MANIFESTS_DIR}/etcd.yaml`)).toBe(true);
    expect((await parkControlPlane(host, { park: true, components: ['kube-apiserver'] }, () => undefined)).actions).toEqual([
      'kube-apiserver.yaml already parked',
    ]);
    const back = await parkControlPlane(host, { park: false, components: ['kube-apiserver', 'kube-scheduler'] }, () => undefined);
    expect(back.actions).toEqual([
      'kube-apiserver.yaml back in /etc/kubernetes/manifests; kubelet starts the pod',
      'kube-scheduler.yaml back in /etc/kubernetes/manifests; kubelet starts the pod',
    ]);
    expect(await host.readFile(`${STATIC_POD_MANIFESTS_DIR}/kube-apiserver.yaml`)).toBe('# kube-apiserver\n');
    expect(await host.mode(`${STATIC_POD_MANIFESTS_DIR}/kube-apiserver.yaml`)).toBe(0o600);
  });

  it('refuses anything but kubeadm control-plane components, and a node without them', async () => {
    host = new ScriptedHostOps();
    await expect(parkControlPlane(host, { park: true, components: ['keepalived'] }, () => undefined)).rejects.toThrow(
      'is not a kubeadm control-plane component',
    );
    await expect(parkControlPlane(host, { park: true, components: ['../../etc/passwd'] }, () => undefined)).rejects.toThrow(
      'is not a kubeadm control-plane component',
    );
    await expect(parkControlPlane(host, { park: true, components: ['etcd'] }, () => undefined)).rejects.toThrow('not a kubeadm control-plane node');
  });
});

const input = {
  restoreId: ID,
  name: 'master-1',
  peerUrl: 'https://198.18.0.12:2380',
  initialCluster: [
    { name: 'master-0', peerUrl: 'https://198.18.0.11:2380' },
    { name: 'master-1', peerUrl: 'https://198.18.0.12:2380' },
  ],
};

/** A runtime whose restore container, once its manifest is there, writes the restored member and exits `code`. */
function scriptRuntime(code: number): { manifests: string[] } {
  const seen: { manifests: string[] } = { manifests: [] };
  const container = 'c'.repeat(64);
  host.on(/ ps --all --quiet --name /, (line) => {
    const manifest = join(host.root, STATIC_POD_MANIFESTS_DIR, 'kubeadm-ha-etcd-restore.yaml');
    const text = readFileSync(manifest, 'utf8');
    seen.manifests.push(text);
    const name = parse(text).spec.containers[0].name as string;
    if (!line.includes(`^${name}$`)) return { stdout: '' };
    if (code === 0) {
      mkdirSync(join(host.root, WORK, 'data/member/snap'), { recursive: true });
      writeFileSync(join(host.root, WORK, 'data/member/snap/db'), 'restored');
    }
    return { stdout: `${container}\n` };
  });
  host.on(/ inspect --output json /, () => ({ stdout: JSON.stringify({ status: { state: 'CONTAINER_EXITED', exitCode: code } }) }));
  host.on(/ logs --tail 15 /, () => ({ stdout: '', stderr: 'Error: snapshot file has wrong hash\n' }));
  return seen;
}

describe('etcdRestoreMember', () => {
  it('runs the restore pod once, keeps the old data beside the new, and marks the restore done', async () => {
    await controlPlaneHost(true);
    await host.writeFile('/var/lib/etcd/member/snap/db', 'before', 0o600);
    await host.writeFile(`${WORK}/snapshot.db`, 'staged', 0o600);
    const seen = scriptRuntime(0);
    const r = await etcdRestoreMember(
      host,
      input,
      { criSocket: SOCK, timeoutMs: 5_000 },
      () => undefined,
      () => new Date('2026-12-03T19:30:00Z'),
    );
    expect(r).toMatchObject({
      alreadyRestored: false,
      dataDir: '/var/lib/etcd',
      previousDataDir: '/var/lib/etcd.before-restore-20261203T193000Z',
      revisionBumped: true,
    });
    expect(await host.readFile('/var/lib/etcd/member/snap/db')).toBe('restored');
    expect(await host.readFile('/var/lib/etcd.before-restore-20261203T193000Z/member/snap/db')).toBe('before');
    expect(await host.mode('/var/lib/etcd')).toBe(0o700);
    expect(await host.readFile(`${WORK}/restored`)).toBe(`${ID}\n`);
    expect(await host.exists(`${WORK}/snapshot.db`)).toBe(false);
    expect(await host.exists(`${STATIC_POD_MANIFESTS_DIR}/kubeadm-ha-etcd-restore.yaml`)).toBe(false);
    const pod = parse(seen.manifests[0]!);
    expect(pod.spec.containers[0].command).toContain('--initial-cluster-token=restore-20261203t193000-abcd1234');
    expect(pod.spec.containers[0].command).toContain('--name=master-1');

    // Again under the same token: nothing runs.
    const calls = host.calls.length;
    expect((await etcdRestoreMember(host, input, { criSocket: SOCK }, () => undefined)).alreadyRestored).toBe(true);
    expect(host.calls.length).toBe(calls);
  });

  it('asks again when a container it listed is gone before it could be inspected', async () => {
    await controlPlaneHost(true);
    await host.writeFile(`${WORK}/snapshot.db`, 'staged', 0o600);
    scriptRuntime(0);
    let inspections = 0;
    host.on(/ inspect --output json /, () =>
      ++inspections === 1
        ? { exitCode: 1, stderr: 'crictl: rpc error: code = NotFound desc = an error occurred when try to find container: not found\n' }
        : { stdout: JSON.stringify({ status: { state: 'CONTAINER_EXITED', exitCode: 0 } }) },
    );
    const r = await etcdRestoreMember(host, input, { criSocket: SOCK, timeoutMs: 5_000 }, () => undefined);
    expect(r.alreadyRestored).toBe(false);
    expect(inspections).toBe(2);
    expect(await host.readFile('/var/lib/etcd/member/snap/db')).toBe('restored');
  });

  it("fails with the tool's own words when it exits non-zero, and leaves the data dir alone", async () => {
    await controlPlaneHost(true);
    await host.writeFile('/var/lib/etcd/member/snap/db', 'before', 0o600);
    await host.writeFile(`${WORK}/snapshot.db`, 'staged', 0o600);
    scriptRuntime(1);
    await expect(etcdRestoreMember(host, input, { criSocket: SOCK, timeoutMs: 5_000 }, () => undefined)).rejects.toThrow(
      'the etcd restore exited 1:\nError: snapshot file has wrong hash',
    );
    expect(await host.readFile('/var/lib/etcd/member/snap/db')).toBe('before');
    expect(await host.exists(`${STATIC_POD_MANIFESTS_DIR}/kubeadm-ha-etcd-restore.yaml`)).toBe(false);
    expect(await host.exists(`${WORK}/restored`)).toBe(false);
  });

  it('refuses while etcd runs, for another member identity, and without a staged snapshot', async () => {
    await controlPlaneHost(false);
    await expect(etcdRestoreMember(host, input, { criSocket: SOCK }, () => undefined)).rejects.toThrow('etcd still runs on this node');
    host.dispose();
    await controlPlaneHost(true);
    await expect(
      etcdRestoreMember(host, { ...input, name: 'master-0', peerUrl: 'https://198.18.0.11:2380' }, { criSocket: SOCK }, () => undefined),
    ).rejects.toThrow("this node's etcd.yaml names its member master-1 at https://198.18.0.12:2380, not master-0 at https://198.18.0.11:2380");
    await expect(etcdRestoreMember(host, input, { criSocket: SOCK }, () => undefined)).rejects.toThrow(
      'no staged snapshot in /var/lib/etcd.kubeadm-ha-restore',
    );
    expect(host.calls).toEqual([]);
  });
});

describe('removeRestoreLeftovers', () => {
  it("removes a restore's kept data and work directory beside /var/lib/etcd, and nothing else", async () => {
    host = new ScriptedHostOps();
    for (const f of [
      '/var/lib/etcd.before-restore-20261203T193000Z/member/snap/db',
      '/var/lib/etcd.kubeadm-ha-restore/restored',
      '/var/lib/etcd.backup/member/snap/db',
      '/var/lib/etcd-before-restore-20261203T193000Z/x',
      '/var/lib/kubelet/config.yaml',
    ])
      await host.writeFile(f, 'x', 0o600);
    const lines: string[] = [];
    expect(await removeRestoreLeftovers(host, (l) => lines.push(l))).toEqual([
      '/var/lib/etcd.before-restore-20261203T193000Z',
      '/var/lib/etcd.kubeadm-ha-restore',
    ]);
    expect(await host.listDir('/var/lib')).toEqual(['etcd-before-restore-20261203T193000Z', 'etcd.backup', 'kubelet']);
    expect(lines).toHaveLength(2);
  });
});
