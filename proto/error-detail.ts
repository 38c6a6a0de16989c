/**
 * ErrorDetail <-> the error classes of core/errors.ts. Both daemons use this: the agent to report a failed task, the
 * coordinator to rebuild the very class (with command, exit code, stderr tail, spec issues) on its side, and
 * lib/grpc/status.ts to carry the same detail in gRPC trailers. Messages are redacted again here (core/redact.ts) as a
 * second line of defence.
 */
import { AuthError, CommandError, KubeadmHaError, NotLeaderError, PreconditionError, SpecError, TimeoutError, UnavailableError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import type { ErrorDetail, ErrorDetail__Output } from './generated/kubeadm_ha/v1/ErrorDetail.js';

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR');
}

export function errorToDetail(err: unknown): ErrorDetail {
  const message = redactSecrets(err instanceof Error ? err.message : String(err));
  const base = err instanceof KubeadmHaError ? { message, phase: err.phase ?? '', host: err.host ?? '' } : { message, phase: '', host: '' };
  if (err instanceof SpecError)
    return { ...base, code: 'ERROR_CODE_SPEC', source: err.source, issues: err.issues.map((i) => ({ path: i.path, message: redactSecrets(i.message) })) };
  if (err instanceof CommandError) {
    return {
      ...base,
      code: 'ERROR_CODE_COMMAND',
      command: redactSecrets(err.command),
      exitCode: err.exitCode ?? 0,
      killed: err.exitCode === null,
      stderrTail: redactSecrets(err.stderrTail),
    };
  }
  if (err instanceof PreconditionError) return { ...base, code: 'ERROR_CODE_PRECONDITION' };
  if (err instanceof AuthError) return { ...base, code: 'ERROR_CODE_AUTH' };
  if (err instanceof TimeoutError) return { ...base, code: 'ERROR_CODE_TIMEOUT' };
  if (err instanceof NotLeaderError) return { ...base, code: 'ERROR_CODE_NOT_LEADER', leader: err.leader };
  if (err instanceof UnavailableError) return { ...base, code: 'ERROR_CODE_UNAVAILABLE' };
  if (isAbort(err)) return { ...base, code: 'ERROR_CODE_CANCELLED' };
  if (err instanceof KubeadmHaError) return { ...base, code: 'ERROR_CODE_UNSPECIFIED' };
  return { ...base, code: 'ERROR_CODE_INTERNAL' };
}

/** The decoded shape of a detail built in this process (or parsed from JSON), with every field present. */
export function completeDetail(d: ErrorDetail): ErrorDetail__Output {
  const code = typeof d.code === 'string' ? d.code : 'ERROR_CODE_INTERNAL';
  return {
    code: code as ErrorDetail__Output['code'],
    message: d.message ?? '',
    phase: d.phase ?? '',
    host: d.host ?? '',
    command: d.command ?? '',
    exitCode: d.exitCode ?? 0,
    killed: d.killed ?? false,
    stderrTail: d.stderrTail ?? '',
    source: d.source ?? '',
    issues: (d.issues ?? []).map((i) => ({ path: i.path ?? '', message: i.message ?? '' })),
    leader: d.leader ?? '',
  };
}

/** Rebuilds the error class the detail was made from, with the sender's message, phase and host exactly. */
export function errorFromDetail(detail: ErrorDetail__Output): KubeadmHaError {
  let err: KubeadmHaError;
  switch (detail.code) {
    case 'ERROR_CODE_SPEC':
      err = new SpecError(
        detail.source || 'input',
        detail.issues.map((i) => ({ path: i.path, message: i.message })),
      );
      break;
    case 'ERROR_CODE_COMMAND':
      err = new CommandError(detail.command, detail.killed ? null : detail.exitCode, detail.stderrTail);
      break;
    case 'ERROR_CODE_PRECONDITION':
      err = new PreconditionError(detail.message);
      break;
    case 'ERROR_CODE_AUTH':
      err = new AuthError(detail.message);
      break;
    case 'ERROR_CODE_TIMEOUT':
      err = new TimeoutError(detail.message);
      break;
    case 'ERROR_CODE_NOT_LEADER':
      err = new NotLeaderError(detail.message, detail.leader);
      break;
    case 'ERROR_CODE_UNAVAILABLE':
      err = new UnavailableError(detail.message);
      break;
    default:
      err = new KubeadmHaError(detail.message);
  }
  Object.defineProperty(err, 'message', { value: detail.message || err.message, enumerable: false, writable: true, configurable: true });
  const fields = err as { phase?: string; host?: string };
  if (detail.phase) fields.phase = detail.phase;
  if (detail.host) fields.host = detail.host;
  return err;
}
