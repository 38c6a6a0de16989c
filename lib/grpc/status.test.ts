import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AuthError, CommandError, KubeadmHaError, PreconditionError, SpecError, TimeoutError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import { completeDetail, errorFromDetail, errorToDetail } from '../../proto/error-detail.js';
import {
  ERROR_DETAIL_METADATA_KEY,
  MAX_STATUS_TEXT,
  fromServiceError,
  permissionDenied,
  statusCodeFor,
  statusError,
  toStatusError,
  unauthenticated,
  unimplemented,
} from './status.js';

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
    if (err instanceof CommandError)
      expect([(back as CommandError).command, (back as CommandError).exitCode, (back as CommandError).stderrTail]).toEqual([
        err.command,
        err.exitCode,
        err.stderrTail,
      ]);
    if (err instanceof SpecError) expect([(back as SpecError).source, (back as SpecError).issues]).toEqual([err.source, err.issues]);
  });

  it('never lets a secret out: foreign errors become a generic INTERNAL, ours are redacted', () => {
    const foreign = toStatusError(new Error('EACCES reading /etc/kubeadm-ha/agent.yaml: token abcdef.0123456789abcdef'));
    expect(foreign.code).toBe(grpc.status.INTERNAL);
    expect(foreign.details).toBe('internal error in the coordinator; see its log');
    const key = 'f'.repeat(64);
    const ours = toStatusError(
      new CommandError(
        `kubeadm init phase upload-certs --upload-certs --certificate-key ${key}`,
        1,
        `token abcdef.0123456789abcdef\n-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----`,
      ),
    );
    const text = JSON.stringify([ours.details, ours.metadata.get('kubeadm-ha-error-bin').map(String)]);
    expect(text).not.toContain(key);
    expect(text).not.toContain('0123456789abcdef');
    expect(text).not.toContain('MIGH');
    expect(redactSecrets(`--discovery-token-ca-cert-hash sha256:${key}`)).toBe(`--discovery-token-ca-cert-hash sha256:${key}`);
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

  it('builds plain statuses (no detail) and the named ones with the codes the daemons have always sent', () => {
    const plain = statusError(grpc.status.UNAVAILABLE, 'the coordinator is shutting down');
    const stopping = 'the coordinator is shutting down';
    expect([plain.code, plain.details, plain.message]).toEqual([grpc.status.UNAVAILABLE, stopping, stopping]);
    expect(plain.metadata.get(ERROR_DETAIL_METADATA_KEY)).toEqual([]);
    const missing = unimplemented('AdminService.Deploy');
    expect([missing.code, missing.details]).toEqual([grpc.status.UNIMPLEMENTED, 'AdminService.Deploy is not implemented by this coordinator']);
    expect(unauthenticated('who are you').code).toBe(grpc.status.UNAUTHENTICATED);
    const denied = permissionDenied('not an agent certificate');
    expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(fromServiceError(denied, 'Session')).toBeInstanceOf(AuthError);
    expect(fromServiceError(denied, 'Session').message).toBe('not an agent certificate');
  });

  it('maps cancellations to CANCELLED and keeps our own classes as they are on the client side', () => {
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(statusCodeFor(abort)).toBe(grpc.status.CANCELLED);
    expect(toStatusError(abort).code).toBe(grpc.status.CANCELLED);
    const ours = new PreconditionError('port 6443 in use', { host: 'master-0' });
    expect(fromServiceError(ours)).toBe(ours);
  });

  it('names the call and masks secrets when the failure is not a gRPC status at all', () => {
    const err = fromServiceError(new Error('connect to abcdef.0123456789abcdef refused'), 'Register with coordinator 198.18.0.2:9443');
    expect(err).toBeInstanceOf(KubeadmHaError);
    expect(err.message).toBe(`Register with coordinator 198.18.0.2:9443 failed: connect to abcdef.${'<redacted>'} refused`);
    const details = 'token abcdef.0123456789abcdef is spent';
    const bare = Object.assign(new Error('x'), { code: grpc.status.FAILED_PRECONDITION, details, metadata: new grpc.Metadata() });
    const mapped = fromServiceError(bare, 'Deploy');
    expect(mapped).toBeInstanceOf(PreconditionError);
    expect(mapped.message).not.toContain('0123456789abcdef');
  });

  it('ignores a detail trailer it cannot parse and falls back to the status code', () => {
    const metadata = new grpc.Metadata();
    metadata.set(ERROR_DETAIL_METADATA_KEY, Buffer.from('{not json', 'utf8'));
    const mapped = fromServiceError(Object.assign(new Error('late'), { code: grpc.status.DEADLINE_EXCEEDED, details: 'late', metadata }), 'Deploy');
    expect(mapped).toBeInstanceOf(TimeoutError);
    expect(mapped.message).toBe('Deploy: late');
  });

  it('bounds what one status carries, however long the message it was given', () => {
    const huge = 'n'.repeat(8 * 1024 * 1024);
    const status = toStatusError(new SpecError('Register request', [{ path: 'requestedName', message: huge }]));
    expect(status.details.length).toBeLessThanOrEqual(MAX_STATUS_TEXT + 40);
    expect(status.details).toContain(`characters)`);
    const trailer = status.metadata.get(ERROR_DETAIL_METADATA_KEY)[0] as Buffer;
    expect(trailer.length).toBeLessThan(3 * MAX_STATUS_TEXT);
    const back = fromServiceError(status, 'Register');
    expect(back).toBeInstanceOf(SpecError);
    expect((back as SpecError).issues[0]?.path).toBe('requestedName');
  });
});
