import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kubeadmEtcdManifest } from '../../test/support/etcd-manifest.js';
import {
  checkDataDir,
  checkRestoreMemberInput,
  describeLoss,
  etcdImageVersion,
  etcdManifestFacts,
  newRestoreId,
  previousDataDir,
  renderRestorePod,
  restoreCommand,
  restoreWorkDir,
  RESTORE_MOUNT_PATH,
} from './restore.js';

const three = [
  { name: 'master-0', peerUrl: 'https://198.18.0.11:2380' },
  { name: 'master-1', peerUrl: 'https://198.18.0.12:2380' },
  { name: 'master-2', peerUrl: 'https://198.18.0.13:2380' },
];
const input = { restoreId: 'restore-20261203t193000-abcd1234', name: 'master-1', peerUrl: 'https://198.18.0.12:2380', initialCluster: three };

describe('etcdManifestFacts', () => {
  it("reads image, data dir, member name and peer URL from kubeadm's etcd.yaml", () => {
    expect(etcdManifestFacts(kubeadmEtcdManifest(), 'etcd.yaml')).toEqual({
      image: 'registry.k8s.io/etcd:3.5.15-0',
      dataDir: '/var/lib/etcd',
      name: 'master-0',
      peerUrl: 'https://198.18.0.11:2380',
    });
  });

  it('refuses a manifest without an etcd container, without its flags, or with a data dir a restore must not replace', () => {
    expect(() => etcdManifestFacts('apiVersion: v1\nkind: Pod\nspec: {containers: [{name: x}]}\n', 'f.yaml')).toThrow('f.yaml has no container named etcd');
    expect(() => etcdManifestFacts('spec: {containers: [{name: etcd, image: "registry.k8s.io/etcd:3.5.15-0", command: [etcd]}]}', 'f.yaml')).toThrow(
      "f.yaml does not give etcd's --data-dir, --name, --initial-advertise-peer-urls",
    );
    expect(() => etcdManifestFacts(kubeadmEtcdManifest({ dataDir: '/var/lib' }), 'f.yaml')).toThrow('is not a directory a restore may replace');
    for (const bad of ['/', 'var/lib/etcd', '/var/lib/../etc', '/etc', '/var/lib/etcd/', '/var/lib/et cd']) expect(() => checkDataDir(bad, 's')).toThrow();
    expect(checkDataDir('/data/etcd', 's')).toBe('/data/etcd');
  });
});

describe('restoreCommand', () => {
  it('uses etcdutl with the revision bump from 3.5.10, etcdutl without it before, etcdctl (API 3) on 3.4', () => {
    const latest = restoreCommand('registry.k8s.io/etcd:3.5.15-0', input);
    expect(latest.command).toEqual([
      'etcdutl',
      'snapshot',
      'restore',
      `${RESTORE_MOUNT_PATH}/snapshot.db`,
      `--data-dir=${RESTORE_MOUNT_PATH}/data`,
      '--name=master-1',
      '--initial-cluster=master-0=https://198.18.0.11:2380,master-1=https://198.18.0.12:2380,master-2=https://198.18.0.13:2380',
      '--initial-cluster-token=restore-20261203t193000-abcd1234',
      '--initial-advertise-peer-urls=https://198.18.0.12:2380',
      '--bump-revision=1000000000',
      '--mark-compacted',
    ]);
    expect(latest.bumped).toBe(true);
    const before = restoreCommand('registry.k8s.io/etcd:3.5.9-0', input);
    expect(before.command[0]).toBe('etcdutl');
    expect(before.bumped).toBe(false);
    expect(before.command).not.toContain('--mark-compacted');
    const old = restoreCommand('registry.k8s.io/etcd:3.4.13-0', input);
    expect(old.command[0]).toBe('etcdctl');
    expect(old.env).toEqual({ ETCDCTL_API: '3' });
    expect(() => restoreCommand('registry.k8s.io/etcd:3.3.10', input)).toThrow('older than 3.4');
    expect(() => restoreCommand('registry.k8s.io/etcd:latest', input)).toThrow('its tag is not X.Y.Z');
    expect(etcdImageVersion('registry.k8s.io/etcd:v3.5.16@sha256:' + 'a'.repeat(64))).toEqual({ major: 3, minor: 5, patch: 16 });
  });
});

