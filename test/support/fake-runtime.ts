/**
 * A CoordinatorRuntime over memory, for tests of the actions and the admin service: the state bucket is plain maps
 * that outlive a runtime (a "restarted coordinator" is a second runtime over the same maps), the hosts are a small
 * model (files, the VIP, Kubernetes Node objects) that the typed tasks change, and `freezeAt` kills a coordinator
 * right after a phase started: its progress write never returns, so nothing after it runs, as under SIGKILL.
 */
import { emptyBackendSet, withBackends, type BackendSet } from '../../core/backend-set.js';
import type { ClusterSpec } from '../../core/spec.js';
import { silentLogger } from '../../lib/log.js';
import type { TaskArgs, TaskKind } from '../../proto/index.js';
import { fakeEtcdStatus, fakeMember } from './fake-etcd.js';
import { OperationRunner, type Operation } from '../../coordinator/admin/operations.js';
import type { CoordinatorRuntime } from '../../coordinator/runtime.js';
import { KvClusterProgress } from '../../coordinator/state/adapters.js';
import { DELETE, UNCHANGED, type ClusterState, type UpdateResult, type Versioned } from '../../coordinator/state/store.js';
import { KUBEADM_TRACES } from '../../coordinator/workflow/host-tasks.js';
import type { PhaseState } from '../../coordinator/workflow/phase.js';
import type { BackendSets } from '../../coordinator/workflow/ports.js';

class MemoryRef<T> {
  constructor(
    readonly map: Map<string, T>,
    readonly key: string,
  ) {}
  async get(): Promise<Versioned<T> | undefined> {
    return this.map.has(this.key) ? ({ value: structuredClone(this.map.get(this.key)!), revision: 1 } as Versioned<T>) : undefined;
  }
  async put(value: T): Promise<number> {
    this.map.set(this.key, structuredClone(value));
    return 1;
  }
  async update(fn: (current: T | undefined) => UpdateResult<T>): Promise<Versioned<T> | undefined> {
    const next = fn((await this.get())?.value);
    if (next === DELETE) this.map.delete(this.key);
    else if (next !== UNCHANGED) this.map.set(this.key, structuredClone(next));
    return this.get();
  }
  async delete(): Promise<void> {
    this.map.delete(this.key);
  }
}

class MemoryCollection<T> {
  readonly map = new Map<string, T>();
  ref = (id: string) => new MemoryRef(this.map, id);
  get = (id: string) => this.ref(id).get();
  put = (id: string, value: T) => this.ref(id).put(value);
  create = (id: string, value: T) => this.ref(id).put(value);
  update = (id: string, fn: (current: T | undefined) => UpdateResult<T>) => this.ref(id).update(fn);
  delete = (id: string) => this.ref(id).delete();
  ids = async () => [...this.map.keys()];
  list = async () => new Map([...this.map].map(([k, v]) => [k, { value: v, revision: 1 }]));
}

/** The coordinator's KV state: survives a coordinator restart. */
export function memoryState(spec: ClusterSpec) {
  const refs = new Map<string, unknown>();
  const state = {
    spec: new MemoryRef(refs, 'spec'),
    operation: new MemoryRef(refs, 'operation'),
    nodes: new MemoryCollection(),
    phases: new MemoryCollection(),
    tokens: new MemoryCollection(),
    agents: new MemoryCollection(),
    tombstones: new MemoryCollection(),
  };
  let set: BackendSet = emptyBackendSet(spec.name);
  const backends: BackendSets & { stored: () => BackendSet } = {
    current: async () => set,
    update: async (transition) => {
      const next = transition(set);
      if (JSON.stringify(next.backends) !== JSON.stringify(set.backends)) set = withBackends(set, next.backends);
      return set;
    },
    waitApplied: async () => undefined,
    stored: () => set,
  };
  return { cluster: state as unknown as ClusterState, raw: state, backends };
}
export type MemoryState = ReturnType<typeof memoryState>;

