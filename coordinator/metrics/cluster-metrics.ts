/**
 * The cluster as Prometheus series, one scrape target for the whole cluster: what the agents report over their
 * sessions (VRRP state, the VIP, haproxy's servers, the applied backend set), what the coordinator keeps (agents,
 * the published backend set, operations) and what the health poll last read (etcd, certificates). A scrape reads
 * state the coordinator already holds and never sends a task to a host. The series names and labels are an
 * interface: packaging/monitoring's alert rules and dashboard use them.
 *
 * Who may cause it: whoever can reach --metrics-listen reads these (no secret among them: names, addresses,
 * versions, states, times). What it can reach: read-only views of the hub, the registry, the records and the poll.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { CoordinatorRuntime } from '../runtime.js';
import { VRRP_STATES, type AgentLbStatus } from '../sessions.js';
import type { HealthSnapshot } from './health-poll.js';

/** The operations a record can name, so each has its series from the start (0, no last success) and not only once it ran. */
export const OPERATION_KINDS = ['deploy', 'add-node', 'remove-node', 'reset', 'etcd-restore', 'certs-renew', 'upgrade'] as const;

/** How long one render answers every scrape. */
const RENDER_REUSE_MS = 1_000;

export interface ClusterMetrics {
  readonly registry: Registry;
  /** The text a scrape gets (Prometheus text format 0.0.4), reused for a second. */
  render(): Promise<string>;
  /** A fresh page, never reused (tests). */
  refresh(): Promise<string>;
  readonly contentType: string;
  stop(): void;
}

/** Which node holds the VIP, from the agents' reports: the one node that says so; none when none or several do. */
export function vipHolder(statuses: ReadonlyMap<string, AgentLbStatus>): string | undefined {
  const holders = [...statuses].filter(([, s]) => s.holdsVip).map(([name]) => name);
  return holders.length === 1 ? holders[0] : undefined;
}

/**
 * Counts VIP moves: the holder changing from one node to another, however long the VIP was nowhere in between. The
 * first holder the coordinator sees after its start is not a move (it may have held the VIP for months).
 */
export class VipTransitions {
  private lastHolder: string | undefined;
  count = 0;
  lastAt: Date | undefined;

  observe(holder: string | undefined, now = new Date()): boolean {
    if (holder === undefined || holder === this.lastHolder) return false;
    const moved = this.lastHolder !== undefined;
    this.lastHolder = holder;
    if (moved) {
      this.count++;
      this.lastAt = now;
    }
    return moved;
  }
}

/**
 * A gauge without labels that has no sample while `read` says undefined: prom-client's own always prints one (0 after
 * a reset), and a 0 would say "no leader" or "moved at 1970" where the truth is "not known yet".
 */
function optionalGauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  const gauge = new Gauge({ name, help, registers: [registry] });
  const base = gauge.get.bind(gauge);
  gauge.get = async () => {
    const metric = await base();
    const value = read();
    return { ...metric, values: value === undefined ? [] : [{ value, labels: {} }] };
  };
}

export interface ClusterMetricsOptions {
  readonly rt: Pick<CoordinatorRuntime, 'hub' | 'registry' | 'backends' | 'operations' | 'state'>;
  /** The hub's lbStatus events, to count VIP moves as they happen rather than only at scrapes. */
  readonly onLbStatus: (listener: () => void) => () => void;
  readonly health: () => HealthSnapshot;
}

