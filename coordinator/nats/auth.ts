/**
 * Decentralised (JWT) auth for the embedded nats-server, the way NATS itself scales to many users: the server trusts
 * one operator, which signs one application account and the system account; users are JWTs the account signs, checked
 * by the server with the account's public key at connect. Letting an agent in is a signature, not a server change: no
 * config rewrite and no reload per registration, so the thousandth costs what the first did. (The nkey-per-user config
 * this replaces was rewritten and reloaded, whole, on every registration: 44 ms at the 100th, 69 ms at the 1000th.)
 *
 * Revoking is the account's job: its JWT lists revoked user keys with a time, every user JWT of that key issued at or
 * before it is refused, and the server closes the key's connections when it loads the new account JWT (a reload of the
 * config that carries it; its size grows with revocations, not with registrations).
 *
 * Two accounts, because a permission on a subject does not bound where the answer goes. The stream answers a direct
 * get from its own internal client to whatever reply subject the request names, and nats-server checks no client's
 * reply subject against its permissions: an agent in the coordinator's account could aim a direct get's answer at
 * `$KV.kha-state.…` or another cluster's `$KV.kha-lb.…`, and the stream there would store it (a write no permission
 * allowed). So the coordinator's account holds the JetStream state and exports two things: the backend sets' subjects
 * (a stream) and their direct gets (a service, whose answers the server routes back through a `_R_.` reply of its own
 * making). The agents' account imports those two and has no JetStream; an answer aimed anywhere in it reaches at most
 * another agent, as a copy of a set the coordinator published (agents apply only versions newer than their own).
 *
 * Who may cause what: the coordinator alone holds the operator and account seeds (0600 under its data dir, never sent
 * anywhere, never logged); it issues a user JWT for an agent's public key only for a registered agent, signed by the
 * agents' account, with the agent permissions of permissions.ts. A user JWT is not a secret on its own: connecting
 * also needs the user's seed, which never leaves the agent.
 */
import { chmod, readFile, stat } from 'node:fs/promises';
import { encodeAccount, encodeOperator, encodeUser, type Account, type User } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import { z } from 'zod';
import { KubeadmHaError, PreconditionError } from '../../core/errors.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import { connectNats } from '../../lib/nats/connect.js';
import type { NatsClientTls } from '../../lib/nats/credentials.js';
import type { Logger } from '../../lib/log.js';
import { LB_BUCKET, kvStreamName } from '../../lib/nats/names.js';
import { nkeyKeyPair } from '../../lib/nats/nkey-signer.js';
import { writeFileAtomic } from './files.js';
import { agentPermissions, type NatsPermissions } from './permissions.js';

export const OPERATOR_SEED_FILE = 'operator.nk';
export const ACCOUNT_SEED_FILE = 'account.nk';
export const AGENTS_ACCOUNT_SEED_FILE = 'agents-account.nk';
export const SYSTEM_ACCOUNT_SEED_FILE = 'system-account.nk';
export const REVOCATIONS_FILE = 'revoked-users.json';

const encoder = new TextEncoder();

export const OPERATOR_JWT_FILE = 'operator.jwt';
export const SYSTEM_ACCOUNT_JWT_FILE = 'system-account.jwt';