/** Every host of the spec: our files and kubeadm's, Kubernetes Node objects, and which one holds the VIP. */
export function memoryHosts(spec: ClusterSpec, paths: readonly string[]) {
  const files = new Map(spec.nodes.map((n) => [n.name, new Set([...KUBEADM_TRACES, ...paths])]));
  const masters = spec.nodes.filter((n) => n.role === 'control-plane').map((n) => n.name);
  const cps = spec.nodes.filter((n) => n.role === 'control-plane');
  const hosts = {
    files,
    vip: masters[0] as string | undefined,
    kubeNodes: new Set(spec.nodes.map((n) => n.name)),
    calls: [] as string[],
    /** The stacked etcd: one healthy member per control-plane node until kubeadm reset removes it, as kubeadm does. */
    etcdMembers: cps.map((n, i) => fakeMember(n.name, n.address, i)),
    /** Set by a MoveLeader; otherwise the first up voting member leads. */
    etcdLeader: undefined as string | undefined,
    /** etcd restore: the control-plane manifests parked per node, and the restore each node's member was rebuilt by. */
    parked: new Map<string, Set<string>>(),
    restoredBy: new Map<string, string>(),
    /** Certificates: the apiserver certificate on disk (serial, when written) and the one its apiserver serves. */
    certs: new Map(cps.map((n, i) => [n.name, { diskSerial: `a${i}`, servedSerial: `a${i}`, writtenAt: '2026-01-01T00:00:00.000Z', renewals: 0 }])),
    /** Upgrades: what each node has installed and what its kubelet runs, and the nodes cordoned. */
    installed: new Map(spec.nodes.map((n) => [n.name, { kubeadm: spec.kubernetes.version, kubelet: spec.kubernetes.version }])),
    running: new Map(spec.nodes.map((n) => [n.name, spec.kubernetes.version])),
    cordoned: new Set<string>(),
    /** Nodes whose Node object reports Ready=Unknown (a stopped kubelet). */
    notReady: new Set<string>(),
    clusterVersion: spec.kubernetes.version,
    upgradeCalls: [] as string[],
    /** Every installPackages call's arguments, by node. */
    installs: [] as { node: string; args: TaskArgs['installPackages'] }[],
    /** The backend-set version each load balancer reports applied (lbStatus); undefined: the current one. */
    lbApplied: new Map<string, number>(),
    /** Load balancers stopped (stopLoadBalancer) and not started again. */
    lbStopped: new Set<string>(),
    currentVersion: () => 0,
  };
  const runTask = async <K extends TaskKind>(agent: string, kind: K, args: TaskArgs[K]): Promise<never> => {
    hosts.calls.push(`${agent}:${kind}`);
    const mine = files.get(agent)!;
    switch (kind) {
      case 'verifyClean': {
        const a = args as TaskArgs['verifyClean'];
        const left = (a.paths ?? []).filter((p) => mine.has(p)).map((p) => ({ kind: 'file', detail: p }));
        return { leftovers: [...left, ...(a.vip && hosts.vip === agent ? [{ kind: 'vip', detail: `${a.vip}/24 on eth0` }] : [])] } as never;
      }
      case 'handOverVip':
        hosts.vip = masters.find((m) => m !== agent && files.get(m)!.size > 0);
        return { heldNewConnections: true, openAtStart: 0, cut: 0, drainMs: 1, releaseMs: 1 } as never;
      case 'kubectlDrainDelete':
        hosts.kubeNodes.delete((args as TaskArgs['kubectlDrainDelete']).nodeName ?? '');
        return null as never;
      case 'kubeadmReset':
        for (const p of KUBEADM_TRACES) mine.delete(p);
        hosts.etcdMembers = hosts.etcdMembers.filter((m) => m.name !== agent);
        return null as never;
      case 'etcdStatus':
        return fakeEtcdStatus(hosts.etcdMembers, agent, [], hosts.etcdLeader) as never;
      case 'etcdMoveLeader': {
        const a = args as TaskArgs['etcdMoveLeader'];
        const own = fakeEtcdStatus(hosts.etcdMembers, agent, [], hosts.etcdLeader).endpoint;
        if (!own || own.leaderId !== own.memberId) return { moved: false, detail: 'does not lead', leaderId: own?.leaderId ?? '0' } as never;
        hosts.etcdLeader = a.targetMemberId;
        return { moved: true, detail: `moved etcd leadership from ${own.memberId} to ${a.targetMemberId}`, leaderId: a.targetMemberId } as never;
      }
      case 'etcdRemoveMember': {
        const a = args as TaskArgs['etcdRemoveMember'];
        const before = hosts.etcdMembers.length;
        hosts.etcdMembers = hosts.etcdMembers.filter((m) => m.id !== a.memberId);
        return { removed: hosts.etcdMembers.length < before, detail: `removed etcd member ${a.memberId}` } as never;
      }
      case 'etcdStageSnapshot': {
        const a = args as TaskArgs['etcdStageSnapshot'];
        if (hosts.restoredBy.get(agent) === a.restoreId) return { received: 0, staged: false, alreadyRestored: true } as never;
        return { received: Number(a.offset ?? 0) + (a.data?.length ?? 0), staged: a.last === true, alreadyRestored: false } as never;
      }
      case 'parkControlPlane': {
        const a = args as TaskArgs['parkControlPlane'];
        const parked = hosts.parked.get(agent) ?? new Set<string>();
        hosts.parked.set(agent, parked);
        for (const c of a.components ?? []) {
          if (a.park) parked.add(c);
          else {
            parked.delete(c);
            // A restarted apiserver serves the certificate on disk.
            const cert = hosts.certs.get(agent);
            if (c === 'kube-apiserver' && cert) cert.servedSerial = cert.diskSerial;
          }
        }
        hosts.etcdMembers = hosts.etcdMembers.map((m) => (m.name === agent ? { ...m, down: parked.has('etcd') } : m));
        return { actions: (a.components ?? []).map((c) => `${c}.yaml ${a.park ? 'parked' : 'back'}`) } as never;
      }
      case 'etcdRestoreMember': {
        const a = args as TaskArgs['etcdRestoreMember'];
        if (!hosts.parked.get(agent)?.has('etcd')) throw new Error(`${agent}: etcd still runs on this node`);
        if (hosts.restoredBy.get(agent) === a.restoreId)
          return { alreadyRestored: true, dataDir: '/var/lib/etcd', previousDataDir: '', revisionBumped: true, detail: 'already' } as never;
        hosts.restoredBy.set(agent, a.restoreId ?? '');
        // A restored member is a new member: a new id under the new cluster token.
        hosts.etcdMembers = hosts.etcdMembers.map((m) => (m.name === agent ? { ...m, id: (Number.parseInt(m.id, 16) + 0x10000).toString(16) } : m));
        return {
          alreadyRestored: false,
          dataDir: '/var/lib/etcd',
          previousDataDir: '/var/lib/etcd.before-restore-x',
          revisionBumped: true,
          detail: `restored ${agent}`,
        } as never;
      }
      case 'waitApiserver':
        return { elapsedMs: 1 } as never;
      case 'nodeStatus': {
        const ready = !hosts.notReady.has((args as TaskArgs['nodeStatus']).nodeName ?? '');
        return { registered: true, ready, detail: ready ? 'True' : 'Unknown' } as never;
      }
      case 'nodeVersions':
        return { kubeadm: hosts.installed.get(agent)!.kubeadm, kubelet: hosts.running.get(agent)! } as never;
      case 'installPackages': {
        const a = args as TaskArgs['installPackages'];
        hosts.installs.push({ node: agent, args: a });
        const mine = hosts.installed.get(agent)!;
        for (const p of a.packages ?? []) if (p === 'kubeadm' || p === 'kubelet') mine[p] = a.version ?? '';
        return { manager: 'apt', lines: [] } as never;
      }
      case 'kubeadmUpgrade': {
        const a = args as TaskArgs['kubeadmUpgrade'];
        hosts.upgradeCalls.push(`${agent}:${a.mode}`);
        if (a.mode === 'apply') {
          if (hosts.installed.get(agent)!.kubeadm !== a.version)
            throw new Error(`${agent}: kubeadm ${hosts.installed.get(agent)!.kubeadm} cannot apply ${a.version}`);
          hosts.clusterVersion = a.version ?? '';
        }
        if (a.mode === 'node' && hosts.installed.get(agent)!.kubeadm !== hosts.clusterVersion) throw new Error(`${agent}: kubeadm is older than the cluster`);
        return { outputTail: `[upgrade] ${a.mode} done` } as never;
      }
      case 'restartKubelet':
        hosts.running.set(agent, hosts.installed.get(agent)!.kubelet);
        return null as never;
      case 'kubectlDrain':
        hosts.cordoned.add((args as TaskArgs['kubectlDrain']).nodeName ?? '');
        return null as never;
      case 'kubectlUncordon':
        hosts.cordoned.delete((args as TaskArgs['kubectlUncordon']).nodeName ?? '');
        return null as never;
      case 'certsCheck': {
        const c = hosts.certs.get(agent);
        const row = (name: string, extra = {}) => ({
          name,
          notAfter: new Date(Date.now() + 100 * 86_400_000).toISOString(),
          authority: 'ca',
          externallyManaged: false,
          missing: false,
          notBefore: '',
          serial: '',
          writtenAt: '',
          ...extra,
        });
        return {
          certificates: c ? [row('admin.conf'), row('apiserver', { serial: c.diskSerial, writtenAt: c.writtenAt })] : [],
          authorities: c ? [row('ca', { authority: '' })] : [],
          kubeletClient: row('kubelet-client'),
        } as never;
      }
      case 'certsRenew': {
        const c = hosts.certs.get(agent)!;
        c.renewals++;
        c.diskSerial = `${agent}-renewed-${c.renewals}`;
        c.writtenAt = new Date().toISOString();
        return { lines: ['certificate for serving the Kubernetes API renewed'] } as never;
      }
      case 'servedCertificate': {
        const c = hosts.certs.get(agent)!;
        if (hosts.parked.get(agent)?.has('kube-apiserver')) throw new Error(`${agent}: connect ECONNREFUSED`);
        return { notBefore: '', notAfter: '', serial: c.servedSerial } as never;
      }
      case 'lbStatus':
        return {
          servers: masters.map((m) => ({ backend: 'kube-apiserver', name: m, address: '', port: 6443, state: 'UP', checkStatus: 'ready', sessions: 0 })),
          appliedVersion: hosts.lbApplied.get(agent) ?? hosts.currentVersion(),
        } as never;
      case 'writeFiles':
        return { changedPaths: ((args as TaskArgs['writeFiles']).removePaths ?? []).filter((p) => mine.delete(p)) } as never;
      case 'removeVip':
        if (hosts.vip === agent) hosts.vip = undefined;
        return null as never;
      // A stopped load balancer lets the VIP go (kube-vip's leader election, keepalived's FAULT): another running one takes it.
      case 'stopLoadBalancer':
        hosts.lbStopped.add(agent);
        if (hosts.vip === agent) hosts.vip = masters.find((m) => m !== agent && files.get(m)!.size > 0 && !hosts.lbStopped.has(m));
        return null as never;
      case 'startLoadBalancer':
        hosts.lbStopped.delete(agent);
        hosts.vip ??= agent;
        return null as never;
      default:
        return null as never;
    }
  };
  return { ...hosts, hosts, runTask };
}
export type MemoryHosts = ReturnType<typeof memoryHosts>;

