import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { PROTO_SOURCES } from '../../proto/generated/descriptor.js';
import { adminServiceDefinition, agentServiceDefinition, packageDefinition, PROTO_LOADER_OPTIONS, TASK_KINDS, taskHasResult } from '../../proto/index.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? walk(join(dir, e)) : [join(dir, e)]));
}

describe('gRPC contracts', () => {
  it('proto/generated is exactly what scripts/gen-proto.sh produces from the .proto files', () => {
    const out = mkdtempSync(join(tmpdir(), 'gen-proto-'));
    try {
      execFileSync(join(root, 'scripts', 'gen-proto.sh'), [out], { cwd: root, stdio: 'pipe' });
      const committed = join(root, 'proto', 'generated');
      const files = walk(out)
        .map((f) => relative(out, f))
        .sort();
      expect(
        walk(committed)
          .map((f) => relative(committed, f))
          .sort(),
      ).toEqual(files);
      for (const f of files) expect([f, readFileSync(join(committed, f), 'utf8')]).toEqual([f, readFileSync(join(out, f), 'utf8')]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('the embedded descriptor loads the same services and messages as the .proto files on disk', () => {
    for (const [file, text] of Object.entries(PROTO_SOURCES)) expect(readFileSync(join(root, 'proto', file), 'utf8')).toBe(text);
    const fromDisk = protoLoader.loadSync(Object.keys(PROTO_SOURCES), { ...PROTO_LOADER_OPTIONS, includeDirs: [join(root, 'proto')] });
    expect(Object.keys(packageDefinition).sort()).toEqual(Object.keys(fromDisk).sort());
    const methods = (def: object) =>
      Object.values(def).map((m: { path: string; requestStream: boolean; responseStream: boolean }) => [m.path, m.requestStream, m.responseStream]);
    expect(methods(agentServiceDefinition)).toEqual(methods(fromDisk['kubeadm_ha.v1.AgentService'] as object));
    expect(methods(adminServiceDefinition)).toEqual(methods(fromDisk['kubeadm_ha.v1.AdminService'] as object));
    expect(methods(agentServiceDefinition)).toEqual([
      ['/kubeadm_ha.v1.AgentService/Register', false, false],
      ['/kubeadm_ha.v1.AgentService/Session', true, true],
    ]);
  });

  it('knows every task kind, and which of them return a result', () => {
    expect(TASK_KINDS).toEqual([
      'preflight',
      'writeFiles',
      'kubeadmInit',
      'uploadCerts',
      'createJoinToken',
      'deleteToken',
      'deleteCertsSecret',
      'kubeadmJoin',
      'waitApiserver',
      'kubectlDrainDelete',
      'kubeadmReset',
      'stopLoadBalancer',
      'startLoadBalancer',
      'removeVip',
      'setVipTrack',
      'verifyClean',
      'lbStatus',
      'handOverVip',
      'nodeStatus',
      'etcdStatus',
      'etcdSnapshot',
      'etcdRemoveMember',
      'etcdMoveLeader',
      'etcdStageSnapshot',
      'parkControlPlane',
      'etcdRestoreMember',
      'certsCheck',
      'certsRenew',
      'servedCertificate',
      'installPackages',
      'kubeadmUpgrade',
      'nodeVersions',
      'restartKubelet',
      'kubectlDrain',
      'kubectlUncordon',
    ]);
    expect(TASK_KINDS.filter(taskHasResult)).toEqual([
      'preflight',
      'writeFiles',
      'kubeadmInit',
      'createJoinToken',
      'waitApiserver',
      'verifyClean',
      'lbStatus',
      'handOverVip',
      'nodeStatus',
      'etcdStatus',
      'etcdSnapshot',
      'etcdRemoveMember',
      'etcdMoveLeader',
      'etcdStageSnapshot',
      'parkControlPlane',
      'etcdRestoreMember',
      'certsCheck',
      'certsRenew',
      'servedCertificate',
      'installPackages',
      'kubeadmUpgrade',
      'nodeVersions',
    ]);
  });
});
