/**
 * Decentralised JWT auth on an operator-run NATS cluster, the same scheme as the embedded server (auth.ts): one
 * operator, the coordinators' account (JetStream, the state and the backend sets), the agents' account (imports the
 * backend sets only) and the system account. The servers trust the operator and resolve accounts with the built-in
 * full resolver, so nothing on them changes per agent or per revocation: a user is a JWT the agents' account signs,
 * a revocation is a new account JWT pushed over NATS, which the cluster's resolvers share.
 *
 * `kubeadm-ha-coordinator nats-auth --data-dir DIR` makes the keys under DIR/nats-auth (0600), the coordinators'
 * user (DIR/nats-auth/coordinator.creds, what every coordinator passes to --nats-creds) and the include for every
 * nats-server (kubeadm-ha-auth.conf: public JWTs only). A standby coordinator gets the seeds with the CA, sealed
 * (leader/trust-bundle.ts), never in the clear over NATS.
 *
 * Who may cause what: only a coordinator holds the account seeds; it signs an agent user only for a registered agent
 * (KvAgentRegistry) and revokes one for remove-node, reset and `nodes forget` (all admin calls, on the leader, whose
 * state writes are fenced). Revocations live in the state bucket, so every coordinator signs against the same list.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fmtCreds } from '@nats-io/jwt';
import { createUser, fromSeed } from '@nats-io/nkeys';
import { KubeadmHaError } from '../../core/errors.js';
import type { Logger } from '../../lib/log.js';
import type { NatsClientTls } from '../../lib/nats/credentials.js';
import type { RecordRef } from '../state/store.js';
import {
  ACCOUNT_SEED_FILE,
  AGENTS_ACCOUNT_SEED_FILE,
  OPERATOR_JWT_FILE,
  OPERATOR_SEED_FILE,
  SYSTEM_ACCOUNT_JWT_FILE,
  SYSTEM_ACCOUNT_SEED_FILE,
  issueAgentJwtAfterRevocation,
  issueCoordinatorJwt,
  loadOrCreateAuthKeys,
  pushAccountJwt,
  serverTrust,
  type NatsAuthKeys,
  type Revocations,
} from './auth.js';
import { renderAuthInclude } from './config.js';
import { writeFileAtomic } from './files.js';
import { COORDINATOR_PERMISSIONS } from './permissions.js';
import type { AgentUserDirectory } from './server.js';

/** Under the data dir: the keys of an external cluster's auth. */
export const NATS_AUTH_DIR = 'nats-auth';
export const EXTERNAL_CREDS_FILE = 'coordinator.creds';
export const SERVER_INCLUDE_FILE = 'kubeadm-ha-auth.conf';
/** What a standby needs to sign and revoke agent users: sealed into the trust bundle. */
export const SHARED_AUTH_FILES = [
  OPERATOR_SEED_FILE,
  ACCOUNT_SEED_FILE,
  AGENTS_ACCOUNT_SEED_FILE,
  SYSTEM_ACCOUNT_SEED_FILE,
  OPERATOR_JWT_FILE,
  SYSTEM_ACCOUNT_JWT_FILE,
] as const;

/** Where each nats-server keeps the account JWTs pushed to it; the operator may change it in the include. */
const DEFAULT_RESOLVER_DIR = '/var/lib/nats/kubeadm-ha-jwt';

async function hasKeys(dir: string): Promise<boolean> {
  const found = await Promise.all(
    SHARED_AUTH_FILES.map((f) =>
      readFile(join(dir, f)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.every(Boolean);
}

/**
 * Makes (or keeps) the keys, the coordinators' creds and the servers' include. Idempotent: run again, it rewrites the
 * include from the same keys and leaves the creds alone (a new coordinator user would need every coordinator's file
 * replaced).
 */
export async function initExternalAuth(dataDir: string, resolverDir = DEFAULT_RESOLVER_DIR): Promise<{ dir: string; credsPath: string; includePath: string }> {
  const dir = join(dataDir, NATS_AUTH_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = await loadOrCreateAuthKeys(dir);
  const credsPath = join(dir, EXTERNAL_CREDS_FILE);
  const existing = await readFile(credsPath).catch(() => undefined);
  if (!existing) {
    const user = createUser();
    const jwt = await issueCoordinatorJwt(keys, user.getPublicKey(), COORDINATOR_PERMISSIONS);
    await writeFileAtomic(credsPath, fmtCreds(jwt, fromSeed(user.getSeed())), 0o600);
  }
  const trust = await serverTrust(keys, {}, resolverDir);
  const includePath = join(dir, SERVER_INCLUDE_FILE);
  await writeFileAtomic(includePath, renderAuthInclude(trust), 0o644);
  return { dir, credsPath, includePath };
}

/** Agent users on an external cluster: signed here, revoked by pushing the agents' account JWT to the cluster. */
export class ExternalNatsUsers implements AgentUserDirectory {
  private constructor(
    private readonly keys: NatsAuthKeys,
    private readonly server: { readonly url: string; readonly tls?: NatsClientTls },
    private readonly revocations: RecordRef<Revocations>,
    private readonly logger: Logger,
  ) {}

  /** undefined when the data dir has no keys (the operator runs its own accounts; agents then get no NATS user). */
  static async load(
    dataDir: string,
    server: { readonly url: string; readonly tls?: NatsClientTls },
    revocations: RecordRef<Revocations>,
    logger: Logger,
  ): Promise<ExternalNatsUsers | undefined> {
    const dir = join(dataDir, NATS_AUTH_DIR);
    if (!(await hasKeys(dir))) return undefined;
    return new ExternalNatsUsers(await loadOrCreateAuthKeys(dir), server, revocations, logger.child({ component: 'nats-users' }));
  }

  async issueAgentJwt(nkeyPublicKey: string, agentName: string, cluster: string): Promise<string> {
    const revoked = (await this.revocations.get())?.value ?? {};
    return issueAgentJwtAfterRevocation(this.keys, revoked, nkeyPublicKey, agentName, cluster);
  }

  /** Recorded first (a failed push is retried by the next revocation, and the record already refuses new JWTs), then pushed. */
  async revokeAgentKey(nkeyPublicKey: string): Promise<void> {
    if (!/^U[A-Z2-7]{55}$/.test(nkeyPublicKey)) throw new KubeadmHaError('not an nkey user public key');
    const stored = await this.revocations.update((current) => ({ ...(current ?? {}), [nkeyPublicKey]: Math.floor(Date.now() / 1000) }));
    const trust = await serverTrust(this.keys, stored?.value ?? {}, DEFAULT_RESOLVER_DIR);
    this.logger.info({ nkey: nkeyPublicKey }, 'revoking an agent NATS key on the NATS cluster');
    await pushAccountJwt(this.server, this.keys, trust.accountJwt, this.logger);
  }
}

/** The nats-server include for an external cluster: read it from `includePath`, never from the coordinator's logs. */
export async function readServerInclude(dataDir: string): Promise<string> {
  return readFile(join(dataDir, NATS_AUTH_DIR, SERVER_INCLUDE_FILE), 'utf8');
}