export interface NatsAuthKeys {
  readonly operator: KeyPair;
  /** The coordinator's account: its JetStream holds the state and the backend sets. */
  readonly account: KeyPair;
  /** The agents' account: no JetStream, only the backend sets imported from the coordinator's. */
  readonly agents: KeyPair;
  /** nats-server's own account ($SYS); nobody of ours connects to it. */
  readonly system: KeyPair;
  /**
   * Issued once and kept: nats-server refuses a reload whose operator differs in any byte ("config reload not
   * supported for TrustedOperators"), and a re-encoded JWT differs in its issue time.
   */
  readonly operatorJwt: string;
  readonly systemAccountJwt: string;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

/** Loads the three seeds and the two fixed JWTs from `dir`, creating what is missing. A seed of the wrong kind is refused by name. */
export async function loadOrCreateAuthKeys(dir: string): Promise<NatsAuthKeys> {
  const operator = await loadOrCreateKey(`${dir}/${OPERATOR_SEED_FILE}`, 'O', createOperator);
  const account = await loadOrCreateKey(`${dir}/${ACCOUNT_SEED_FILE}`, 'A', createAccount);
  const agents = await loadOrCreateKey(`${dir}/${AGENTS_ACCOUNT_SEED_FILE}`, 'A', createAccount);
  const system = await loadOrCreateKey(`${dir}/${SYSTEM_ACCOUNT_SEED_FILE}`, 'A', createAccount);
  const operatorJwt = await loadOrIssueJwt(`${dir}/${OPERATOR_JWT_FILE}`, operator.getPublicKey(), () =>
    encodeOperator('kubeadm-ha', operator, { system_account: system.getPublicKey() }),
  );
  const systemAccountJwt = await loadOrIssueJwt(`${dir}/${SYSTEM_ACCOUNT_JWT_FILE}`, system.getPublicKey(), () =>
    encodeAccount('SYS', system, { limits: UNLIMITED }, { signer: operator }),
  );
  return { operator, account, agents, system, operatorJwt, systemAccountJwt };
}

/** The stored JWT when it is still the one for `subject` (the seeds were not replaced), else a new one, stored. */
async function loadOrIssueJwt(path: string, subject: string, issue: () => Promise<string>): Promise<string> {
  const stored = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (stored && claimsOf(stored)?.sub === subject) return stored;
  const jwt = await issue();
  await writeFileAtomic(path, `${jwt}\n`, 0o600);
  return jwt;
}

function claimsOf(jwt: string): { sub?: string } | undefined {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string };
  } catch {
    return undefined;
  }
}

async function loadOrCreateKey(path: string, prefix: 'O' | 'A', create: () => KeyPair): Promise<KeyPair> {
  let text: string | undefined;
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) await chmod(path, 0o600);
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    let kp: KeyPair;
    try {
      kp = nkeyKeyPair(encoder.encode(text));
    } catch {
      throw new KubeadmHaError(`${path} does not hold an nkey seed; restore it from a backup (agents' NATS access depends on it)`);
    }
    if (!kp.getPublicKey().startsWith(prefix)) throw new KubeadmHaError(`${path} holds the wrong kind of nkey seed (expected S${prefix}…)`);
    return kp;
  }
  const kp = nkeyKeyPair(create().getSeed());
  await writeFileAtomic(path, new TextDecoder().decode(kp.getSeed()), 0o600);
  return kp;
}

/** User key → the unix second it was revoked at: user JWTs of that key issued at or before it are refused. */
export type Revocations = Readonly<Record<string, number>>;

const revocationsSchema = z.record(z.string().regex(/^U[A-Z2-7]{55}$/), z.number().int().nonnegative());

export async function loadRevocations(path: string): Promise<Revocations> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const parsed = revocationsSchema.safeParse(
    (() => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    })(),
  );
  if (!parsed.success) throw new KubeadmHaError(`${path} is corrupt; restore it from a backup or remove it (revoked agents would be let in again)`);
  return parsed.data;
}

export async function saveRevocations(path: string, revocations: Revocations): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(revocations).sort(([a], [b]) => a.localeCompare(b)));
  await writeFileAtomic(path, `${JSON.stringify(sorted, null, 2)}\n`, 0o600);
}

/** The JWTs nats-server's config carries: the operator it trusts and the three accounts it preloads. */
export interface ServerTrust {
  readonly operatorJwt: string;
  readonly systemAccount: string;
  readonly accounts: Readonly<Record<string, string>>;
  /** The agents' account JWT alone, which carries the revocations: what a revocation pushes to the running server. */
  readonly accountJwt: string;
  readonly resolverDir: string;
}

/** What the coordinator's account lends the agents' one: every backend set's subject, and its direct get. */
const BACKEND_SET_STREAM = `$KV.${LB_BUCKET}.>`;
const BACKEND_SET_DIRECT_GET = `$JS.API.DIRECT.GET.${kvStreamName(LB_BUCKET)}.>`;

