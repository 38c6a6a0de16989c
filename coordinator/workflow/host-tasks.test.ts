import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../core/errors.js';
import { planCluster } from '../../core/plan.js';
import { loadSpec } from '../../core/validate.js';
import { resetPaths } from '../actions/reset.js';
import { removalPaths } from '../phases/remove-node/remove-target.js';
import { writeFiles, writeFilesArgs } from './host-tasks.js';
import type { AgentGateway } from './ports.js';

const FIXTURE = readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8');

describe('writeFiles tasks checked before they leave the coordinator', () => {
  it('allows every path the removal and reset phases ask the agents to remove, for every node of the fixture', () => {
    const { spec } = loadSpec(FIXTURE);
    const withRegistry = { ...spec, registryAuth: { configJson: 'registry.json' } };
    const plan = planCluster(spec);
    for (const node of [...plan.controlPlane, ...plan.workers]) {
      expect(() => writeFilesArgs([], removalPaths({ plan, target: node }))).not.toThrow();
      for (const dropIn of [true, false]) expect(() => writeFilesArgs([], resetPaths(withRegistry, node, dropIn))).not.toThrow();
    }
  });

  it('refuses a task the agent would refuse, without sending it, as a rejected promise', async () => {
    const sent: string[] = [];
    const agents = { runTask: async (_a: string, kind: string) => sent.push(kind) } as unknown as AgentGateway;
    expect(() => writeFilesArgs([{ path: '/etc/cron.d/evil', mode: 0o644, content: 'x' }])).toThrow(/refusing "\/etc\/cron\.d\/evil"/);
    expect(() => writeFilesArgs([], ['/etc'])).toThrow(AuthError);
    expect(() => writeFilesArgs([{ path: '/etc/kubeadm-ha/kubeadm.yaml', mode: 0o644, content: 'x' }])).toThrow(/can hold secrets/);
    await expect(writeFiles(agents, 'w1', [], ['/etc/shadow'])).rejects.toThrow(AuthError);
    expect(sent).toEqual([]);
  });
});
