import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '../../../core/errors.js';
import type { ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import {
  addRow,
  controlPlaneNames,
  DRILL_TIMEOUT_MS,
  healthyThroughVip,
  message,
  TASK_TIMEOUT_MS,
  vipAddress,
  vipHolders,
  type VerifyContext,
} from './verify-report.js';

interface DrillResult {
  ok: boolean;
  ms: number;
  holder?: string;
  detail: string;
}

/**
 * The drill (`verify --failover`): stops the load balancer on the VIP holder through its agent, measures until
 * /healthz through the VIP answers from another host, then starts it again and waits for its haproxy to see every
 * backend UP, so the cluster is left as it was found.
 */
export const verifyFailoverPhase: Phase<VerifyContext, ClusterView> = {
  id: 'verify-failover',
  title: "Failover drill: take the VIP holder's load balancer away, time the VIP move, restore it",
  describe: ({ spec }) => ({ hosts: controlPlaneNames(spec), order: 'none', details: [] }),
  shouldRun: (ctx) => ctx.failover,
  async run(ctx) {
    const drill = await failoverDrill(ctx);
    addRow(ctx, 'failover', drill.holder ?? '', drill.ok, drill.detail);
    ctx.report.failoverMs = drill.ms;
  },
};

async function failoverDrill(ctx: VerifyContext): Promise<DrillResult> {
  const holders = ctx.report.holders;
  if (holders.length !== 1) return { ok: false, ms: 0, detail: 'skipped: needs exactly one VIP holder' };
  const holder = holders[0]!;
  const connected = new Set(ctx.connected());
  const others = controlPlaneNames(ctx.spec).filter((h) => connected.has(h) && h !== holder);
  const observer = others[0];
  if (!observer) return { ok: false, ms: 0, holder, detail: 'skipped: no other connected control-plane node to take the VIP' };
  const vip = vipAddress(ctx.spec);
  const running = ctx.runningOperation();
  if (running) return { ok: false, ms: 0, holder, detail: `skipped: a ${running} is running` };
  const started = Date.now();
  let ms = 0;
  let newHolder: string | undefined;
  let failure: string | undefined;
  try {
    await ctx.agents.runTask(holder, 'stopLoadBalancer', {}, { timeoutMs: TASK_TIMEOUT_MS });
    const deadline = started + DRILL_TIMEOUT_MS;
    for (;;) {
      const now = await vipHolders(ctx, others, vip);
      if (now.length > 0) {
        newHolder = now[0];
        break;
      }
      if (Date.now() > deadline) throw new TimeoutError(`no other host took ${vip} within ${DRILL_TIMEOUT_MS} ms`);
      await sleep(50);
    }
    await healthyThroughVip(ctx, observer, Math.max(1_000, deadline - Date.now()));
    ms = Date.now() - started;
  } catch (err) {
    failure = message(err);
  } finally {
    await restore(ctx, holder).catch(
      (err: unknown) => (failure = `${failure ? `${failure}; ` : ''}could not restore the load balancer on ${holder}: ${message(err)}`),
    );
  }
  if (failure) return { ok: false, ms, holder, detail: failure };
  return { ok: true, ms, holder, detail: `VIP moved ${holder} → ${newHolder}; /healthz through the VIP answered after ${ms} ms; ${holder} restored` };
}

/** Starts the load balancer again and waits until its haproxy answers: the drill leaves the cluster as it found it. */
async function restore(ctx: VerifyContext, host: string): Promise<void> {
  await ctx.agents.runTask(host, 'startLoadBalancer', {}, { timeoutMs: TASK_TIMEOUT_MS });
  const deadline = Date.now() + DRILL_TIMEOUT_MS;
  for (;;) {
    try {
      const status = await ctx.agents.runTask(host, 'lbStatus', {}, { timeoutMs: TASK_TIMEOUT_MS });
      if ((status?.servers ?? []).length > 0 && status!.servers.every((s) => ['running', 'UP'].includes(s.state))) return;
    } catch {
      // haproxy still starting
    }
    if (Date.now() > deadline) throw new TimeoutError(`haproxy on ${host} not back with every backend UP within ${DRILL_TIMEOUT_MS} ms`);
    await sleep(200);
  }
}
