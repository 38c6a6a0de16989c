/**
 * The KV-backed implementations of what the gRPC layer and the deploy need: the agent registry (which also lets the
 * agent into NATS), node records, phase records for status, and the backend-set publisher.
 */
import type { BackendSet } from '../../core/backend-set.js';
import { PreconditionError, TimeoutError } from '../../core/errors.js';
import type { HostFacts__Output } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import type { BackendSets, ClusterProgress, NodeRecord as DeployNodeRecord } from '../workflow/ports.js';
import {
  withRenewedCertificate,
  type AgentRecord as GrpcAgentRecord,
  type AgentRegistryStore,
  type RenewedCertificate,
  type Tombstone,
} from '../grpc/registry.js';
import type { AgentUserDirectory } from '../nats/server.js';
import type { PhaseProgress, PhaseState } from '../workflow/phase.js';
import type { SessionHub } from '../sessions.js';
import type { BackendSetStore } from './backend-sets.js';
import { DELETE, UNCHANGED, type AgentRecord, type ClusterState } from './store.js';

export class KvAgentRegistry implements AgentRegistryStore {
  constructor(
    private readonly state: () => ClusterState,
    private readonly cluster: () => string,
    private readonly natsUsers: AgentUserDirectory | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * All or nothing. NATS first: an agent recorded but unable to read its backend set would look healthy and serve
   * stale routes. When the record cannot be written, the name's previous NATS key (or none) is put back, so a failed
   * Register leaves no user, key or record behind and never locks the previous host out.
   */
  async put(agent: GrpcAgentRecord): Promise<void> {
    const previous = (await this.state().agents.get(agent.name))?.value;
    await this.natsUsers?.addAgentUser(agent.natsNkeyPublic, agent.name, this.cluster());
    const record: AgentRecord = {
      name: agent.name,
      certSerial: agent.certSerial,
      certSha256: agent.certFingerprint,
      nkeyPublicKey: agent.natsNkeyPublic,
      roleHint: agent.role,
      registeredAt: agent.registeredAt,
      // Stored as reported and read back by toGrpc; the KV schema does not interpret host facts.
      facts: agent.facts as unknown as Record<string, unknown>,
      certNotAfter: agent.certNotAfter,
      agentVersion: agent.agentVersion,
      tokenId: agent.tokenId,
      ...(agent.previousCertFingerprint ? { previousCertSha256: agent.previousCertFingerprint } : {}),
    };
    try {
      await this.state().agents.put(agent.name, record);
    } catch (err) {
      if (previous) await this.natsUsers?.addAgentUser(previous.nkeyPublicKey, agent.name, this.cluster());
      else await this.natsUsers?.removeAgentUser(agent.natsNkeyPublic, this.cluster());
      throw err;
    }
    // A revocation that landed while this registration ran wins: the name is not let back in behind its back.
    const tombstone = (await this.state().tombstones.get(agent.name))?.value;
    if (tombstone && Date.parse(tombstone.revokedAt) >= Date.parse(agent.registeredAt)) {
      await this.natsUsers?.removeAgentUser(agent.name, this.cluster());
      await this.state().agents.delete(agent.name);
      throw new PreconditionError(`${agent.name} was revoked while it registered; it needs a token created after that`);
    }
    // Best effort: the registration stands either way, and Register refuses nothing a stale tombstone would not.
    if (tombstone) {
      await this.state()
        .tombstones.update(agent.name, (current) => (current && Date.parse(current.revokedAt) < Date.parse(agent.registeredAt) ? DELETE : UNCHANGED))
        .catch(() => undefined);
    }
  }

  async get(name: string): Promise<GrpcAgentRecord | undefined> {
    const stored = await this.state().agents.get(name);
    return stored ? toGrpc(stored.value) : undefined;
  }

  async list(): Promise<GrpcAgentRecord[]> {
    return [...(await this.state().agents.list()).values()].map((v) => toGrpc(v.value)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Compare-and-set on the record: a revocation (which deletes it) or a new registration that lands meanwhile wins, and
   * the renewal is refused. The NATS user is the agent's nkey, not its certificate, so it is left as it is.
   */
  async renewCertificate(name: string, presented: string, renewed: RenewedCertificate): Promise<boolean> {
    let renewedRecord = false;
    await this.state().agents.update(name, (current) => {
      const next = current ? withRenewedCertificate(toGrpc(current), presented, renewed) : undefined;
      renewedRecord = next !== undefined;
      if (!current || !next) return UNCHANGED;
      return {
        ...current,
        certSha256: next.certFingerprint,
        certSerial: next.certSerial,
        certNotAfter: next.certNotAfter,
        previousCertSha256: presented,
      };
    });
    return renewedRecord;
  }

  async retirePreviousCertificate(name: string, current: string): Promise<void> {
    await this.state().agents.update(name, (record) => {
      if (!record || record.certSha256 !== current || !record.previousCertSha256) return UNCHANGED;
      const { previousCertSha256: _retired, ...rest } = record;
      return rest;
    });
  }

  async tombstone(name: string): Promise<Tombstone | undefined> {
    const stored = (await this.state().tombstones.get(name))?.value;
    return stored ? { revokedAt: new Date(stored.revokedAt), reason: stored.reason } : undefined;
  }

  /**
   * Revokes an agent: the tombstone first (so nothing re-registers the name with an old token while this runs), then
   * its NATS user (the server closes its connections on the reload), then its record, after which its certificate no
   * longer opens a Session (auth.ts). Returns whether it was registered.
   */
  async revoke(name: string, reason: string): Promise<boolean> {
    await this.state().tombstones.put(name, { name, revokedAt: this.now().toISOString(), reason });
    await this.natsUsers?.removeAgentUser(name, this.cluster());
    const existed = (await this.state().agents.get(name)) !== undefined;
    await this.state().agents.delete(name);
    return existed;
  }
}

function toGrpc(r: AgentRecord): GrpcAgentRecord {
  return {
    name: r.name,
    role: r.roleHint ?? 'worker',
    certFingerprint: r.certSha256 ?? '',
    previousCertFingerprint: r.previousCertSha256 ?? '',
    certSerial: r.certSerial,
    certNotAfter: r.certNotAfter ?? '',
    natsNkeyPublic: r.nkeyPublicKey,
    facts: r.facts as unknown as HostFacts__Output,
    agentVersion: r.agentVersion ?? '',
    registeredAt: r.registeredAt,
    tokenId: r.tokenId ?? '',
  };
}

export class KvClusterProgress implements ClusterProgress, PhaseProgress {
  constructor(private readonly state: ClusterState) {}

  async node(name: string): Promise<DeployNodeRecord | undefined> {
    return (await this.state.nodes.get(name))?.value;
  }
  async putNode(record: DeployNodeRecord): Promise<void> {
    await this.state.nodes.put(record.name, { ...record });
  }
  async deleteNode(name: string): Promise<void> {
    await this.state.nodes.delete(name);
  }
  async recordPhase(phase: string, state: PhaseState, message: string): Promise<void> {
    const now = new Date().toISOString();
    await this.state.phases.update(phase, (current) => ({
      phase,
      status: state === 'running' ? 'running' : state === 'failed' ? 'failed' : 'done',
      attempts: (current?.attempts ?? 0) + (state === 'running' ? 1 : 0),
      ...(state === 'running' ? { startedAt: now } : { startedAt: current?.startedAt ?? now, finishedAt: now }),
      ...(state === 'failed' ? { error: message } : {}),
      outcome: state,
      message,
    }));
  }
}

/** The cluster's backend set in the kha-lb bucket, changed only by compare-and-set transitions. */
export class KvBackendSets implements BackendSets {
  constructor(
    private readonly sets: BackendSetStore,
    private readonly cluster: string,
    private readonly hub: SessionHub,
  ) {}

  current(): Promise<BackendSet> {
    return this.sets.current(this.cluster);
  }

  update(transition: (current: BackendSet) => BackendSet): Promise<BackendSet> {
    return this.sets.update(this.cluster, transition);
  }

  /** Waits until each agent reports the version live (Hello or LbApplied); agents that are gone make it time out. */
  waitApplied(version: number, agents: readonly string[], timeoutMs: number): Promise<void> {
    const lagging = () => agents.filter((a) => (this.hub.appliedLbVersions().get(a) ?? 0) < version);
    if (lagging().length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onApplied = () => {
        if (lagging().length > 0) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError(`backend set v${version} not applied within ${timeoutMs} ms by ${lagging().join(', ')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.hub.off('lbApplied', onApplied);
      };
      this.hub.on('lbApplied', onApplied);
    });
  }
}
