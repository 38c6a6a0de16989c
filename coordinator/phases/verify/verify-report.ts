/**
 * What the verify checks share: the rows they add, the hosts they ask, and the few questions they put to agents.
 * Every answer comes from the hosts themselves (never assumed from stored state); a check that cannot ask adds a
 * failed row instead of throwing, so one unreachable host never hides the others' results.
 */
import { controlPlaneNodes } from '../../../core/plan.js';
import type { ClusterSpec } from '../../../core/spec.js';
import type { ClusterContext } from '../../workflow/ports.js';

export const TASK_TIMEOUT_MS = 10_000;
export const VIA_VIP_TIMEOUT_MS = 5_000;
export const DRILL_TIMEOUT_MS = 30_000;

export interface VerifyRowValue {
  readonly check: string;
  readonly host: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface VerifyContext extends ClusterContext {
  /** Run the failover drill after the checks (`coordinatorctl verify --failover`). */
  readonly failover: boolean;
  /** The names of the registered agents (the registry, not the sessions). */
  readonly registered: () => Promise<readonly string[]>;
  /** The names of the agents connected right now. */
  readonly connected: () => readonly string[];
  /** The kind of the cluster operation running now, if any: the drill never runs beside one. */
  readonly runningOperation: () => string | undefined;
  /** What the checks found, in the order they found it. */
  readonly report: VerifyFindings;
}

export interface VerifyFindings {
  readonly rows: VerifyRowValue[];
  /** Who held the VIP when the load balancers were asked. */
  readonly holders: string[];
  failoverMs: number;
}

export function newFindings(): VerifyFindings {
  return { rows: [], holders: [], failoverMs: 0 };
}

export function addRow(ctx: VerifyContext, check: string, host: string, ok: boolean, detail: string): void {
  ctx.report.rows.push({ check, host, ok, detail });
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function vipAddress(spec: ClusterSpec): string {
  return spec.controlPlaneEndpoint.vip.split('/')[0]!;
}

export function controlPlaneNames(spec: ClusterSpec): string[] {
  return controlPlaneNodes(spec).map((n) => n.name);
}

/** Which of `paths` exist on `host` (verifyClean reports the ones present as leftovers) and whether it holds `vip`. */
export async function probeHost(ctx: VerifyContext, host: string, paths: string[], vip: string): Promise<{ present: Set<string>; holdsVip: boolean }> {
  const r = await ctx.agents.runTask(host, 'verifyClean', { paths, vip }, { timeoutMs: TASK_TIMEOUT_MS });
  const leftovers = r?.leftovers ?? [];
  return { present: new Set(leftovers.filter((l) => l.kind === 'file').map((l) => l.detail)), holdsVip: leftovers.some((l) => l.kind === 'vip') };
}

export async function vipHolders(ctx: VerifyContext, hosts: readonly string[], vip: string): Promise<string[]> {
  const held = await Promise.all(
    hosts.map((h) =>
      probeHost(ctx, h, [], vip).then(
        (p) => p.holdsVip,
        () => false,
      ),
    ),
  );
  return hosts.filter((_, i) => held[i]);
}

/** /healthz through VIP:port from `host`, verified against the cluster CA; resolves with how long it took. */
export async function healthyThroughVip(ctx: VerifyContext, host: string, timeoutMs: number): Promise<number> {
  const r = await ctx.agents.runTask(
    host,
    'waitApiserver',
    { address: vipAddress(ctx.spec), port: ctx.spec.controlPlaneEndpoint.port, timeoutMs },
    { timeoutMs: timeoutMs + 5_000 },
  );
  return Number(r?.elapsedMs ?? 0);
}
