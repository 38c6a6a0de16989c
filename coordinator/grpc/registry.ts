/**
 * What the gRPC layer needs from the rest of the coordinator to let agents in: a way to check bootstrap tokens and a
 * place to persist who registered. Production backs both with NATS KV; the in-memory registry serves tests and
 * `--dry-run` style tools.
 */
import type { HostFacts__Output } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import type { NodeRole } from '../../proto/index.js';

export interface VerifiedBootstrapToken {
  /** The public id part ("abcdef" of "abcdef.0123456789abcdef"); safe to log. */
  readonly tokenId: string;
  /** A token minted for one role only admits agents of that role. */
  readonly role?: NodeRole;
}

export interface BootstrapTokenVerifier {
  /** null for unknown, expired or malformed tokens. Must not throw for a merely wrong token. */
  verify(token: string): Promise<VerifiedBootstrapToken | null>;
}

export interface AgentRecord {
  readonly name: string;
  readonly role: NodeRole;
  /** sha256 hex of the client certificate's DER. Only this exact certificate opens a Session for this name. */
  readonly certFingerprint: string;
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
  put(agent: AgentRecord): Promise<void>;
  get(name: string): Promise<AgentRecord | undefined>;
  list(): Promise<AgentRecord[]>;
}

export class InMemoryAgentRegistry implements AgentRegistryStore {
  private readonly agents = new Map<string, AgentRecord>();

  async put(agent: AgentRecord): Promise<void> {
    this.agents.set(agent.name, agent);
  }

  async get(name: string): Promise<AgentRecord | undefined> {
    return this.agents.get(name);
  }

  async list(): Promise<AgentRecord[]> {
    return [...this.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async delete(name: string): Promise<boolean> {
    return this.agents.delete(name);
  }
}