export interface FakeCoordinator {
  readonly rt: CoordinatorRuntime;
  /** Agents that hold a session with this coordinator. */
  readonly connected: Set<string>;
  /** Phases (or action records) that started, in order. */
  readonly started: string[];
  /** Every operation it started, in order. */
  readonly ops: Operation[];
  /** Whether it reached its `freezeAt` and died there. */
  dead(): boolean;
  /** Every registered, not revoked agent connects (after a restart they come back on their own). */
  connectAll(): void;
}

/**
 * One coordinator over `state` and `hosts`. `freezeAt`: where it dies: a phase (or action) id, whose start never
 * returns; `task:<agent>:<kind>`; `revoke` (a revocation); `deleteNode` (a node record's deletion). `connected`: the
 * agents connected at start.
 */
export function fakeCoordinator(
  spec: ClusterSpec,
  state: MemoryState,
  hosts: MemoryHosts,
  options: { freezeAt?: string; connected?: readonly string[] } = {},
): FakeCoordinator {
  const connected = new Set(options.connected ?? []);
  const started: string[] = [];
  const progress = new KvClusterProgress(state.cluster);
  const never = new Promise<never>(() => undefined);
  const dead = { value: false };
  const freeze = (): Promise<never> => {
    dead.value = true;
    return never;
  };
  const recordPhase = async (phase: string, s: PhaseState, message: string) => {
    if (s === 'running') {
      started.push(phase);
      if (phase === options.freezeAt) return freeze();
    }
    return progress.recordPhase(phase, s, message);
  };
  const ops: Operation[] = [];
  const runner = new OperationRunner();
  const operations: CoordinatorRuntime['operations'] = {
    running: () => runner.running(),
    dryRun: (kind, key, work) => runner.dryRun(kind, key, work),
    start: (kind, key, work) => {
      const op = runner.start(kind, key, work);
      if (!ops.includes(op)) ops.push(op);
      return op;
    },
  };
  const registered = () => [...state.raw.agents.map.keys()];
  const rt: CoordinatorRuntime = {
    settings: { advertise: '127.0.0.1:9443', timeouts: { agentsMs: 2_000, lbAppliedMs: 1_000 } },
    clusterName: spec.name,
    caPin: 'sha256:test',
    hub: {
      endAll: () => connected.clear(),
      runTask: (agent, kind, args) => {
        if (!connected.has(agent)) return Promise.reject(new Error(`${agent}: agent is not connected; cannot run ${kind}`));
        if (options.freezeAt === `task:${agent}:${kind}`) return freeze();
        return hosts.runTask(agent, kind, args);
      },
      waitForAgents: async (names, opts) => {
        const deadline = Date.now() + (opts.timeoutMs ?? 2_000);
        while (!names.every((n) => connected.has(n))) {
          if (Date.now() > deadline) throw new Error(`agents not connected: ${names.filter((n) => !connected.has(n)).join(', ')}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      },
      connectedAgents: () => [...connected].map((name) => ({ name, facts: null, agentVersion: 'test', lastSeen: new Date() }) as never),
      appliedLbVersions: () => new Map(),
      lbStatuses: () => new Map(),
      on: () => undefined,
      off: () => undefined,
    },
    state: state.cluster,
    progress: {
      node: (name) => progress.node(name),
      putNode: (record) => progress.putNode(record),
      deleteNode: (name) => (options.freezeAt === 'deleteNode' ? freeze() : progress.deleteNode(name)),
      recordPhase,
    },
    backends: state.backends,
    registry: { list: async () => registered().map((name) => ({ name }) as never) },
    operations,
    tokens: {} as never,
    logger: silentLogger,
    async revokeAgent(name, reason) {
      if (options.freezeAt === 'revoke') return freeze();
      await state.raw.tombstones.put(name, { name, revokedAt: new Date().toISOString(), reason });
      const existed = state.raw.agents.map.delete(name);
      connected.delete(name);
      return existed;
    },
    readRegistryConfig: async () => undefined,
    writeRegistryConfig: async () => undefined,
  };
  return {
    rt,
    connected,
    started,
    ops,
    dead: () => dead.value,
    connectAll: () => {
      for (const name of registered()) connected.add(name);
    },
  };
}

/** A deployed cluster in `state`: the spec stored, every node joined and registered, every master a backend. */
export async function deployedState(spec: ClusterSpec): Promise<MemoryState> {
  const state = memoryState(spec);
  await state.cluster.spec.put(spec);
  const registeredAt = new Date(Date.now() - 60_000).toISOString();
  for (const n of spec.nodes) {
    await state.cluster.nodes.put(n.name, { name: n.name, role: n.role, joined: true });
    await state.raw.agents.put(n.name, { name: n.name, registeredAt } as never);
  }
  const masters = spec.nodes.filter((n) => n.role === 'control-plane');
  await state.backends.update((set) =>
    withBackends(
      set,
      masters.map((n) => ({ name: n.name, address: n.address, port: 6443 })),
    ),
  );
  return state;
}
