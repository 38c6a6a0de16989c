import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { AuthError, CommandError, KubeadmHaError, PreconditionError, SpecError, TimeoutError } from '../../core/errors.js';
import { PROTO_SOURCES } from '../../proto/generated/descriptor.js';
import { completeDetail, errorFromDetail, errorToDetail, redactSecretShapes } from '../../proto/error-detail.js';
import { adminServiceDefinition, agentServiceDefinition, packageDefinition, PROTO_LOADER_OPTIONS, TASK_KINDS, taskHasResult } from '../../proto/index.js';
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, statusCodeFor, toStatusError } from './status.js';

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
      const files = walk(out).map((f) => relative(out, f)).sort();
      expect(walk(committed).map((f) => relative(committed, f)).sort()).toEqual(files);
      for (const f of files) expect([f, readFileSync(join(committed, f), 'utf8')]).toEqual([f, readFileSync(join(out, f), 'utf8')]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('the embedded descriptor loads the same services and messages as the .proto files on disk', () => {
    for (const [file, text] of Object.entries(PROTO_SOURCES)) expect(readFileSync(join(root, 'proto', file), 'utf8')).toBe(text);
    const fromDisk = protoLoader.loadSync(Object.keys(PROTO_SOURCES), { ...PROTO_LOADER_OPTIONS, includeDirs: [join(root, 'proto')] });
    expect(Object.keys(packageDefinition).sort()).toEqual(Object.keys(fromDisk).sort());
    const methods = (def: object) => Object.values(def).map((m: { path: string; requestStream: boolean; responseStream: boolean }) => [m.path, m.requestStream, m.responseStream]);
    expect(methods(agentServiceDefinition)).toEqual(methods(fromDisk['kubeadm_ha.v1.AgentService'] as object));
    expect(methods(adminServiceDefinition)).toEqual(methods(fromDisk['kubeadm_ha.v1.AdminService'] as object));
    expect(methods(agentServiceDefinition)).toEqual([
      ['/kubeadm_ha.v1.AgentService/Register', false, false],
      ['/kubeadm_ha.v1.AgentService/Session', true, true],
    ]);
  });

  it('knows every task kind, and which of them return a result', () => {
    expect(TASK_KINDS).toEqual([
      'preflight', 'writeFiles', 'kubeadmInit', 'uploadCerts', 'createJoinToken', 'deleteToken', 'deleteCertsSecret', 'kubeadmJoin',
      'waitApiserver', 'kubectlDrainDelete', 'kubeadmReset', 'stopLoadBalancer', 'startLoadBalancer', 'removeVip', 'setVipTrack',
      'verifyClean', 'lbStatus', 'handOverVip',
    ]);
    expect(TASK_KINDS.filter(taskHasResult)).toEqual(['preflight', 'writeFiles', 'kubeadmInit', 'createJoinToken', 'waitApiserver', 'verifyClean', 'lbStatus', 'handOverVip']);
  });
});

describe('error mapping', () => {
  const cases: [KubeadmHaError, grpc.status][] = [
    [new SpecError('cluster.yaml', [{ path: 'spec.nodes[2].name', message: 'not a DNS-1123 label' }]), grpc.status.INVALID_ARGUMENT],
    [new AuthError('bootstrap token rejected'), grpc.status.UNAUTHENTICATED],
    [new PreconditionError('VIP 198.18.0.100 already on eth0', { host: 'master-1' }), grpc.status.FAILED_PRECONDITION],
    [new TimeoutError('apiserver not healthy after 5m', { phase: 'join-control-plane', host: 'master-2' }), grpc.status.DEADLINE_EXCEEDED],
    [new CommandError('kubeadm init --config /etc/kubeadm-ha/kubeadm.yaml', 1, 'preflight failed', { phase: 'init', host: 'master-0' }), grpc.status.ABORTED],
    [new CommandError('kubeadm join', null, '', { host: 'w1' }), grpc.status.ABORTED],
    [new KubeadmHaError('something ours'), grpc.status.INTERNAL],
  ];

  it.each(cases)('%s survives the trip through a gRPC status as the same class with the same fields', (err, code) => {
    const status = toStatusError(err);
    expect(status.code).toBe(code);
    expect(statusCodeFor(err)).toBe(code);
    const back = fromServiceError(Object.assign(new Error(status.details), { code: status.code, details: status.details, metadata: status.metadata }));
    expect(back.constructor).toBe(err.constructor);
    expect(back.message).toBe(err.message);
    expect(back.phase).toBe(err.phase);
    expect(back.host).toBe(err.host);
    if (err instanceof CommandError) expect([(back as CommandError).command, (back as CommandError).exitCode, (back as CommandError).stderrTail]).toEqual([err.command, err.exitCode, err.stderrTail]);
    if (err instanceof SpecError) expect([(back as SpecError).source, (back as SpecError).issues]).toEqual([err.source, err.issues]);
  });

  it('never lets a secret out: foreign errors become a generic INTERNAL, ours are redacted', () => {
    const foreign = toStatusError(new Error('EACCES reading /etc/kubeadm-ha/agent.yaml: token abcdef.0123456789abcdef'));
    expect(foreign.code).toBe(grpc.status.INTERNAL);
    expect(foreign.details).toBe('internal error in the coordinator; see its log');
    const key = 'f'.repeat(64);
    const ours = toStatusError(new CommandError(`kubeadm init phase upload-certs --upload-certs --certificate-key ${key}`, 1, `token abcdef.0123456789abcdef\n-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----`));
    const text = JSON.stringify([ours.details, ours.metadata.get('kubeadm-ha-error-bin').map(String)]);
    expect(text).not.toContain(key);
    expect(text).not.toContain('0123456789abcdef');
    expect(text).not.toContain('MIGH');
    expect(redactSecretShapes(`--discovery-token-ca-cert-hash sha256:${key}`)).toBe(`--discovery-token-ca-cert-hash sha256:${key}`);
  });

  it('maps statuses without our detail by code, naming the call', () => {
    const bare = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
    expect(fromServiceError(bare(grpc.status.PERMISSION_DENIED, 'nope'), 'Deploy')).toBeInstanceOf(AuthError);
    expect(fromServiceError(bare(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), 'Register')).toBeInstanceOf(TimeoutError);
    const unavailable = fromServiceError(bare(grpc.status.UNAVAILABLE, 'No connection established'), 'Register with coordinator 198.18.0.2:9443');
    expect(unavailable.message).toBe('Register with coordinator 198.18.0.2:9443: coordinator unavailable: No connection established');
  });

  it('ErrorDetail rebuilds errors from the agent side, including a killed command and cancellations', () => {
    const killed = errorFromDetail(completeDetail(errorToDetail(new CommandError('kubeadm reset -f', null, '', { host: 'w1' }))));
    expect(killed).toBeInstanceOf(CommandError);
    expect((killed as CommandError).exitCode).toBeNull();
    expect(killed.message).toBe('w1: kubeadm reset -f was killed');
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(errorToDetail(abort).code).toBe('ERROR_CODE_CANCELLED');
    expect(errorToDetail(new RangeError('boom')).code).toBe('ERROR_CODE_INTERNAL');
  });
});
