import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../../core/errors.js';
import { loadSpec } from '../../../core/validate.js';
import type { TaskKind } from '../../../proto/index.js';
import { fakeClusterContext } from '../../../test/support/cluster-context.js';
import type { AgentGateway } from '../../workflow/ports.js';
import type { PhaseEvent } from '../../workflow/phase.js';
import { verifyPhase } from './verify.js';

/** Every agent connected and every node joined, but no host holds the VIP and nothing answers through it. */
function deployed() {
  const { spec } = loadSpec(readFileSync(new URL('../../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));
  const events: PhaseEvent[] = [];
  const agents: AgentGateway = {
    async runTask<K extends TaskKind>(_agent: string, kind: K) {
      if (kind === 'verifyClean') return { leftovers: [] } as never;
      if (kind === 'lbStatus') return { appliedVersion: 1, servers: [] } as never;
      if (kind === 'waitApiserver') throw new TimeoutError('no answer through the VIP');
      return null as never;
    },
    waitForAgents: async () => undefined,
    facts: () => undefined,
    connected: () => spec.nodes.map((n) => n.name),
  };
  const ctx = fakeClusterContext(spec, agents, {
    cluster: { node: async (name) => ({ name, role: 'worker', joined: true }), putNode: async () => undefined, deleteNode: async () => undefined },
    emit: (e) => void events.push(e),
  });
  return { ctx, events, nodes: spec.nodes.length };
}

describe('deploy ends with verify', () => {
  it('prints the summary, then every failed check as a warning, and does not fail the deploy', async () => {
    const { ctx, events, nodes } = deployed();
    await expect(verifyPhase.run(ctx)).resolves.toBeUndefined();
    const messages = events.map((e) => e.message);
    expect(messages[0]).toMatch(new RegExp(`${nodes}/${nodes} nodes joined`));
    expect(messages).toContain('warning: VIP holder: nobody holds 198.18.0.100');
    expect(messages.filter((m) => m.startsWith('warning: apiserver via VIP: ')).length).toBe(nodes);
    expect(messages.at(-1)).toMatch(/^verify: \d+\/\d+ checks passed; run `coordinatorctl verify` for the table$/);
    // Only the rows: the sub-phases' own start and done lines stay out of the deploy's output.
    expect(events.every((e) => e.phase === 'verify' && e.kind === 'progress')).toBe(true);
  });
});
