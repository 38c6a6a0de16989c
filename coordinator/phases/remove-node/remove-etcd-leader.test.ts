import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findPlannedNode, planCluster } from '../../../core/plan.js';
import { loadSpec } from '../../../core/validate.js';
import type { DeployEvent } from '../../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import { deployedState, fakeCoordinator, memoryHosts } from '../../../test/support/fake-runtime.js';
import { startRemoveNode } from '../../actions/remove-node.js';
import { removalPaths } from './remove-target.js';

const spec = loadSpec(readFileSync(new URL('../../../test/fixtures/cluster.yaml', import.meta.url), 'utf8')).spec;
const plan = planCluster(spec);
const ALL = spec.nodes.map((n) => n.name);

async function remove(target: string) {
  const state = await deployedState(spec);
  const hosts = memoryHosts(spec, removalPaths({ plan, target: findPlannedNode(plan, target)! }));
  const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
  const events: DeployEvent[] = [];
  await (await startRemoveNode(c.rt, target)).follow((e) => void events.push(e));
  return { hosts, events };
}

describe('remove-etcd-leader', () => {
  it('hands leadership away from the leading member before kubeadm reset removes it, and waits until the others agree', async () => {
    // The fake etcd's first up voting member leads: master-0's.
    const { hosts, events } = await remove('master-0');
    expect(events.at(-1)).toMatchObject({ done: true, level: 'LOG_LEVEL_INFO' });
    const calls = hosts.calls;
    const moved = calls.indexOf('master-0:etcdMoveLeader');
    expect(moved).toBeGreaterThan(-1);
    // Then its member goes through a remaining node, before kubeadm reset (which skips it once the Node is deleted).
    const removedMember = calls.findIndex((c) => c.endsWith(':etcdRemoveMember'));
    expect(calls[removedMember]).not.toBe('master-0:etcdRemoveMember');
    expect(moved).toBeLessThan(removedMember);
    expect(removedMember).toBeLessThan(calls.indexOf('master-0:kubeadmReset'));
    const lines = events.filter((e) => e.phase === 'remove-etcd-leader').map((e) => e.message);
    expect(lines.join('\n')).toMatch(/master-[12]'s member \S+ leads etcd now/);
    expect(hosts.hosts.etcdMembers.map((m) => m.name)).toEqual(['master-1', 'master-2']);
  });

  it('leaves a member that does not lead alone', async () => {
    const { hosts, events } = await remove('master-2');
    expect(events.at(-1)).toMatchObject({ done: true, level: 'LOG_LEVEL_INFO' });
    expect(hosts.calls.filter((c) => c.endsWith(':etcdMoveLeader'))).toEqual([]);
    const lines = events.filter((e) => e.phase === 'remove-etcd-leader').map((e) => e.message);
    expect(lines.join('\n')).toMatch(/does not lead \(the leader is 1000\)/);
  });
});
