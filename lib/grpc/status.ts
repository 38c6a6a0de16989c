/**
 * The one mapping between kubeadm-ha's error classes and gRPC status codes, both ways. Server side, an error becomes a
 * status whose trailers carry the full ErrorDetail (command, exit code, stderr tail, spec issues), so the client side
 * rebuilds the very same class. Messages are redacted on the way out; errors that are not ours (library failures,
 * bugs) leave as a generic INTERNAL message and are logged here instead, because their text was never vetted.
 * Both daemons and coordinatorctl use it (the coordinator serves, the agent and the CLI call), so it lives in lib/ and
 * depends on nothing of either daemon.
 */
import * as grpc from '@grpc/grpc-js';
import { clip } from '../../core/clip.js';
import { AuthError, CommandError, KubeadmHaError, PreconditionError, SpecError, TimeoutError, UnavailableError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import { completeDetail, errorFromDetail, errorToDetail } from '../../proto/error-detail.js';
import type { ErrorDetail } from '../../proto/generated/kubeadm_ha/v1/ErrorDetail.js';
import type { Logger } from '../log.js';

export const ERROR_DETAIL_METADATA_KEY = 'kubeadm-ha-error-bin';

export type GrpcStatusError = grpc.ServerErrorResponse & { code: grpc.status; details: string; metadata: grpc.Metadata };

export function statusCodeFor(err: unknown): grpc.status {
  if (err instanceof SpecError) return grpc.status.INVALID_ARGUMENT;
  if (err instanceof AuthError) return grpc.status.UNAUTHENTICATED;
  if (err instanceof PreconditionError) return grpc.status.FAILED_PRECONDITION;
  if (err instanceof TimeoutError) return grpc.status.DEADLINE_EXCEEDED;
  if (err instanceof UnavailableError) return grpc.status.UNAVAILABLE;
  if (err instanceof CommandError) return grpc.status.ABORTED;
  if (err instanceof Error && err.name === 'AbortError') return grpc.status.CANCELLED;
  return grpc.status.INTERNAL;
}

/**
 * Bounds on what one status carries, the last line of defence behind the clipping at each echo (core/clip.ts). The
 * text travels in HTTP/2 trailers, which grpc-js does not bound on either side, and part of it may come from whoever
 * made the call: an unchecked 8 MiB name once went back whole in grpc-message and again in the detail. Our own
 * longest messages (a spec with dozens of problems, a twelve-line stderr tail) stay well below these.
 */
export const MAX_STATUS_TEXT = 16 * 1024;
const MAX_STATUS_ISSUES = 100;
const MAX_ISSUE_TEXT = 1024;

function boundedDetail(detail: ErrorDetail): ErrorDetail {
  const text = (value: string | undefined, max = MAX_STATUS_TEXT) => (value ? clip(value, max) : value);
  return {
    ...detail,
    message: text(detail.message),
    command: text(detail.command),
    stderrTail: text(detail.stderrTail),
    source: text(detail.source, MAX_ISSUE_TEXT),
    host: text(detail.host, MAX_ISSUE_TEXT),
    phase: text(detail.phase, MAX_ISSUE_TEXT),
    leader: text(detail.leader, MAX_ISSUE_TEXT),
    ...(detail.issues
      ? { issues: detail.issues.slice(0, MAX_STATUS_ISSUES).map((i) => ({ path: text(i.path, MAX_ISSUE_TEXT), message: text(i.message, MAX_ISSUE_TEXT) })) }
      : {}),
  };
}

/**
 * The one place a gRPC status error is built. Without `detail` it is a plain status (shutting down, superseded,
 * not implemented) whose text the caller wrote itself and which no error class stands behind.
 */
export function statusError(code: grpc.status, details: string, detail?: ErrorDetail): GrpcStatusError {
  const metadata = new grpc.Metadata();
  if (detail) metadata.set(ERROR_DETAIL_METADATA_KEY, Buffer.from(JSON.stringify(boundedDetail(detail)), 'utf8'));
  const shown = clip(details, MAX_STATUS_TEXT);
  return Object.assign(new Error(shown), { code, details: shown, metadata });
}

/** A message the server will not read: larger than the bound of its call (lib/grpc/limits.ts). */
export function resourceExhausted(message: string): GrpcStatusError {
  return statusError(grpc.status.RESOURCE_EXHAUSTED, message);
}

/** Server side: what to hand to a unary callback or emit on a stream. */
export function toStatusError(err: unknown, logger?: Logger): GrpcStatusError {
  if (err instanceof KubeadmHaError || (err instanceof Error && err.name === 'AbortError')) {
    const detail = errorToDetail(err);
    return statusError(statusCodeFor(err), detail.message ?? '', detail);
  }
  logger?.error({ err }, 'unexpected error while serving a call');
  return statusError(grpc.status.INTERNAL, 'internal error in the coordinator; see its log');
}

export function unauthenticated(message: string): GrpcStatusError {
  return toStatusError(new AuthError(message));
}

export function unimplemented(method: string): GrpcStatusError {
  return statusError(grpc.status.UNIMPLEMENTED, `${method} is not implemented by this coordinator`);
}

/** Authenticated, but this identity may not call this. There is no class for it in core/errors: it is AuthError on the client. */
export function permissionDenied(message: string): GrpcStatusError {
  const err = new AuthError(message);
  return statusError(grpc.status.PERMISSION_DENIED, redactSecrets(err.message), errorToDetail(err));
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'metadata' in err;
}

function detailFromMetadata(metadata: grpc.Metadata | undefined): ErrorDetail | undefined {
  const raw = metadata?.get(ERROR_DETAIL_METADATA_KEY)[0];
  if (!raw) return undefined;
  try {
    return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw) as ErrorDetail;
  } catch {
    return undefined;
  }
}

/**
 * Client side: a failed call as one of our error classes. `what` names the call for errors the server did not
 * describe itself, e.g. "Register with coordinator 198.18.0.2:9443".
 */
export function fromServiceError(err: unknown, what = 'call to the coordinator'): KubeadmHaError {
  if (err instanceof KubeadmHaError) return err;
  if (!isServiceError(err)) return new KubeadmHaError(`${what} failed: ${redactSecrets(err instanceof Error ? err.message : String(err))}`, {}, { cause: err });
  const detail = detailFromMetadata(err.metadata);
  if (detail) return errorFromDetail(completeDetail(detail));
  const details = redactSecrets(err.details || err.message);
  switch (err.code) {
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return new AuthError(`${what}: ${details}`);
    case grpc.status.INVALID_ARGUMENT:
      return new SpecError(what, [{ path: '(request)', message: details }]);
    case grpc.status.FAILED_PRECONDITION:
      return new PreconditionError(`${what}: ${details}`);
    case grpc.status.DEADLINE_EXCEEDED:
      return new TimeoutError(`${what}: ${details}`);
    case grpc.status.UNAVAILABLE:
      return new KubeadmHaError(`${what}: coordinator unavailable: ${details}`, {}, { cause: err });
    default:
      return new KubeadmHaError(`${what}: ${grpc.status[err.code] ?? err.code}: ${details}`, {}, { cause: err });
  }
}