export function createClusterMetrics(opts: ClusterMetricsOptions): ClusterMetrics {
  const { rt } = opts;
  const registry = new Registry();
  const transitions = new VipTransitions();
  const observe = () => transitions.observe(vipHolder(rt.hub.lbStatuses()));
  const unsubscribe = opts.onLbStatus(observe);
  observe();
  /** Last success per operation kind: kept here too, since the record's history holds only the last 20 operations. */
  const lastSuccess = new Map<string, number>();

  new Gauge({
    name: 'kubeadm_ha_agent_connected',
    help: 'Whether the agent of each registered node has a session with the coordinator (1) or not (0).',
    labelNames: ['node'],
    registers: [registry],
    async collect() {
      this.reset();
      const connected = new Set(rt.hub.connectedAgents().map((a) => a.name));
      for (const agent of await rt.registry.list().catch(() => [])) this.set({ node: agent.name }, connected.has(agent.name) ? 1 : 0);
    },
  });

  new Gauge({
    name: 'kubeadm_ha_vip_holder',
    help: 'Whether each load-balancer node holds the VIP (1) or not (0), as its agent last reported.',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [node, s] of rt.hub.lbStatuses()) if (s.loadBalancer) this.set({ node }, s.holdsVip ? 1 : 0);
    },
  });

  new Gauge({
    name: 'kubeadm_ha_vrrp_state',
    help: "keepalived's VRRP state on each node: 1 for the current state (MASTER, BACKUP, FAULT), 0 for the others; no series while it is unknown.",
    labelNames: ['node', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [node, s] of rt.hub.lbStatuses()) {
        if (!s.vrrpState) continue;
        for (const state of VRRP_STATES.filter((v) => v !== 'STOP')) this.set({ node, state }, s.vrrpState === state ? 1 : 0);
      }
    },
  });

  new Counter({
    name: 'kubeadm_ha_vip_transitions_total',
    help: 'VIP moves from one node to another seen since the coordinator started.',
    registers: [registry],
    collect() {
      observe();
      this.reset();
      this.inc(transitions.count);
    },
  });

  optionalGauge(
    registry,
    'kubeadm_ha_vip_last_transition_timestamp_seconds',
    'When the VIP last moved (Unix time); no sample before the first move seen.',
    () => (transitions.lastAt ? transitions.lastAt.getTime() / 1000 : undefined),
  );

  // NATS unreadable: no sample (the page still answers, with what is known) rather than a failed scrape or a 0.
  let published: number | undefined;
  optionalGauge(registry, 'kubeadm_ha_backend_set_version', 'The backend-set version the coordinator has published.', () => published);
  const readPublished = async () => {
    published = (await rt.backends.current().catch(() => undefined))?.version;
  };

  new Gauge({
    name: 'kubeadm_ha_lb_applied_version',
    help: 'The backend-set version each load balancer has applied, as its agent last reported.',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      const lb = new Set([...rt.hub.lbStatuses()].filter(([, s]) => s.loadBalancer).map(([n]) => n));
      // A node that never applied a set (a worker, kube-vip) reports 0: not a lagging load balancer.
      for (const [node, version] of rt.hub.appliedLbVersions()) if (version > 0 || lb.has(node)) this.set({ node }, version);
    },
  });

  new Gauge({
    name: 'kubeadm_ha_lb_backend_up',
    help: "haproxy's view of each apiserver backend on each load balancer: 1 when its checks pass (running) and it is neither drained nor in maintenance, else 0.",
    labelNames: ['node', 'backend'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [node, s] of rt.hub.lbStatuses()) {
        for (const server of s.servers) this.set({ node, backend: server.name }, server.state === 'running' && server.admin === 'ready' ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'kubeadm_ha_etcd_member_healthy',
    help: 'Whether each etcd member answered healthy at the last health poll (1) or not (0).',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of opts.health().etcd?.members ?? []) this.set({ node: m.name || m.node }, m.health === 'healthy' ? 1 : 0);
    },
  });

  optionalGauge(
    registry,
    'kubeadm_ha_etcd_has_leader',
    'Whether the etcd members agreed on a leader at the last health poll (1) or not (0); no sample before the first poll or for an external etcd.',
    () => {
      const etcd = opts.health().etcd;
      return etcd ? (etcd.leaderId ? 1 : 0) : undefined;
    },
  );

  new Gauge({
    name: 'kubeadm_ha_certificate_expiry_timestamp_seconds',
    help: "When each certificate expires (Unix time), per node: kubeadm's and the kubelet's through the agents, the coordinator's own under node=\"coordinator\".",
    labelNames: ['node', 'certificate'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of opts.health().certificates ?? []) {
        const at = Date.parse(c.notAfter);
        if (!c.missing && Number.isFinite(at)) this.set({ node: c.node, certificate: c.certificate }, at / 1000);
      }
    },
  });

  new Gauge({
    name: 'kubeadm_ha_operation_running',
    help: 'Whether an operation of each kind is running (or waiting to resume after a coordinator restart).',
    labelNames: ['operation'],
    registers: [registry],
    async collect() {
      const record = (await rt.state.operation.get().catch(() => undefined))?.value;
      const running = rt.operations.running()?.kind ?? (record?.status === 'running' ? record.kind : undefined);
      for (const kind of OPERATION_KINDS) this.set({ operation: kind }, running === kind ? 1 : 0);
    },
  });

  new Gauge({
    name: 'kubeadm_ha_operation_last_success_timestamp_seconds',
    help: 'When the last operation of each kind succeeded (Unix time); no series for a kind that has not.',
    labelNames: ['operation'],
    registers: [registry],
    async collect() {
      const record = (await rt.state.operation.get().catch(() => undefined))?.value;
      for (const h of record?.history ?? []) {
        if (h.status !== 'succeeded') continue;
        const at = Date.parse(h.finishedAt);
        if (at > (lastSuccess.get(h.kind) ?? 0)) lastSuccess.set(h.kind, at);
      }
      this.reset();
      for (const [kind, at] of lastSuccess) this.set({ operation: kind }, at / 1000);
    },
  });

  /**
   * One render shared by the scrapes that arrive together and reused for a second: each render reads the registry and
   * the operation record from NATS, and whoever reaches the endpoint must not be able to turn GETs into NATS load.
   */
  let cached: { at: number; text: Promise<string> } | undefined;
  const render = (): Promise<string> => {
    const now = Date.now();
    if (cached && now - cached.at < RENDER_REUSE_MS) return cached.text;
    const text = readPublished().then(() => registry.metrics());
    cached = { at: now, text };
    text.catch(() => {
      if (cached?.text === text) cached = undefined;
    });
    return text;
  };
  return {
    registry,
    contentType: registry.contentType,
    render,
    refresh: () => readPublished().then(() => registry.metrics()),
    stop: unsubscribe,
  };
}
