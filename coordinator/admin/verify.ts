/**
 * `coordinatorctl verify`: the checks of seed 000's "验证" section, asked of the agents (never assumed from stored
 * state), and optionally the failover drill. Every check becomes a row; the report passes when every row does.
 *
 * - every spec node registered, connected and joined;
 * - on every control-plane node: the keepalived and haproxy configuration and static pods (or units) in place, and
 *   haproxy answering on its admin socket;
 * - every haproxy backend UP, and as many backends as joined control-plane nodes;
 * - exactly one VIP holder on the segment;
 * - the apiserver's /healthz through VIP:port from every node, verified against the cluster CA.
 *
 * The drill (`--failover`) stops the load balancer on the VIP holder through its agent, measures until /healthz
 * through the VIP answers from another host, then starts it again and waits for its haproxy to see every backend UP.
 */
import { PreconditionError } from '../../core/errors.js';
import { KEEPALIVED_CONF_PATH } from '../../core/render/keepalived.js';
import { HAPROXY_CFG_PATH } from '../../core/render/haproxy.js';
import type { ClusterSpec } from '../../core/spec.js';
import type { VerifyReport } from '../../proto/generated/kubeadm_ha/v1/VerifyReport.js';
import type { VerifyRow } from '../../proto/generated/kubeadm_ha/v1/VerifyRow.js';
import type { CoordinatorRuntime } from '../daemon.js';

const TASK_TIMEOUT_MS = 10_000;
const VIA_VIP_TIMEOUT_MS = 5_000;
const DRILL_TIMEOUT_MS = 30_000;
const MANIFESTS = '/etc/kubernetes/manifests';

type Row = Required<VerifyRow>;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface VerifyOptions {
  readonly failover: boolean;
}

function vipAddress(spec: ClusterSpec): string {
  return spec.controlPlaneEndpoint.vip.split('/')[0]!;
}

/** Which of `paths` exist on `host` (verifyClean reports the ones present as leftovers) and whether it holds `vip`. */
async function probeHost(rt: CoordinatorRuntime, host: string, paths: string[], vip: string): Promise<{ present: Set<string>; holdsVip: boolean }> {
  const r = await rt.hub.runTask(host, 'verifyClean', { paths, vip }, { timeoutMs: TASK_TIMEOUT_MS });
  const leftovers = r?.leftovers ?? [];
  return { present: new Set(leftovers.filter((l) => l.kind === 'file').map((l) => l.detail)), holdsVip: leftovers.some((l) => l.kind === 'vip') };
}

async function vipHolders(rt: CoordinatorRuntime, hosts: readonly string[], vip: string): Promise<string[]> {
  const held = await Promise.all(hosts.map((h) => probeHost(rt, h, [], vip).then((p) => p.holdsVip, () => false)));
  return hosts.filter((_, i) => held[i]);
}

async function healthyThroughVip(rt: CoordinatorRuntime, host: string, spec: ClusterSpec, timeoutMs: number): Promise<number> {
  const r = await rt.hub.runTask(host, 'waitApiserver', { address: vipAddress(spec), port: spec.controlPlaneEndpoint.port, timeoutMs }, { timeoutMs: timeoutMs + 5_000 });
  return Number(r?.elapsedMs ?? 0);
}

