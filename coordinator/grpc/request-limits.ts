/**
 * What the coordinator reads before it knows who is calling. Anyone who reaches the gRPC port can open a call; only
 * Register may be made without a client certificate, and its request is bounded far below the server-wide limit
 * (lib/grpc/limits.ts):
 * - every other method is refused UNAUTHENTICATED when TLS verified no client certificate, before a single message is
 *   read (the per-call checks in auth.ts still decide who may do what);
 * - Register's request is refused RESOURCE_EXHAUSTED above MAX_UNAUTHENTICATED_MESSAGE_BYTES (64 KiB), before protobuf decodes
 *   it. grpc-js has no per-method receive limit: the server-wide one is checked against the length prefix (so
 *   nothing above MAX_AUTHENTICATED_MESSAGE_BYTES is ever buffered), and the tighter one here is checked on the
 *   buffered bytes, in the method's deserializer. A Register therefore costs the coordinator at most the server-wide
 *   bound in memory, and at most 64 KiB of decoding.
 */
import * as grpc from '@grpc/grpc-js';
import { resourceExhausted, unauthenticated } from '../../lib/grpc/status.js';
import type { Logger } from '../../lib/log.js';

/** What a bounded deserializer hands on instead of a request it refused to decode. */
class OversizedRequest {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {}
}

type MethodDefinitions = Record<string, grpc.MethodDefinition<unknown, unknown>>;

/**
 * A copy of `definition` whose listed methods decode requests of at most the given size; a larger request becomes an
 * OversizedRequest that requestGate answers RESOURCE_EXHAUSTED. Use both together.
 */
export function limitRequestSizes<D extends object>(definition: D, limits: Readonly<Partial<Record<keyof D & string, number>>>): D {
  const copy: MethodDefinitions = { ...(definition as unknown as MethodDefinitions) };
  for (const [method, limit] of Object.entries(limits) as [string, number | undefined][]) {
    const def = copy[method];
    if (!def || limit === undefined) continue;
    const decode = def.requestDeserialize;
    copy[method] = { ...def, requestDeserialize: (bytes: Buffer) => (bytes.length > limit ? new OversizedRequest(bytes.length, limit) : decode(bytes)) };
  }
  return copy as unknown as D;
}

/** Paths ("/kubeadm_ha.v1.AgentService/Register") of the methods callable without a client certificate. */
export function methodPaths(definition: object, methods: readonly string[]): Set<string> {
  const defs = definition as MethodDefinitions;
  return new Set(methods.map((m) => defs[m]?.path).filter((p): p is string => p !== undefined));
}

/**
 * Calls without a client certificate open at once, across all connections. Each may make grpc-js buffer one message of
 * up to the server-wide bound before its deserializer refuses it, so this caps what strangers can pin in memory
 * (16 × 4 MiB); a fleet registering at boot waits and retries (the agent backs off) instead.
 */
export const MAX_CONCURRENT_UNAUTHENTICATED_CALLS = 16;

/** The server interceptor that enforces the rules above. */
export function requestGate(openMethods: ReadonlySet<string>, logger: Logger, maxConcurrent = MAX_CONCURRENT_UNAUTHENTICATED_CALLS): grpc.ServerInterceptor {
  let unauthenticatedInFlight = 0;
  return (method, call) => {
    let counted = false;
    const release = () => {
      if (counted) unauthenticatedInFlight--;
      counted = false;
    };
    const gated: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start(next) {
        if (openMethods.has(method.path) && !call.getAuthContext().sslPeerCertificate) {
          if (unauthenticatedInFlight >= maxConcurrent) {
            logger.warn({ peer: call.getPeer(), method: method.path, inFlight: unauthenticatedInFlight }, 'too many calls without a certificate; refused');
            call.sendStatus(resourceExhausted(`${method.path}: ${maxConcurrent} calls without a client certificate are running; retry in a moment`));
            return;
          }
          unauthenticatedInFlight++;
          counted = true;
        }
        // TLS sets sslPeerCertificate only for a certificate it verified against our CA (auth.ts checks it again).
        if (!openMethods.has(method.path) && !call.getAuthContext().sslPeerCertificate) {
          logger.warn({ peer: call.getPeer(), method: method.path }, 'call without a client certificate refused before reading it');
          call.sendStatus(
            unauthenticated(`${method.path} needs the client certificate this coordinator issued (agents get one at Register; coordinatorctl uses admin.conf)`),
          );
          return;
        }
        next({
          // A caller that hangs up never gets a status: its slot is given back here.
          onCancel: release,
          onReceiveMessage(message, pass) {
            if (!(message instanceof OversizedRequest)) return pass(message);
            logger.warn({ peer: call.getPeer(), method: method.path, bytes: message.bytes, limit: message.limit }, 'oversized request refused before decoding');
            gated.sendStatus(
              resourceExhausted(
                `${method.path}: the request is ${message.bytes} bytes; this call accepts at most ${message.limit} bytes before authentication`,
              ),
            );
          },
        });
      },
      sendStatus(status, next) {
        release();
        next(status);
      },
    });
    return gated;
  };
}
