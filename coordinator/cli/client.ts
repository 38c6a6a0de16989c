/** coordinatorctl's connection to the coordinator: admin.conf in, typed calls out, errors as our error classes. */
import * as grpc from '@grpc/grpc-js';
import { clip } from '../../core/clip.js';
import { InputError, KubeadmHaError, TimeoutError } from '../../core/errors.js';
import { COORDINATOR_ADMIN_CONF_PATH } from '../../core/host/paths.js';
import { ERROR_DETAIL_METADATA_KEY, fromServiceError, isServiceError } from '../../lib/grpc/status.js';
import type { DeployEvent__Output } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { AdminServiceClient } from '../../proto/generated/kubeadm_ha/v1/AdminService.js';
import { createAdminClient } from '../grpc/clients.js';
import { ADMIN_CONF_HINT, loadAdminCredentials } from '../pki/admin-conf.js';
import type { CliIo } from './command.js';

export const CONNECTION_OPTIONS = {
  'admin-conf': { type: 'string' as const },
  coordinator: { type: 'string' as const },
};

/** Where this invocation dials and why there: what a connection failure names. */
interface Target {
  readonly address: string;
  /** "--coordinator" or "server: in <admin.conf>". */
  readonly source: string;
  readonly adminConf: string;
}

/**
 * The coordinator this process talks to. coordinatorctl runs one command per process and connects once, so the
 * error mapping below reads it instead of every call site passing it along.
 */
let target: Target | undefined;

/** host:port, the way --coordinator and admin.conf's server: must give it (grpc-js would silently dial port 443). */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

export async function connect(values: { 'admin-conf'?: string; coordinator?: string }, opts: { connectTimeoutMs?: number } = {}): Promise<AdminServiceClient> {
  const path = values['admin-conf'] ?? process.env.KUBEADM_HA_ADMIN_CONF ?? COORDINATOR_ADMIN_CONF_PATH;
  const creds = await loadAdminCredentials(path);
  const address = values.coordinator ?? creds.server;
  const source = values.coordinator !== undefined ? '--coordinator' : `server: in ${path}`;
  const port = HOST_PORT.exec(address)?.[2];
  if (port === undefined || Number(port) < 1 || Number(port) > 65535) {
    throw new InputError(`${source} ${JSON.stringify(clip(address, 80))} is not HOST:PORT; give the coordinator's address with its port, e.g. 198.18.0.2:9443`);
  }
  target = { address, source, adminConf: path };
  let client: AdminServiceClient;
  try {
    client = createAdminClient(creds, address);
  } catch (err) {
    // OpenSSL refuses a PEM that passed the header check (a damaged body, a key that is not the certificate's).
    throw new InputError(`${path}: its certificate or key cannot be used (${clip((err as Error).message, 120)}); ${ADMIN_CONF_HINT}`);
  }
  if ((await awaitChannel(client, opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS)) === 'timeout') {
    client.close();
    throw new InputError(
      `cannot reach the coordinator at ${address} (from ${source}): no answer within ${Math.round((opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS) / 1000)} s; check the address, the network to it, and that kubeadm-ha-coordinator runs there`,
    );
  }
  return client;
}

/**
 * How long coordinatorctl waits for its channel to connect (TCP and TLS). A refused connection or a failed handshake
 * ends the wait at once and the first call reports why; this bounds the silent cases (dropped packets, a peer that
 * accepts and never speaks TLS), where a streaming call, which has no deadline, would otherwise wait forever.
 */
const CONNECT_TIMEOUT_MS = 20_000;

/** Waits until the channel is READY or has failed (the first call then says why), or the time is up. */
async function awaitChannel(client: AdminServiceClient, timeoutMs: number): Promise<'ready' | 'failed' | 'timeout'> {
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  let state = channel.getConnectivityState(true);
  while (state !== grpc.connectivityState.READY && state !== grpc.connectivityState.TRANSIENT_FAILURE && state !== grpc.connectivityState.SHUTDOWN) {
    const current = state;
    const changed = await new Promise<boolean>((resolve) => channel.watchConnectivityState(current, deadline, (err) => resolve(err === undefined)));
    if (!changed) return 'timeout';
    state = channel.getConnectivityState(false);
  }
  return state === grpc.connectivityState.READY ? 'ready' : 'failed';
}