export async function runVerify(rt: CoordinatorRuntime, opts: VerifyOptions): Promise<VerifyReport> {
  const spec = (await rt.state.spec.get())?.value;
  if (!spec) throw new PreconditionError('no cluster has been deployed yet: run coordinatorctl deploy -f cluster.yaml first');
  const rows: Row[] = [];
  const add = (check: string, host: string, ok: boolean, detail: string) => rows.push({ check, host, ok, detail });
  const vip = vipAddress(spec);
  const registered = new Set((await rt.registry.list()).map((a) => a.name));
  const connected = new Set(rt.hub.connectedAgents().map((a) => a.name));
  const masters = spec.nodes.filter((n) => n.role === 'control-plane').map((n) => n.name);

  for (const node of spec.nodes) {
    const record = await rt.progress.node(node.name);
    const state = !registered.has(node.name) ? 'not registered' : !connected.has(node.name) ? 'registered, agent not connected' : 'registered, connected';
    add('agent', node.name, registered.has(node.name) && connected.has(node.name), state);
    add('joined', node.name, record?.joined === true, record?.joined ? `as ${record.role}${record.joinedAt ? ` at ${record.joinedAt}` : ''}` : 'not joined');
  }

  const live = masters.filter((m) => connected.has(m));
  const backendSet = await rt.backends.current();
  const holders: string[] = [];
  for (const host of masters) {
    if (!connected.has(host)) {
      add('load balancer', host, false, 'agent not connected');
      continue;
    }
    const runtime = spec.controlPlaneEndpoint.runAs;
    const files = runtime === 'static-pod' ? [KEEPALIVED_CONF_PATH, HAPROXY_CFG_PATH, `${MANIFESTS}/keepalived.yaml`, `${MANIFESTS}/haproxy.yaml`] : [KEEPALIVED_CONF_PATH, HAPROXY_CFG_PATH];
    try {
      const probe = await probeHost(rt, host, files, vip);
      const missing = files.filter((f) => !probe.present.has(f));
      add('keepalived', host, !missing.some((f) => f.includes('keepalived')), missing.some((f) => f.includes('keepalived')) ? `missing ${missing.filter((f) => f.includes('keepalived')).join(', ')}` : `configured (${runtime})`);
      if (probe.holdsVip) holders.push(host);
    } catch (err) {
      add('keepalived', host, false, message(err));
    }
    try {
      const status = await rt.hub.runTask(host, 'lbStatus', {}, { timeoutMs: TASK_TIMEOUT_MS });
      const servers = status?.servers ?? [];
      add('haproxy', host, true, `answering on its admin socket, backend set v${Number(status?.appliedVersion ?? 0)}`);
      const down = servers.filter((s) => !['running', 'UP'].includes(s.state) || !['ready', ''].includes(s.checkStatus));
      const expected = backendSet.backends.length;
      const ok = down.length === 0 && servers.length === expected && expected > 0;
      add('backends UP', host, ok, `${servers.length - down.length}/${servers.length} UP${servers.length !== expected ? ` (backend set has ${expected})` : ''}${down.length ? `; not UP: ${down.map((s) => `${s.name}=${s.state}/${s.checkStatus}`).join(', ')}` : ''}`);
    } catch (err) {
      add('haproxy', host, false, `not answering: ${message(err)}`);
    }
  }
  add('VIP holder', '', holders.length === 1, holders.length === 1 ? `${vip} on ${holders[0]}` : holders.length === 0 ? `nobody holds ${vip}` : `${vip} on ${holders.length} hosts (split brain): ${holders.join(', ')}`);

  await Promise.all(
    spec.nodes
      .filter((n) => connected.has(n.name))
      .map(async (n) => {
        try {
          const ms = await healthyThroughVip(rt, n.name, spec, VIA_VIP_TIMEOUT_MS);
          add('apiserver via VIP', n.name, true, `https://${vip}:${spec.controlPlaneEndpoint.port}/healthz 200${ms > 0 ? ` after ${ms} ms` : ''}`);
        } catch (err) {
          add('apiserver via VIP', n.name, false, message(err));
        }
      }),
  );

  let failoverMs = 0;
  if (opts.failover) {
    const drill = await failoverDrill(rt, spec, holders, live);
    add('failover', drill.holder ?? '', drill.ok, drill.detail);
    failoverMs = drill.ms;
  }
  return { rows, failoverMs, ok: rows.every((r) => r.ok) };
}

interface DrillResult {
  ok: boolean;
  ms: number;
  holder?: string;
  detail: string;
}

/** Takes the holder's load balancer away through its agent and times the VIP until /healthz answers elsewhere. */
async function failoverDrill(rt: CoordinatorRuntime, spec: ClusterSpec, holders: readonly string[], live: readonly string[]): Promise<DrillResult> {
  if (holders.length !== 1) return { ok: false, ms: 0, detail: 'skipped: needs exactly one VIP holder' };
  const holder = holders[0]!;
  const others = live.filter((h) => h !== holder);
  const observer = others[0];
  if (!observer) return { ok: false, ms: 0, holder, detail: 'skipped: no other connected control-plane node to take the VIP' };
  const vip = vipAddress(spec);
  if (rt.operations.running()) return { ok: false, ms: 0, holder, detail: `skipped: a ${rt.operations.running()!.kind} is running` };
  const started = Date.now();
  let ms = 0;
  let newHolder: string | undefined;
  let failure: string | undefined;
  try {
    await rt.hub.runTask(holder, 'stopLoadBalancer', {}, { timeoutMs: TASK_TIMEOUT_MS });
    const deadline = started + DRILL_TIMEOUT_MS;
    for (;;) {
      const now = await vipHolders(rt, others, vip);
      if (now.length > 0) {
        newHolder = now[0];
        break;
      }
      if (Date.now() > deadline) throw new Error(`no other host took ${vip} within ${DRILL_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await healthyThroughVip(rt, observer, spec, Math.max(1_000, deadline - Date.now()));
    ms = Date.now() - started;
  } catch (err) {
    failure = message(err);
  } finally {
    await restore(rt, holder).catch((err: unknown) => (failure = `${failure ? `${failure}; ` : ''}could not restore the load balancer on ${holder}: ${message(err)}`));
  }
  if (failure) return { ok: false, ms, holder, detail: failure };
  return { ok: true, ms, holder, detail: `VIP moved ${holder} → ${newHolder}; /healthz through the VIP answered after ${ms} ms; ${holder} restored` };
}

/** Starts the load balancer again and waits until its haproxy answers: the drill leaves the cluster as it found it. */
async function restore(rt: CoordinatorRuntime, host: string): Promise<void> {
  await rt.hub.runTask(host, 'startLoadBalancer', {}, { timeoutMs: TASK_TIMEOUT_MS });
  const deadline = Date.now() + DRILL_TIMEOUT_MS;
  for (;;) {
    try {
      const status = await rt.hub.runTask(host, 'lbStatus', {}, { timeoutMs: TASK_TIMEOUT_MS });
      if ((status?.servers ?? []).length > 0 && status!.servers.every((s) => ['running', 'UP'].includes(s.state))) return;
    } catch {
      // haproxy still starting
    }
    if (Date.now() > deadline) throw new Error(`haproxy on ${host} not back with every backend UP within ${DRILL_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
