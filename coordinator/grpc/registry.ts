/**
 * What the gRPC layer needs from the rest of the coordinator to let agents in: a way to check bootstrap tokens and a
 * place to persist who registered. Production backs both with NATS KV; the in-memory registry serves tests and
 * `--dry-run` style tools.
 */
import type { HostFacts__Output } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import type { NodeRole } from '../../proto/index.js';

/** What a valid bootstrap token admits. */
export interface TokenGrant {
  /** The public id part ("abcdef" of "abcdef.0123456789abcdef"); safe to log. */
  readonly tokenId: string;
  /** The role it admits, authoritatively: an agent's hint may lower it, never raise it. */
  readonly role: NodeRole;
  /** Bound to this node name (`token create --node-name`): the only name it registers, and the one it may take over. */
  readonly nodeName?: string;
  /** A removed node's tombstone yields only to tokens created after it. */
  readonly createdAt: Date;
}

export interface BootstrapTokenVerifier {
  /** null for unknown, expired, used-up or malformed tokens; takes no use. Must not throw for a merely wrong token. */
  check(token: string): Promise<TokenGrant | null>;
  /** Takes one use, atomically; false when it was used up, expired or deleted since check(). */
  consume(tokenId: string): Promise<boolean>;
  /** Gives a use back after a registration that failed once it had taken it. */
  refund(tokenId: string): Promise<void>;
}

/** Left by a revocation (remove-node, reset, `nodes forget`). */
export interface Tombstone {
  readonly revokedAt: Date;
  readonly reason: string;
}

export interface AgentRecord {
  readonly name: string;
  readonly role: NodeRole;
  /** sha256 hex of the client certificate's DER. Only this exact certificate opens a Session for this name. */
  readonly certFingerprint: string;
  /**
   * The certificate a renewal replaced, accepted until the renewed one (certFingerprint) first opens a Session: an
   * agent that crashed before storing its renewed certificate is not locked out. Empty/absent otherwise.
   */
  readonly previousCertFingerprint?: string;
  readonly certSerial: string;
  /** RFC 3339 */
  readonly certNotAfter: string;
  readonly natsNkeyPublic: string;
  readonly facts: HostFacts__Output;
  readonly agentVersion: string;
  /** RFC 3339 */
  readonly registeredAt: string;
  readonly tokenId: string;
}

export interface AgentRegistryStore {
  /**
   * Records the agent, all or nothing: when it fails, the previous registration of the name (or none) is what stays.
   * A previous registration's NATS key, when the new one differs, is revoked. Clears the name's tombstone.
   */
  put(agent: AgentRecord): Promise<void>;
  /**
   * A fresh NATS user JWT for the registered agent's key (read access to its cluster's backend set), or undefined when
   * the name is not registered or the coordinator's NATS does not issue JWTs (an external cluster: the operator's).
   * Who may cause it: Register (for the agent it just recorded) and a Session start (for the authenticated agent).
   */
  natsUserJwt(name: string): Promise<string | undefined>;
  get(name: string): Promise<AgentRecord | undefined>;
  list(): Promise<AgentRecord[]>;
  tombstone(name: string): Promise<Tombstone | undefined>;
  /**
   * Records a renewed certificate for a registered name, atomically, if `presented` (the certificate of the session
   * the renewal came over) is still the name's current or previous certificate; `presented` becomes the previous one.
   * false when the name is not registered (revoked) or was registered again meanwhile: nothing is changed.
   */
  renewCertificate(name: string, presented: string, renewed: RenewedCertificate): Promise<boolean>;
  /** The renewed certificate `current` opened a Session: the one it replaced stops working. */
  retirePreviousCertificate(name: string, current: string): Promise<void>;
}

export interface RenewedCertificate {
  readonly fingerprint: string;
  readonly serial: string;
  /** RFC 3339 */
  readonly notAfter: string;
}

/** The record after a renewal, or undefined when `presented` no longer belongs to it. Shared by both registries. */
export function withRenewedCertificate(current: AgentRecord | undefined, presented: string, renewed: RenewedCertificate): AgentRecord | undefined {
  if (!current || !presented || (current.certFingerprint !== presented && current.previousCertFingerprint !== presented)) return undefined;
  return {
    ...current,
    certFingerprint: renewed.fingerprint,
    certSerial: renewed.serial,
    certNotAfter: renewed.notAfter,
    previousCertFingerprint: presented,
  };
}

export class InMemoryAgentRegistry implements AgentRegistryStore {
  private readonly agents = new Map<string, AgentRecord>();
  readonly tombstones = new Map<string, Tombstone>();

  async put(agent: AgentRecord): Promise<void> {
    this.agents.set(agent.name, agent);
    this.tombstones.delete(agent.name);
  }

  async tombstone(name: string): Promise<Tombstone | undefined> {
    return this.tombstones.get(name);
  }

  /** No NATS here: nothing to issue. */
  async natsUserJwt(_name: string): Promise<string | undefined> {
    return undefined;
  }

  async get(name: string): Promise<AgentRecord | undefined> {
    return this.agents.get(name);
  }

  async list(): Promise<AgentRecord[]> {
    return [...this.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async renewCertificate(name: string, presented: string, renewed: RenewedCertificate): Promise<boolean> {
    const next = withRenewedCertificate(this.agents.get(name), presented, renewed);
    if (next) this.agents.set(name, next);
    return next !== undefined;
  }

  async retirePreviousCertificate(name: string, current: string): Promise<void> {
    const record = this.agents.get(name);
    if (record?.certFingerprint === current && record.previousCertFingerprint) this.agents.set(name, { ...record, previousCertFingerprint: '' });
  }

  /** Forgets the record as a lost registry would: no tombstone. */
  async delete(name: string): Promise<boolean> {
    return this.agents.delete(name);
  }

  /** Forgets the record as a revocation does: with a tombstone. */
  async revoke(name: string, reason: string): Promise<boolean> {
    this.tombstones.set(name, { revokedAt: new Date(), reason });
    return this.agents.delete(name);
  }
}