/** grpc-js's "No connection established. Last error: Error: connect ECONNREFUSED …" in words, with what to do. */
function unreachable(details: string, t: Target): InputError {
  const where = `the coordinator at ${t.address} (from ${t.source})`;
  const running = 'is kubeadm-ha-coordinator running there (systemctl status kubeadm-ha-coordinator)?';
  if (/ECONNREFUSED/.test(details)) return new InputError(`cannot reach ${where}: connection refused; ${running}`);
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EHOSTDOWN/.test(details))
    return new InputError(`cannot reach ${where}: no route or no answer; check the address and the network to it`);
  if (/Name resolution failed|ENOTFOUND|EAI_AGAIN/.test(details))
    return new InputError(`cannot resolve the host of ${where}; check the name or give an address`);
  if (/certificate has expired|CERT_HAS_EXPIRED/i.test(details)) {
    return new InputError(
      `${where}: its TLS certificate has expired; restart kubeadm-ha-coordinator there (it renews its serving certificate at start) and check the clocks`,
    );
  }
  if (/altnames|does not match certificate/i.test(details)) {
    return new InputError(
      `${where}: its TLS certificate does not name ${t.address}; dial the address the coordinator advertises (its --advertise), as admin.conf's server: does`,
    );
  }
  if (/certificate|self.signed|SSL|TLS|handshake/i.test(details)) {
    return new InputError(
      `${where} is not the one that wrote ${t.adminConf}: its TLS certificate does not verify against that file's CA; copy admin.conf again from the coordinator you mean`,
    );
  }
  return new InputError(`cannot reach ${where}: ${clip(details.replace(/^No connection established\. Last error: (Error: )?/, ''), 160)}; ${running}`);
}

/**
 * A failed call in an operator's words. A refused connection, a coordinator that does not answer, a certificate from
 * another coordinator: each says where it dialled and what to do, on one line. What the server itself described
 * (a refused deploy, a missing node) passes through fromServiceError unchanged.
 */
export function callError(err: unknown, what: string): KubeadmHaError {
  if (target !== undefined && isServiceError(err) && (err.metadata?.get(ERROR_DETAIL_METADATA_KEY).length ?? 0) === 0) {
    if (err.code === grpc.status.UNAVAILABLE) return unreachable(err.details || err.message, target);
    if (err.code === grpc.status.DEADLINE_EXCEEDED) {
      return new TimeoutError(
        `${what}: the coordinator at ${target.address} did not answer in time; check that it runs and is not overloaded (journalctl -u kubeadm-ha-coordinator)`,
      );
    }
  }
  return fromServiceError(err, what);
}

export function unary<Req, Res>(client: AdminServiceClient, method: string, request: Req, what: string, timeoutMs = 60_000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (req: Req, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => void>)[
      method
    ]!;
    fn.call(client, request, { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) reject(callError(err, what));
      else if (res === undefined) reject(new KubeadmHaError(`${what} failed: empty answer`));
      else resolve(res);
    });
  });
}

/** Prints an operation's events as they come; resolves with the exit code. */
export function followEvents(call: grpc.ClientReadableStream<DeployEvent__Output>, io: CliIo, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let failed = false;
    let finished = false;
    call.on('data', (e: DeployEvent__Output) => {
      const where = [e.phase, e.host].filter(Boolean).join(' ');
      const line = `${where ? `[${where}] ` : ''}${e.message}\n`;
      if (e.level === 'LOG_LEVEL_ERROR') io.err(`error: ${line}`);
      else if (e.level === 'LOG_LEVEL_WARN') io.err(line);
      else io.out(line);
      if (e.done) {
        finished = true;
        // An operation that ends with an error detail, or at error level, failed, whatever code the detail carries.
        failed = (e.error !== null && e.error !== undefined) || e.level === 'LOG_LEVEL_ERROR';
      }
    });
    call.on('error', (err) => reject(callError(err, what)));
    call.on('end', () => resolve(finished && !failed ? 0 : 1));
  });
}