/**
 * `coordinatorIssuedAt` (the embedded server only) is the issue second of the coordinator's own user JWT, the one user the coordinator's account
 * has: every user JWT the account signed before it is refused, the coordinator's earlier ones and, in a data dir from
 * before the agents had their own account, every agent's (they get one from the agents' account at their next
 * session start).
 */
export async function serverTrust(keys: NatsAuthKeys, revocations: Revocations, resolverDir: string, coordinatorIssuedAt?: number): Promise<ServerTrust> {
  const systemAccount = keys.system.getPublicKey();
  const application: Partial<Account> = {
    limits: {
      ...UNLIMITED,
      // JetStream on, bounded by the server's own max_file_store / max_memory_store.
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
    exports: [
      { name: 'backend sets', subject: BACKEND_SET_STREAM, type: 'stream' },
      { name: 'backend set reads', subject: BACKEND_SET_DIRECT_GET, type: 'service', response_type: 'Singleton' },
    ],
    // An external cluster's coordinators share one user, made once (external-auth.ts): nothing to refuse there.
    ...(coordinatorIssuedAt !== undefined ? { revocations: { '*': coordinatorIssuedAt - 1 } } : {}),
  };
  const applicationAccount = keys.account.getPublicKey();
  const agents: Partial<Account> = {
    // No JetStream: nothing in this account stores a message, whatever subject an answer is aimed at.
    limits: { ...UNLIMITED, mem_storage: 0, disk_storage: 0, streams: 0, consumer: 0 },
    imports: [
      { name: 'backend sets', subject: BACKEND_SET_STREAM, account: applicationAccount, type: 'stream' },
      { name: 'backend set reads', subject: BACKEND_SET_DIRECT_GET, account: applicationAccount, type: 'service' },
    ],
    ...(Object.keys(revocations).length > 0 ? { revocations: { ...revocations } } : {}),
  };
  const applicationJwt = await encodeAccount('kubeadm-ha', keys.account, application, { signer: keys.operator });
  const agentsJwt = await encodeAccount('kubeadm-ha-agents', keys.agents, agents, { signer: keys.operator });
  return {
    accountJwt: agentsJwt,
    resolverDir,
    operatorJwt: keys.operatorJwt,
    systemAccount,
    accounts: { [applicationAccount]: applicationJwt, [keys.agents.getPublicKey()]: agentsJwt, [systemAccount]: keys.systemAccountJwt },
  };
}

/** The coordinator's user JWT, in its own account, with exactly `permissions`. */
export function issueCoordinatorJwt(keys: NatsAuthKeys, userPublicKey: string, permissions: NatsPermissions): Promise<string> {
  return issueUserJwt(keys.account, userPublicKey, 'coordinator', permissions, {});
}

/**
 * An agent's user JWT, in the agents' account, with exactly `permissions`, a plain NATS client's connection only
 * (no websocket, MQTT or leaf node) and a few subscriptions (the key and the request inbox) and small publishes (a
 * direct get is an empty request) at most. Issued at the current second; the server refuses it when that key was
 * revoked at or after that second.
 */
export function issueAgentUserJwt(keys: NatsAuthKeys, userPublicKey: string, name: string, permissions: NatsPermissions): Promise<string> {
  return issueUserJwt(keys.agents, userPublicKey, name, permissions, {
    subs: AGENT_MAX_SUBSCRIPTIONS,
    payload: AGENT_MAX_PUBLISH_BYTES,
    allowed_connection_types: ['STANDARD'],
  });
}

/** Subscriptions an agent's connection may hold: its key, nats.js's request inbox, room to spare. */
export const AGENT_MAX_SUBSCRIPTIONS = 8;
/** The largest message an agent may publish: a direct get request is empty. */
export const AGENT_MAX_PUBLISH_BYTES = 1024;

async function issueUserJwt(account: KeyPair, userPublicKey: string, name: string, permissions: NatsPermissions, limits: Partial<User>): Promise<string> {
  if (!/^U[A-Z2-7]{55}$/.test(userPublicKey)) throw new KubeadmHaError(`not an nkey user public key: ${userPublicKey}`);
  const user: Partial<User> = {
    ...limits,
    pub: { allow: [...permissions.publish.allow] },
    sub: { allow: [...permissions.subscribe.allow] },
  };
  return encodeUser(name, userPublicKey, account, user);
}

/** The issue second of a JWT this coordinator signed. */
export function issuedAt(jwt: string): number {
  const iat = (claimsOf(jwt) as { iat?: unknown } | undefined)?.iat;
  if (typeof iat !== 'number') throw new KubeadmHaError('a JWT without an issue time');
  return iat;
}

/**
 * A user of the system account for one account update, with a key made for it and thrown away after: what pushes a
 * new account JWT (`$SYS.REQ.CLAIMS.UPDATE`). Only the coordinator can make one (it holds the system account seed).
 */
export async function systemUser(keys: NatsAuthKeys): Promise<{ jwt: string; seed: Uint8Array }> {
  const user = createUser();
  const jwt = await encodeUser('kubeadm-ha account update', user, keys.system, { pub: { allow: ['$SYS.REQ.CLAIMS.UPDATE'] }, sub: { allow: ['_INBOX.>'] } });
  return { jwt, seed: user.getSeed() };
}

/**
 * An agent's user JWT (issueAgentUserJwt) for a registered agent. A key revoked in this very second would have its
 * new JWT refused (the server refuses JWTs issued at or before the revocation's second), so that rare case waits for
 * the next second; a revocation still ahead of this clock is refused.
 */
export async function issueAgentJwtAfterRevocation(
  keys: NatsAuthKeys,
  revoked: Revocations,
  publicKey: string,
  agentName: string,
  cluster: string,
): Promise<string> {
  const nameProblem = dns1123LabelProblem(agentName);
  if (nameProblem) throw new KubeadmHaError(`agent name: ${nameProblem}`);
  const clusterProblem = dns1123LabelProblem(cluster);
  if (clusterProblem) throw new KubeadmHaError(`agent "${agentName}": cluster name: ${clusterProblem}`);
  const revokedAt = revoked[publicKey];
  if (revokedAt !== undefined) {
    const waitMs = (revokedAt + 1) * 1000 - Date.now();
    if (waitMs > 2000)
      throw new PreconditionError(`agent "${agentName}": its NATS key was revoked at a time still ahead of this clock; register it with a new key`);
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  return issueAgentUserJwt(keys, publicKey, agentName, agentPermissions(publicKey, cluster));
}

/**
 * Pushes an account JWT the operator signed (`$SYS.REQ.CLAIMS.UPDATE`, as a throwaway system-account user); the server
 * answers with code 200 once applied, and on a cluster its full resolver hands it to the other servers.
 */
export async function pushAccountJwt(
  server: { readonly url: string; readonly tls?: NatsClientTls },
  keys: NatsAuthKeys,
  accountJwt: string,
  logger: Logger,
  timeoutMs = 10_000,
): Promise<void> {
  const user = await systemUser(keys);
  const nc = await connectNats(
    { url: server.url, credentials: { kind: 'jwt', jwt: () => user.jwt, seed: user.seed }, ...(server.tls ? { tls: server.tls } : {}) },
    { name: 'kubeadm-ha-coordinator account update', logger, timeoutMs: 5000 },
  );
  try {
    const reply = await nc.request('$SYS.REQ.CLAIMS.UPDATE', encoder.encode(accountJwt), { timeout: timeoutMs });
    const answer = JSON.parse(reply.string()) as { data?: { code?: number; message?: string }; error?: { description?: string } };
    if (answer.data?.code !== 200) {
      throw new KubeadmHaError(`nats-server refused the account update: ${answer.error?.description ?? answer.data?.message ?? reply.string().slice(0, 200)}`);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}
