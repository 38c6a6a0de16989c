import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import type { NodesResponse } from '../../proto/generated/kubeadm_ha/v1/NodesResponse.js';
import type { StatusResponse } from '../../proto/generated/kubeadm_ha/v1/StatusResponse.js';
import { agentCertWarning, certExpiryCell } from '../cli/commands/nodes.js';
import type { CoordinatorRuntime } from '../runtime.js';
import { createAdminService } from './service.js';

const DAY = 86_400_000;
const inDays = (d: number) => new Date(Date.now() + d * DAY);

/** Just what Status and Nodes read: two agents, no spec, no sessions. */
function runtime(): CoordinatorRuntime {
  const agent = (name: string, days: number) => ({
    name,
    role: 'worker',
    certNotAfter: inDays(days).toISOString(),
    registeredAt: '',
    agentVersion: 't',
    facts: null,
  });
  return {
    clusterName: 'prod',
    logger: silentLogger,
    state: { spec: { get: async () => undefined }, phases: { list: async () => new Map() }, operation: { get: async () => undefined } },
    registry: { list: async () => [agent('worker-0', 300), agent('worker-1', 12)] },
    hub: { connectedAgents: () => [], appliedLbVersions: () => new Map() },
    progress: { node: async () => undefined },
    backends: { current: async () => ({ cluster: 'prod', version: 0, backends: [] }) },
    coordinatorCertificates: async () => [
      { name: 'coordinator CA', notAfter: inDays(3000) },
      { name: 'admin.conf', notAfter: inDays(20) },
    ],
  } as unknown as CoordinatorRuntime;
}

function call<T>(handler: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    (handler as (c: unknown, cb: (e: unknown, r: T) => void) => void)({ request: {} }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

describe('certificate expiry in nodes and status', () => {
  it('Nodes reports every agent certificate expiry and flags those within 30 days', async () => {
    const service = createAdminService(runtime());
    const res = await call<NodesResponse>(service.handlers.Nodes);
    service.stop();
    expect(res.nodes?.map((n) => [n.name, n.certExpiringSoon])).toEqual([
      ['worker-0', false],
      ['worker-1', true],
    ]);
    expect(Date.parse(res.nodes![1]!.certNotAfter!)).toBeGreaterThan(Date.now());
  });

  it("Status reports the CA's and admin.conf's expiry and flags those within 30 days", async () => {
    const service = createAdminService(runtime());
    const res = await call<StatusResponse>(service.handlers.Status);
    service.stop();
    expect(res.certificates?.map((c) => [c.name, c.expiringSoon])).toEqual([
      ['coordinator CA', false],
      ['admin.conf', true],
    ]);
  });

  it('the tables mark a flagged expiry, and the warning says what to look at', () => {
    expect(certExpiryCell('2026-01-01T00:00:00.000Z', true)).toBe('2026-01-01T00:00:00.000Z EXPIRING');
    expect(certExpiryCell('2026-01-01T00:00:00.000Z', false)).toBe('2026-01-01T00:00:00.000Z');
    expect(certExpiryCell('', false)).toBe('-');
    expect(agentCertWarning('worker-1', inDays(12).toISOString())).toMatch(/within 30 days: agents renew theirs over their session/);
    expect(agentCertWarning('worker-1', inDays(-1).toISOString())).toMatch(/expired at .* token bound to worker-1/);
  });
});
