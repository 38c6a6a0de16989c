/**
 * AgentService.Register: the one call an agent makes without a certificate. The bootstrap token authorizes it; nothing
 * is written anywhere before the token, the name, the CSR and the NATS key have all been checked.
 */
import { fromPublic } from '@nats-io/nkeys';
import { AuthError, PreconditionError, SpecError } from '../../core/errors.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import type { Logger } from '../../lib/log.js';
import type { RegisterRequest__Output } from '../../proto/generated/kubeadm_ha/v1/RegisterRequest.js';
import type { RegisterResponse } from '../../proto/generated/kubeadm_ha/v1/RegisterResponse.js';
import { roleFromProto, roleToProto, type NodeRole } from '../../proto/index.js';
import { signCsr, LEAF_VALIDITY_DAYS, type CertificateAuthority } from '../pki/ca.js';
import type { AgentRecord, AgentRegistryStore, BootstrapTokenVerifier } from './registry.js';
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
  readonly agentCertDays?: number;
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
  const problem = dns1123LabelProblem(name);
  if (problem) throw requestProblem(path, `${problem}; Kubernetes node names must be DNS-1123 labels, set nodeName in agent.yaml`);
  return name;
}

function checkNkey(key: string): void {
  if (!key) throw requestProblem('natsNkeyPublic', 'is required: the agent reads the backend set from NATS with this user key');
  let valid = key.startsWith('U');
  if (valid) {
    try {
      fromPublic(key);
    } catch {
      valid = false;
    }
  }
  if (!valid) throw requestProblem('natsNkeyPublic', 'is not a NATS user public nkey (U…)');
}

/** Returns the response, or throws one of our errors (mapped by status.ts), or returns a PERMISSION_DENIED status. */
export async function register(deps: RegisterDeps, req: RegisterRequest__Output): Promise<RegisterResponse | GrpcStatusError> {
  if (!req.bootstrapToken) throw new AuthError('Register needs a bootstrap token');
  const token = await deps.tokens.verify(req.bootstrapToken);
  if (!token) {
    deps.logger.warn({ hostname: req.facts?.hostname }, 'Register refused: bootstrap token unknown, expired or malformed');
    throw new AuthError('bootstrap token rejected: unknown, expired or malformed; create a new one with `coordinatorctl token create`');
  }

  const name = agentName(req);
  const hint = roleFromProto(req.roleHint);
  if (token.role && hint && token.role !== hint) {
    deps.logger.warn({ host: name, tokenId: token.tokenId, tokenRole: token.role, hint }, 'Register refused: role hint not allowed by token');
    return permissionDenied(`bootstrap token ${token.tokenId} admits ${token.role} nodes only, but this agent asks to be ${hint}`);
  }
  const role: NodeRole = token.role ?? hint ?? 'worker';
  checkNkey(req.natsNkeyPublic);
  if (deps.isConnected(name)) {
    throw new PreconditionError(`agent ${name} is connected right now; stop it (or remove the node) before registering another host under this name`);
  }

  const now = deps.now?.() ?? new Date();
  const issued = await signCsr(deps.ca, req.csrPem, { commonName: name, days: deps.agentCertDays ?? LEAF_VALIDITY_DAYS, now });
  const record: AgentRecord = {
    name,
    role,
    certFingerprint: issued.fingerprint,
    certSerial: issued.serialNumber,
    certNotAfter: issued.notAfter.toISOString(),
    natsNkeyPublic: req.natsNkeyPublic,
    facts: req.facts ?? emptyFacts(),
    agentVersion: req.agentVersion,
    registeredAt: now.toISOString(),
    tokenId: token.tokenId,
  };
  const cluster = await deps.clusterInfo();
  await deps.registry.put(record);
  deps.logger.info({ host: name, role, tokenId: token.tokenId, serial: issued.serialNumber }, 'agent registered');
  return {
    agentName: name,
    clientCertPem: issued.certPem,
    caCertPem: deps.ca.certPem,
    natsUrl: cluster.natsUrl,
    natsCaPem: cluster.natsCaPem ?? '',
    clusterName: cluster.clusterName,
    role: roleToProto(role),
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