describe('checkRestoreMemberInput', () => {
  it('refuses a member that is not in the list, duplicates, bad peer URLs, bad names and bad tokens', () => {
    expect(checkRestoreMemberInput(input)).toBe(input);
    expect(() => checkRestoreMemberInput({ ...input, name: 'master-9' })).toThrow('is not in the restored member list');
    expect(() => checkRestoreMemberInput({ ...input, initialCluster: [...three, three[0]!] })).toThrow('listed twice');
    expect(() => checkRestoreMemberInput({ ...input, initialCluster: [...three, { name: 'x', peerUrl: 'http://198.18.0.9:2380' }] })).toThrow(
      'is not https://ADDRESS:PORT',
    );
    expect(() => checkRestoreMemberInput({ ...input, initialCluster: [...three, { name: 'X Y', peerUrl: 'https://198.18.0.9:2380' }] })).toThrow(
      'etcd member name',
    );
    expect(() => checkRestoreMemberInput({ ...input, restoreId: 'a,b=c' })).toThrow('restore id');
    expect(() => checkRestoreMemberInput({ ...input, initialCluster: [] })).toThrow('1 to 15 members');
  });
});

describe('renderRestorePod', () => {
  it('is a one-shot, host-network pod of the same image with the work directory as its only volume', () => {
    const pod = parse(renderRestorePod({ image: 'registry.k8s.io/etcd:3.5.15-0', dataDir: '/var/lib/etcd' }, input, 'a1b2c3d4'));
    expect(pod.kind).toBe('Pod');
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.volumes).toEqual([{ name: 'etcd-restore', hostPath: { path: '/var/lib/etcd.kubeadm-ha-restore', type: 'Directory' } }]);
    const [c] = pod.spec.containers;
    expect(c.name).toBe('etcd-restore-a1b2c3d4');
    expect(c.image).toBe('registry.k8s.io/etcd:3.5.15-0');
    expect(c.command).toEqual(restoreCommand('registry.k8s.io/etcd:3.5.15-0', input).command);
    expect(c.volumeMounts).toEqual([{ name: 'etcd-restore', mountPath: RESTORE_MOUNT_PATH }]);
    expect(() => renderRestorePod({ image: 'registry.k8s.io/etcd:3.5.15-0', dataDir: '/var/lib/etcd' }, input, '../x')).toThrow('restore attempt');
  });
});

describe('paths and words', () => {
  it('names the work directory beside the data dir, and the kept data by time', () => {
    expect(restoreWorkDir('/var/lib/etcd')).toBe('/var/lib/etcd.kubeadm-ha-restore');
    expect(previousDataDir('/var/lib/etcd', new Date('2026-12-03T19:30:00.123Z'))).toBe('/var/lib/etcd.before-restore-20261203T193000Z');
    expect(newRestoreId('ABCDEF0123', new Date('2026-12-03T19:30:00.123Z'))).toBe('restore-20261203t193000-abcdef01');
  });

  it('says how many revisions of writes a restore loses, or that it cannot tell', () => {
    const snap = { path: '/s/prod-20261203T163000.123Z-rev100.db', size: 1, revision: 100, takenAt: new Date('2026-12-03T16:30:00.123Z') };
    expect(describeLoss(snap, 250)).toContain('etcd is at revision 250 and the snapshot at 100: 150 revisions of writes are lost');
    expect(describeLoss(snap, 250)).toContain('since 2026-12-03T16:30:00.123Z');
    expect(describeLoss(snap, 100)).toContain("etcd is at the snapshot's revision 100: no write is lost");
    expect(describeLoss(snap, 42)).toContain("etcd is at revision 42, below the snapshot's 100: the snapshot is not from this cluster's history");
    expect(describeLoss({ path: '/x.db', size: 1 }, undefined)).toContain('etcd cannot say its current revision');
    expect(describeLoss({ path: '/x.db', size: 1 }, 7)).toContain("the snapshot's revision is not in its name");
  });
});
