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
   * All or nothing: the record is the registration, and NATS needs no change to let the agent in (its user JWT is a
   * signature, natsUserJwt). A previous registration of the name under another NATS key is revoked once the new record
   * stands, so a reinstalled host does not leave a second identity behind.
   */
  async put(agent: GrpcAgentRecord): Promise<void> {
    const previous = (await this.state().agents.get(agent.name))?.value;
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
    const claimed = await this.claimKey(agent.natsNkeyPublic, agent.name);
    try {
      await this.state().agents.put(agent.name, record);
    } catch (err) {
      if (claimed) await this.releaseKey(agent.natsNkeyPublic, agent.name).catch(() => undefined);
      throw err;
    }
    if (previous && previous.nkeyPublicKey !== agent.natsNkeyPublic) {
      await this.natsUsers?.revokeAgentKey(previous.nkeyPublicKey);
      await this.releaseKey(previous.nkeyPublicKey, agent.name);
    }
    // A revocation that landed while this registration ran wins: the name is not let back in behind its back.
    const tombstone = (await this.state().tombstones.get(agent.name))?.value;
    if (tombstone && Date.parse(tombstone.revokedAt) >= Date.parse(agent.registeredAt)) {
      await this.natsUsers?.revokeAgentKey(agent.natsNkeyPublic);
      await this.state().agents.delete(agent.name);
      await this.releaseKey(agent.natsNkeyPublic, agent.name);
      throw new PreconditionError(`${agent.name} was revoked while it registered; it needs a token created after that`);
    }
    // Best effort: the registration stands either way, and Register refuses nothing a stale tombstone would not.
    if (tombstone) {
      await this.state()
        .tombstones.update(agent.name, (current) => (current && Date.parse(current.revokedAt) < Date.parse(agent.registeredAt) ? DELETE : UNCHANGED))
        .catch(() => undefined);
    }
  }

  /**
   * One key, one agent: a host presenting another agent's NATS key (copied from its state dir) is refused, or
   * revoking either would cut off both. Returns whether this call took the key (false: the agent already held it). An
   * index entry whose agent no longer holds that key (a revocation cut short) is taken over.
   */
  private async claimKey(key: string, name: string): Promise<boolean> {
    const owner = (await this.state().agentKeys.get(key))?.value;
    if (owner?.name === name) return false;
    if (owner && (await this.state().agents.get(owner.name))?.value.nkeyPublicKey === key) {
      throw new PreconditionError(`agent "${name}": its NATS key is already the key of agent "${owner.name}"; every host makes its own`);
    }
    await this.state().agentKeys.put(key, { name });
    return true;
  }

  private async releaseKey(key: string, name: string): Promise<void> {
    await this.state().agentKeys.update(key, (owner) => (owner?.name === name ? DELETE : UNCHANGED));
  }

  /**
   * Indexes the keys of agents registered before the key index existed; run once at start, and costs a read per agent
   * only then. Best effort: a key already indexed to another agent is left alone (and logged by the caller).
   */
  async indexAgentKeys(): Promise<string[]> {
    const conflicts: string[] = [];
    for (const stored of (await this.state().agents.list()).values()) {
      const { name, nkeyPublicKey } = stored.value;
      await this.state()
        .agentKeys.update(nkeyPublicKey, (owner) => (owner ? UNCHANGED : { name }))
        .then((owner) => {
          if (owner && owner.value.name !== name) conflicts.push(`${name} and ${owner.value.name} share a NATS key`);
        });
    }
    return conflicts;
  }

  /**
   * A user JWT for the agent's registered key, or none while a revocation of the name is under way. revoke() writes
   * the tombstone before it revokes the key and deletes the record, so a JWT signed in that window would outlive both
   * (it would be issued after the key's revocation second, and nothing could revoke the key again once the record is
   * gone): the tombstone is read before signing, and record and tombstone again after, and a JWT signed across a
   * change is thrown away. A revocation that starts after that second read revokes the key at a second no earlier
   * than the JWT's, which the server then refuses.
   */
  async natsUserJwt(name: string): Promise<string | undefined> {
    if (!this.natsUsers) return undefined;
    const revoking = async (record: AgentRecord) => {
      const tombstone = (await this.state().tombstones.get(name))?.value;
      return tombstone !== undefined && Date.parse(tombstone.revokedAt) >= Date.parse(record.registeredAt);
    };
    const record = (await this.state().agents.get(name))?.value;
    if (!record || (await revoking(record))) return undefined;
    const jwt = await this.natsUsers.issueAgentJwt(record.nkeyPublicKey, record.name, this.cluster());
    const after = (await this.state().agents.get(name))?.value;
    if (!after || after.nkeyPublicKey !== record.nkeyPublicKey || after.registeredAt !== record.registeredAt || (await revoking(after))) return undefined;
    return jwt;
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
   * its NATS key (the server closes its connections once it loads the revocation), then its record, after which its
   * certificate no longer opens a Session (auth.ts). Returns whether it was registered.
   */
  async revoke(name: string, reason: string): Promise<boolean> {
    await this.state().tombstones.put(name, { name, revokedAt: this.now().toISOString(), reason });
    const record = (await this.state().agents.get(name))?.value;
    if (record) await this.natsUsers?.revokeAgentKey(record.nkeyPublicKey);
    await this.state().agents.delete(name);
    if (record) await this.releaseKey(record.nkeyPublicKey, name);
    return record !== undefined;
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

/** Which coordinator acts, and in which term of the leader lease: written into every phase record it makes. */
export type PhaseOwner = () => { readonly coordinator: string; readonly term: number };

export class KvClusterProgress implements ClusterProgress, PhaseProgress {
  constructor(
    private readonly state: ClusterState,
    private readonly owner: PhaseOwner = () => ({ coordinator: '', term: 0 }),
  ) {}

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
    const { coordinator, term } = this.owner();
    await this.state.phases.update(phase, (current) => ({
      phase,
      status: state === 'running' ? 'running' : state === 'failed' ? 'failed' : 'done',
      attempts: (current?.attempts ?? 0) + (state === 'running' ? 1 : 0),
      ...(state === 'running' ? { startedAt: now } : { startedAt: current?.startedAt ?? now, finishedAt: now }),
      ...(state === 'failed' ? { error: message } : {}),
      outcome: state,
      message,
      ...(coordinator ? { owner: coordinator, term } : {}),
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
