/**
 * The coordinator's state in JetStream KV: `kha-state` for the spec, nodes, phase progress, bootstrap
 * token records and registered agents; `kha-lb` for the backend sets agents watch. File storage; R1 on
 * the embedded server, R3 when the operator points the coordinator at a NATS cluster.
 */
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { z } from 'zod';
import { specFromObject, specToObject, type ClusterSpec } from '../../core/spec.js';
import { LB_BUCKET, STATE_BUCKET } from '../../lib/nats/names.js';
import { BackendSetStore } from './backend-sets.js';
import { clusterPrefix, collectionPrefix, natsRevocationsKey, operationKey, recordKey, specKey, type CollectionKind } from './keys.js';
import {
  agentKeyRecordSchema,
  agentRecordSchema,
  nodeRecordSchema,
  operationRecordSchema,
  phaseRecordSchema,
  tokenRecordSchema,
  natsRevocationsSchema,
  tombstoneRecordSchema,
  type AgentKeyRecord,
  type AgentRecord,
  type NodeRecord,
  type OperationRecord,
  type PhaseRecord,
  type TokenRecord,
  type TombstoneRecord,
} from './records.js';
import { TypedKv, type PutOptions, type RecordCodec, type UpdateOptions, type UpdateResult, type Versioned, type WriteGuard } from './typed-kv.js';

export { BackendSetStore, type StoredBackendSet } from './backend-sets.js';
export { DELETE, UNCHANGED, type PutOptions, type UpdateOptions, type UpdateResult, type Versioned } from './typed-kv.js';
export type { AgentRecord, NodeRecord, OperationRecord, PhaseRecord, TokenRecord, TombstoneRecord } from './records.js';

export interface StateStoreOptions {
  /** 1 on a single server; 3 on a NATS cluster. Only applies when the buckets are created. */
  readonly replicas?: number;
  /** Revisions kept per key; the store itself only needs the latest (CAS uses the revision). */
  readonly stateHistory?: number;
  readonly lbHistory?: number;
  /** JetStream API timeout. */
  readonly timeoutMs?: number;
  /** Checked before every write of state and backend sets (not of the leader lease): see typed-kv.ts WriteGuard. */
  readonly writeGuard?: WriteGuard;
}

/** One record at a fixed key (the cluster spec). */
export class RecordRef<T> {
  constructor(
    private readonly tkv: TypedKv,
    readonly key: string,
    private readonly codec: RecordCodec<T>,
  ) {}

  async get(): Promise<Versioned<T> | undefined> {
    return this.tkv.get(this.key, this.codec);
  }
  async put(value: T, opts?: PutOptions): Promise<number> {
    return this.tkv.put(this.key, value, this.codec, opts);
  }
  async update(fn: (current: T | undefined) => UpdateResult<T>, opts?: UpdateOptions): Promise<Versioned<T> | undefined> {
    return this.tkv.update(this.key, this.codec, fn, opts);
  }
  async delete(opts?: PutOptions): Promise<void> {
    return this.tkv.delete(this.key, opts);
  }
}

/** Records of one kind in one cluster, by id (node name, phase id, token id, agent name). */
export class RecordCollection<T> {
  constructor(
    private readonly tkv: TypedKv,
    private readonly cluster: string,
    private readonly kind: CollectionKind,
    private readonly codec: RecordCodec<T>,
  ) {}

  async get(id: string): Promise<Versioned<T> | undefined> {
    return this.tkv.get(recordKey(this.cluster, this.kind, id), this.codec);
  }
  async put(id: string, value: T, opts?: PutOptions): Promise<number> {
    return this.tkv.put(recordKey(this.cluster, this.kind, id), value, this.codec, opts);
  }
  /** Fails with StateConflictError when the id is already taken. */
  async create(id: string, value: T): Promise<number> {
    return this.put(id, value, { expectedRevision: 0 });
  }
  async update(id: string, fn: (current: T | undefined) => UpdateResult<T>, opts?: UpdateOptions): Promise<Versioned<T> | undefined> {
    return this.tkv.update(recordKey(this.cluster, this.kind, id), this.codec, fn, opts);
  }
  async delete(id: string, opts?: PutOptions): Promise<void> {
    return this.tkv.delete(recordKey(this.cluster, this.kind, id), opts);
  }
  async ids(): Promise<string[]> {
    const prefix = `${collectionPrefix(this.cluster, this.kind)}.`;
    return (await this.tkv.keys(`${prefix}*`)).map((k) => k.slice(prefix.length));
  }
  /** Every live record, by id. Records deleted between listing and reading are left out. */
  async list(): Promise<Map<string, Versioned<T>>> {
    const ids = await this.ids();
    const values = await Promise.all(ids.map((id) => this.get(id)));
    const out = new Map<string, Versioned<T>>();
    ids.forEach((id, i) => {
      const v = values[i];
      if (v) out.set(id, v);
    });
    return out;
  }
}

