/**
 * AgentService.Register: the one call an agent makes without a certificate. The bootstrap token authorizes it; nothing
 * is written anywhere before the token, the name, the CSR and the NATS key have all been checked, and a failure after
 * that leaves the previous state: the token use is given back and the registry restores the name's NATS user.
 */
import { fromPublic } from '@nats-io/nkeys';
import { clip } from '../../core/clip.js';
import { AuthError, PreconditionError, SpecError } from '../../core/errors.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import type { Logger } from '../../lib/log.js';
import type { RegisterRequest__Output } from '../../proto/generated/kubeadm_ha/v1/RegisterRequest.js';
import type { RegisterResponse } from '../../proto/generated/kubeadm_ha/v1/RegisterResponse.js';
import { roleFromProto, roleToProto, type NodeRole } from '../../proto/index.js';
import { signCsr, LEAF_VALIDITY_DAYS, type CertificateAuthority } from '../pki/ca.js';
import type { AgentRecord, AgentRegistryStore, BootstrapTokenVerifier, TokenGrant } from './registry.js';
import { permissionDenied, type GrpcStatusError } from '../../lib/grpc/status.js';

export interface ClusterInfo {
  readonly clusterName: string;
  /** What agents dial for the backend set, e.g. tls://198.18.0.2:4222. */
  readonly natsUrl: string;
  /**
   * The CA of an external NATS cluster (--nats-ca), handed to agents to verify it. Absent with the embedded server,
   * whose certificate the coordinator CA issued: agents verify it against the CA they pinned.
   */
  readonly natsCaPem?: string;
}

export interface RegisterDeps {
  readonly ca: CertificateAuthority;
  readonly tokens: BootstrapTokenVerifier;
  readonly registry: AgentRegistryStore;
  readonly clusterInfo: () => ClusterInfo | Promise<ClusterInfo>;
  /** A live session of the same name blocks re-registration, so a leaked token cannot take over a working node. */
  readonly isConnected: (agentName: string) => boolean;
  /** The name's role in the deployed spec, if it is in it: a spec'd control-plane name needs a control-plane token. */
  readonly specRole: (agentName: string) => Promise<NodeRole | undefined>;
  /** The lifetime of agent client certificates; default LEAF_VALIDITY_DAYS. */
  readonly agentCertTtlMs?: number;
  readonly logger: Logger;
  readonly now?: () => Date;
}

function requestProblem(path: string, message: string): SpecError {
  return new SpecError('Register request', [{ path, message }]);
}

function agentName(req: RegisterRequest__Output): string {
  const requested = req.requestedName.trim();
  const name = requested || (req.facts?.hostname ?? '').trim().toLowerCase();
  const path = requested ? 'requestedName' : 'facts.hostname';
  if (!name) throw requestProblem('requestedName', 'is empty and the host reported no hostname; set nodeName in agent.yaml');
  // The problem shows the name clipped (core/clip.ts): it is whatever an unauthenticated caller sent, up to 64 KiB.
  const problem = dns1123LabelProblem(name);
  if (problem) throw requestProblem(path, `${problem}; Kubernetes node names must be DNS-1123 labels, set nodeName in agent.yaml`);
  return name;
}

function checkNkey(key: string): void {
  if (!key) throw requestProblem('natsNkeyPublic', 'is required: the agent reads the backend set from NATS with this user key');
  // A public nkey is 56 base32 characters; anything else is refused before it is decoded, and never echoed.
  let valid = key.length === 56 && key.startsWith('U');
  if (valid) {
    try {
      fromPublic(key);
    } catch {
      valid = false;
    }
  }
  if (!valid) throw requestProblem('natsNkeyPublic', 'is not a NATS user public nkey (U…)');
}

/**
 * Names being registered right now: one Register per name at a time, so two hosts racing for one name cannot both
 * pass the checks and overwrite each other's NATS key.
 */
const registering = new Set<string>();

/**
 * Returns the response, or throws one of our errors (mapped by lib/grpc/status.ts), or returns a PERMISSION_DENIED
 * status. Who may cause it: anyone who can reach the port; what it reaches: with a valid token, one registry record,
 * one NATS user with read access to the backend set, and a client certificate for the name the token admits.
 */
export async function register(deps: RegisterDeps, req: RegisterRequest__Output): Promise<RegisterResponse | GrpcStatusError> {
  if (!req.bootstrapToken) throw new AuthError('Register needs a bootstrap token');
  const token = await deps.tokens.check(req.bootstrapToken);
  if (!token) {
    deps.logger.warn({ hostname: clip(req.facts?.hostname ?? '') }, 'Register refused: bootstrap token unknown, expired, used up or malformed');
    throw new AuthError('bootstrap token rejected: unknown, expired, used up or malformed; create a new one with `coordinatorctl token create`');
  }

  const name = agentName(req);
  // Every check and write for a name under one lock: a request that saw the name free cannot write after another
  // registration of it has finished.
  if (registering.has(name)) throw new PreconditionError(`another registration of ${name} is in progress; retry in a moment`);
  registering.add(name);
  try {
    return await registerName(deps, req, token, name);
  } finally {
    registering.delete(name);
  }
}

