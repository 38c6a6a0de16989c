/**
 * `coordinatorctl verify`: the checks of seed 000's "验证" section, asked of the agents, and optionally the failover
 * drill. Every check adds rows; the report passes when every row does. Read-only and quick, so it is not an
 * operation (it runs beside one) and records no progress; deploy runs the same checks as its last phase.
 */
import { runPhases, type Action } from '../workflow/engine.js';
import type { ClusterView } from '../workflow/ports.js';
import { verifyAgentsPhase } from '../phases/verify/verify-agents.js';
import { verifyApiserverViaVipPhase } from '../phases/verify/verify-apiserver-via-vip.js';
import { verifyCertificatesPhase } from '../phases/verify/verify-certificates.js';
import { verifyEtcdPhase } from '../phases/verify/verify-etcd.js';
import { verifyFailoverPhase } from '../phases/verify/verify-failover.js';
import { verifyLoadBalancersPhase } from '../phases/verify/verify-load-balancers.js';
import type { VerifyContext, VerifyRowValue } from '../phases/verify/verify-report.js';
import { verifyVipHolderPhase } from '../phases/verify/verify-vip-holder.js';

export const VERIFY: Action<VerifyContext, ClusterView> = {
  kind: 'verify',
  phases: [
    verifyAgentsPhase,
    verifyEtcdPhase,
    verifyLoadBalancersPhase,
    verifyVipHolderPhase,
    verifyApiserverViaVipPhase,
    verifyCertificatesPhase,
    verifyFailoverPhase,
  ],
  resumeHint: 'Run `coordinatorctl verify` again.',
  observing: [
    'verify-agents',
    'verify-etcd',
    'verify-load-balancers',
    'verify-vip-holder',
    'verify-apiserver-via-vip',
    'verify-certificates',
    'verify-failover',
  ],
};

/** Runs the checks; a check that cannot ask a host fails its row, never the whole report. */
export interface VerifyResult {
  readonly rows: readonly VerifyRowValue[];
  readonly failoverMs: number;
  readonly ok: boolean;
}

export async function runVerify(ctx: VerifyContext): Promise<VerifyResult> {
  await runPhases(VERIFY.phases, ctx, VERIFY.resumeHint, VERIFY.observing);
  const rows = ctx.report.rows.map((r) => ({ ...r }));
  return { rows, failoverMs: ctx.report.failoverMs, ok: rows.every((r) => r.ok) };
}