/** Everything the coordinator stores about one cluster. */
export interface ClusterState {
  readonly spec: RecordRef<ClusterSpec>;
  /** The operation that holds (or last held) the turn: what a restarted coordinator resumes. */
  readonly operation: RecordRef<OperationRecord>;
  readonly nodes: RecordCollection<NodeRecord>;
  readonly phases: RecordCollection<PhaseRecord>;
  readonly tokens: RecordCollection<TokenRecord>;
  readonly agents: RecordCollection<AgentRecord>;
  /** NATS user key → the agent holding it (records.ts agentKeyRecordSchema). */
  readonly agentKeys: RecordCollection<AgentKeyRecord>;
  readonly tombstones: RecordCollection<TombstoneRecord>;
  /** Agent NATS keys revoked on an external cluster, and when (nats/external-auth.ts): shared by every coordinator. */
  readonly natsRevocations: RecordRef<Readonly<Record<string, number>>>;
}

export class StateStore {
  readonly backendSets: BackendSetStore;
  private readonly tkv: TypedKv;

  private constructor(
    readonly stateKv: KV,
    readonly lbKv: KV,
    writeGuard?: WriteGuard,
  ) {
    this.tkv = new TypedKv(stateKv, STATE_BUCKET, writeGuard);
    this.backendSets = new BackendSetStore(lbKv, writeGuard);
  }

  /** Opens both buckets, creating them on first use. */
  static async open(nc: NatsConnection, opts: StateStoreOptions = {}): Promise<StateStore> {
    const kvm = new Kvm(jetstream(nc, { timeout: opts.timeoutMs ?? 5000 }));
    const common = { replicas: opts.replicas ?? 1, storage: 'file' as const };
    const stateKv = await kvm.create(STATE_BUCKET, { ...common, history: opts.stateHistory ?? 5, description: 'kubeadm-ha coordinator state' });
    const lbKv = await kvm.create(LB_BUCKET, { ...common, history: opts.lbHistory ?? 10, description: 'kubeadm-ha load balancer backend sets' });
    return new StateStore(stateKv, lbKv, opts.writeGuard);
  }

  cluster(name: string): ClusterState {
    clusterPrefix(name);
    return {
      spec: new RecordRef(this.tkv, specKey(name), specCodec),
      operation: new RecordRef(this.tkv, operationKey(name), zodCodec(operationRecordSchema)),
      nodes: new RecordCollection(this.tkv, name, 'nodes', zodCodec(nodeRecordSchema)),
      phases: new RecordCollection(this.tkv, name, 'phases', zodCodec(phaseRecordSchema)),
      tokens: new RecordCollection(this.tkv, name, 'tokens', zodCodec(tokenRecordSchema)),
      agents: new RecordCollection(this.tkv, name, 'agents', zodCodec(agentRecordSchema)),
      agentKeys: new RecordCollection(this.tkv, name, 'agentKeys', zodCodec(agentKeyRecordSchema)),
      natsRevocations: new RecordRef(this.tkv, natsRevocationsKey(name), zodCodec(natsRevocationsSchema)),
      tombstones: new RecordCollection(this.tkv, name, 'tombstones', zodCodec(tombstoneRecordSchema)),
    };
  }

  /** Clusters that have a stored spec. */
  async clusters(): Promise<string[]> {
    return (await this.tkv.keys('clusters.*.spec')).map((k) => k.split('.')[1] ?? '').filter(Boolean);
  }
}

export function zodCodec<S extends z.ZodType>(schema: S): RecordCodec<z.infer<S>> {
  return {
    toJson: (value) => schema.parse(value),
    fromJson: (json) => schema.parse(json) as z.infer<S>,
  };
}

/** The spec is stored in its user-facing shape and re-validated by the same code that read cluster.yaml. */
const specCodec: RecordCodec<ClusterSpec> = {
  toJson: (spec) => specToObject(spec),
  fromJson: (json, key) => specFromObject(json, `${STATE_BUCKET} ${key}`),
};
