import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PreconditionError } from '../../../core/errors.js';
import { loadSpec } from '../../../core/validate.js';
import { fakeClusterContext, memoryNodeRecords } from '../../../test/support/cluster-context.js';
import type { AgentGateway, NodeRecord } from '../../workflow/ports.js';
import { waitAgentsPhase } from './wait-agents.js';

const { spec } = loadSpec(readFileSync(new URL('../../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));

function gateway(roles: Record<string, 'control-plane' | 'worker'>): AgentGateway & { tasks: string[] } {
  const tasks: string[] = [];
  return {
    tasks,
    runTask: async (agent, kind) => {
      tasks.push(`${agent}:${kind}`);
      throw new Error('no task may run in wait-agents');
    },
    waitForAgents: async () => undefined,
    facts: () => undefined,
    registeredRole: async (agent) => roles[agent],
  };
}

describe('wait-agents', () => {
  it('refuses a control-plane node that registered with a worker token, before anything reaches a host, and says how to fix it', async () => {
    const agents = gateway({ 'master-0': 'control-plane', 'master-1': 'worker', 'master-2': 'control-plane', 'worker-0': 'worker', 'worker-1': 'worker' });
    const err = await waitAgentsPhase.run(fakeClusterContext(spec, agents)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toMatch(/^master-1 is a control-plane node in the spec but registered with a worker token/);
    expect((err as Error).message).toContain('coordinatorctl token create --role control-plane --node-name master-1');
    expect(agents.tasks).toEqual([]);
  });

  it('lets through control-plane nodes with control-plane tokens, workers with worker tokens, and joined masters whatever their token', async () => {
    const records = new Map<string, NodeRecord>([['master-1', { name: 'master-1', role: 'control-plane', joined: true }]]);
    const agents = gateway({ 'master-0': 'control-plane', 'master-1': 'worker', 'master-2': 'control-plane', 'worker-0': 'worker', 'worker-1': 'worker' });
    await expect(waitAgentsPhase.run(fakeClusterContext(spec, agents, { cluster: memoryNodeRecords(records) }))).resolves.toBeUndefined();
  });
});
