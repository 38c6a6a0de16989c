/**
 * The live pieces the admin service, the actions and auto-join work with, as interfaces. The daemon wires the
 * concrete ones (SessionHub, the KV adapters, the operation runner); nothing here imports the daemon.
 */
import type { KubeadmHaError } from '../core/errors.js';
import type { ClusterSpec } from '../core/spec.js';
import type { Logger } from '../lib/log.js';
import type { DeployEvent } from '../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { Operation, OperationKind } from './admin/operations.js';
import type { AgentRecord } from './grpc/registry.js';
import type { AgentLbStatus, ConnectedAgent } from './sessions.js';
import type { ClusterState } from './state/store.js';
import type { BootstrapTokens } from './tokens.js';
import type { AgentGateway, BackendSets, ClusterProgress, DeployTimeouts } from './workflow/ports.js';
import type { PhaseProgress } from './workflow/phase.js';

/** The agents' sessions: who is connected, what they applied, and tasks for them. */
export interface AgentHub extends Pick<AgentGateway, 'runTask' | 'waitForAgents'> {
  connectedAgents(): readonly ConnectedAgent[];
  appliedLbVersions(): ReadonlyMap<string, number>;
  lbStatuses(): ReadonlyMap<string, AgentLbStatus>;
  /** Ends every session with `err` and keeps serving (the coordinator stopped leading). */
  endAll(err: KubeadmHaError): void;
  on(event: 'connect', listener: (agent: ConnectedAgent) => void): unknown;
  off(event: 'connect', listener: (agent: ConnectedAgent) => void): unknown;
}

/** One cluster-changing operation at a time. */
export interface Operations {
  running(): Operation | undefined;
  start(kind: OperationKind, key: string, work: (emit: (event: DeployEvent) => void) => Promise<void>): Operation;
  /** A dry run: streamed like an operation, but it takes no turn (it only reads). */
  dryRun(kind: OperationKind, key: string, work: (emit: (event: DeployEvent) => void) => Promise<void>): Operation;
}

export interface AgentDirectory {
  list(): Promise<AgentRecord[]>;
}

/** What the coordinator was started with that actions need. */
export interface RuntimeSettings {
  /** host:port agents and coordinatorctl dial this coordinator at: its identity in the leader lease. */
  readonly advertise: string;
  /** Every coordinator's address, comma-separated (coordinator HA): written into agent.yaml; default `advertise`. */
  readonly coordinators?: string;
  readonly workerConcurrency?: number;
  /** Tests shorten deploy timeouts. */
  readonly timeouts?: Partial<DeployTimeouts>;
  readonly joinTokenTtlMs?: number;
  /** `--drain-timeout`: how long a maintenance window waits for a drained apiserver's sessions (default 15 s). */
  readonly windowDrainMs?: number;
  /** Where `etcd snapshot` and the scheduled snapshots are kept: <data-dir>/etcd-snapshots (0700, files 0600). */
  readonly etcdSnapshotDir?: string;
}

export interface CoordinatorRuntime {
  readonly settings: RuntimeSettings;
  readonly clusterName: string;
  /** `sha256:…` of the coordinator CA, as agents pin it. */
  readonly caPin: string;
  readonly hub: AgentHub;
  readonly state: ClusterState;
  readonly progress: ClusterProgress & PhaseProgress;
  readonly backends: BackendSets;
  readonly registry: AgentDirectory;
  readonly operations: Operations;
  readonly tokens: BootstrapTokens;
  readonly logger: Logger;
  /** The leader lease's term this coordinator acts in (coordinator/leader/lease.ts); recorded with what it runs. */
  leaderTerm?(): number;
  /**
   * Revokes a host's agent: tombstone, NATS user (and its live connections), registry record (so its certificate no
   * longer opens a Session), and its live session. Returns whether it was registered. Who may cause it: remove-node,
   * reset and `nodes forget`, all admin calls.
   */
  revokeAgent(name: string, reason: string): Promise<boolean>;
  /** The coordinator's own certificates and their expiry (its CA, admin.conf), for `coordinatorctl status`. */
  coordinatorCertificates?(): Promise<readonly { readonly name: string; readonly notAfter: Date }[]>;
  /**
   * Seals the CA for a standby coordinator (leader/trust-bundle.ts); absent with the embedded NATS, which no other
   * coordinator shares. Who may cause it: an admin call, on the leader.
   */
  uploadTrust?(): Promise<{ readonly key: string; readonly expiresAt: string }>;
  readRegistryConfig(): Promise<string | undefined>;
  writeRegistryConfig(content: string | undefined): Promise<void>;
}

/** The stored spec, or undefined before the first deploy. */
export async function storedSpec(rt: Pick<CoordinatorRuntime, 'state'>): Promise<ClusterSpec | undefined> {
  return (await rt.state.spec.get())?.value;
}
