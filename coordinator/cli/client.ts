/** coordinatorctl's connection to the coordinator: admin.conf in, typed calls out, errors as our error classes. */
import * as grpc from '@grpc/grpc-js';
import { clip } from '../../core/clip.js';
import { InputError, KubeadmHaError, TimeoutError } from '../../core/errors.js';
import { COORDINATOR_ADMIN_CONF_PATH } from '../../core/host/paths.js';
import { ERROR_DETAIL_METADATA_KEY, fromServiceError, isServiceError } from '../../lib/grpc/status.js';
import type { DeployEvent__Output } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { AdminServiceClient } from '../../proto/generated/kubeadm_ha/v1/AdminService.js';
import { createAdminClient } from '../grpc/clients.js';
import { ADMIN_CONF_HINT, loadAdminCredentials, type AdminCredentials } from '../pki/admin-conf.js';
import { isHostPort, parseCoordinatorAddresses } from '../../core/coordinator-addresses.js';
import type { LeaderRequest } from '../../proto/generated/kubeadm_ha/v1/LeaderRequest.js';
import type { LeaderResponse__Output } from '../../proto/generated/kubeadm_ha/v1/LeaderResponse.js';
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

/**
 * A channel to the coordinator that leads. `--coordinator` or admin.conf's `server:` names one coordinator or several
 * (coordinator HA, comma-separated): they are dialled in order until one answers, which is asked who leads (Leader, an
 * answer every coordinator gives); a standby's answer sends this process to the leader. While a takeover is under
 * way (nobody leads) it asks again for up to LEADER_WAIT_MS, then goes on with the one it has: read-only commands
 * work on a standby, the others get its NotLeaderError.
 */
export async function connect(values: { 'admin-conf'?: string; coordinator?: string }, opts: { connectTimeoutMs?: number } = {}): Promise<AdminServiceClient> {
  const path = values['admin-conf'] ?? process.env.KUBEADM_HA_ADMIN_CONF ?? COORDINATOR_ADMIN_CONF_PATH;
  const creds = await loadAdminCredentials(path);
  const text = values.coordinator ?? creds.server;
  const source = values.coordinator !== undefined ? '--coordinator' : `server: in ${path}`;
  const parsed = parseCoordinatorAddresses(text);
  if ('problem' in parsed) {
    const shown = parsed.problem.startsWith('"') && !text.includes(',') ? `${JSON.stringify(clip(text.trim(), 80))} is not HOST:PORT` : parsed.problem;
    throw new InputError(`${source} ${shown}; give the coordinator's address with its port, e.g. 198.18.0.2:9443 (several separated by commas)`);
  }
  const timeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  let firstFailure: InputError | undefined;
  for (const address of parsed.addresses) {
    const reached = await dial(creds, path, { address, source, adminConf: path }, timeoutMs);
    if ('unreachable' in reached) {
      firstFailure ??= reached.unreachable;
      continue;
    }
    const client = reached.client;
    const leader = await leaderOf(client, address);
    if (leader === address || leader === '' || !isHostPort(leader)) return client;
    // A standby named the leader: that one is dialled instead (it presents a certificate from the same pinned CA).
    const led = await dial(creds, path, { address: leader, source: `the leader named by ${address}`, adminConf: path }, timeoutMs);
    if ('client' in led) {
      client.close();
      return led.client;
    }
    target = { address, source, adminConf: path };
    return client;
  }
  throw firstFailure ?? new InputError(`${source}: no coordinator address`);
}

/** How long coordinatorctl waits for a takeover to end (a lease TTL and then some) before it goes on with a standby. */
const LEADER_WAIT_MS = 20_000;

/** The leader `client`'s coordinator names ('' when none leads after LEADER_WAIT_MS, or the coordinator predates HA). */
async function leaderOf(client: AdminServiceClient, address: string): Promise<string> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    const answer = await unary<LeaderRequest, LeaderResponse__Output>(client, 'leader', {}, `Leader from ${address}`, 10_000).catch(() => undefined);
    if (!answer) return '';
    if (answer.leading) return address;
    if (answer.leader) return answer.leader;
    if (Date.now() > deadline) return '';
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** One coordinator's channel once it is READY, or why it cannot be reached; throws for admin.conf's own problems. */
async function dial(
  creds: AdminCredentials,
  path: string,
  to: Target,
  timeoutMs: number,
): Promise<{ client: AdminServiceClient } | { unreachable: InputError }> {
  target = to;
  let client: AdminServiceClient;
  try {
    client = createAdminClient(creds, to.address);
  } catch (err) {
    // OpenSSL refuses a PEM that passed the header check (a damaged body, a key that is not the certificate's).
    throw new InputError(`${path}: its certificate or key cannot be used (${clip((err as Error).message, 120)}); ${ADMIN_CONF_HINT}`);
  }
  const state = await awaitChannel(client, timeoutMs);
  if (state === 'timeout') {
    client.close();
    return {
      unreachable: new InputError(
        `cannot reach the coordinator at ${to.address} (from ${to.source}): no answer within ${Math.round(timeoutMs / 1000)} s; check the address, the network to it, and that kubeadm-ha-coordinator runs there`,
      ),
    };
  }
  if (state === 'failed') {
    // The call that follows would say why; with another address to try, this one is passed over.
    const probe = await unary<LeaderRequest, LeaderResponse__Output>(client, 'leader', {}, `Leader from ${to.address}`, 10_000).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (probe instanceof InputError) {
      client.close();
      return { unreachable: probe };
    }
  }
  return { client };
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