async function registerName(deps: RegisterDeps, req: RegisterRequest__Output, token: TokenGrant, name: string): Promise<RegisterResponse | GrpcStatusError> {
  const refuse = (message: string, why: string) => {
    deps.logger.warn({ host: name, tokenId: token.tokenId, tokenRole: token.role }, `Register refused: ${why}`);
    return permissionDenied(message);
  };
  if (token.nodeName !== undefined && token.nodeName !== name) {
    return refuse(`bootstrap token ${token.tokenId} is bound to node ${token.nodeName}; this agent asks to be ${name}`, 'token bound to another name');
  }
  const hint = roleFromProto(req.roleHint);
  if (hint === 'control-plane' && token.role !== 'control-plane') {
    return refuse(
      `bootstrap token ${token.tokenId} admits worker nodes only, but this agent asks to be control-plane; create one with \`coordinatorctl token create --role control-plane\``,
      'role hint above the token',
    );
  }
  // The token's role is authoritative; the agent's own hint can only lower it.
  const role: NodeRole = hint === 'worker' ? 'worker' : token.role;
  if ((await deps.specRole(name)) === 'control-plane' && token.role !== 'control-plane') {
    return refuse(
      `${name} is a control-plane node of the deployed spec; only a control-plane token (\`coordinatorctl token create --role control-plane\`) may register it`,
      'spec control-plane name with a worker token',
    );
  }
  checkNkey(req.natsNkeyPublic);
  if (deps.isConnected(name)) {
    throw new PreconditionError(`agent ${name} is connected right now; stop it (or remove the node) before registering another host under this name`);
  }
  const existing = await deps.registry.get(name);
  if (existing && token.nodeName !== name) {
    return refuse(
      `${name} is already registered; to replace that host, register with a token bound to it: \`coordinatorctl token create --node-name ${name}\``,
      'name already registered',
    );
  }
  const tombstone = await deps.registry.tombstone(name);
  if (tombstone && token.createdAt.getTime() <= tombstone.revokedAt.getTime()) {
    return refuse(
      `${name} was revoked (${tombstone.reason}) at ${tombstone.revokedAt.toISOString()}; only a token created after that may register it again`,
      'revoked name with an older token',
    );
  }
  const now = deps.now?.() ?? new Date();
  // Signed before the token use is taken: a bad CSR costs the operator nothing.
  const issued = await signCsr(deps.ca, req.csrPem, { commonName: name, validityMs: deps.agentCertTtlMs ?? LEAF_VALIDITY_DAYS * 86_400_000, now });
  const cluster = await deps.clusterInfo();
  if (!(await deps.tokens.consume(token.tokenId))) {
    throw new AuthError('bootstrap token rejected: it was used up or deleted meanwhile; create a new one with `coordinatorctl token create`');
  }
  const record: AgentRecord = {
    name,
    role,
    certFingerprint: issued.fingerprint,
    certSerial: issued.serialNumber,
    certNotAfter: issued.notAfter.toISOString(),
    natsNkeyPublic: req.natsNkeyPublic,
    facts: req.facts ?? emptyFacts(),
    agentVersion: clip(req.agentVersion, 64),
    registeredAt: now.toISOString(),
    tokenId: token.tokenId,
  };
  try {
    await deps.registry.put(record);
  } catch (err) {
    await deps.tokens.refund(token.tokenId).catch((refundErr: unknown) => deps.logger.warn({ err: String(refundErr) }, 'cannot give the token use back'));
    throw err;
  }
  deps.logger.info({ host: name, role, tokenId: token.tokenId, serial: issued.serialNumber, replaced: existing !== undefined }, 'agent registered');
  const natsUserJwt = (await deps.registry.natsUserJwt(name)) ?? '';
  return {
    agentName: name,
    clientCertPem: issued.certPem,
    caCertPem: deps.ca.certPem,
    natsUrl: cluster.natsUrl,
    natsCaPem: cluster.natsCaPem ?? '',
    clusterName: cluster.clusterName,
    role: roleToProto(role),
    natsUserJwt,
  };
}

function emptyFacts(): AgentRecord['facts'] {
  return {
    hostname: '',
    addresses: [],
    interfaces: [],
    kernel: '',
    osRelease: '',
    kubeadmVersion: '',
    kubeletVersion: '',
    cri: null,
    kubeletInstalledByPackageManager: false,
    swapOn: false,
    arch: '',
    cpus: 0,
    memoryBytes: 0,
    timeSynchronized: false,
    machineId: '',
  };
}
