import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emptyBackendSet, withBackends } from '../../../core/backend-set.js';
import { planCluster } from '../../../core/plan.js';
import { loadSpec } from '../../../core/validate.js';
import { silentLogger } from '../../../lib/log.js';
import type { TaskArgs, TaskKind } from '../../../proto/index.js';
import { RESET, resetPaths } from '../../actions/reset.js';
import { runAction } from '../../workflow/engine.js';
import { fakeClusterContext, memoryBackendSets } from '../../../test/support/cluster-context.js';
import type { AgentGateway } from '../../workflow/ports.js';
import type { ResetContext } from './reset-target.js';

const VIP_LEFTOVER = { kind: 'vip', detail: '198.18.0.100/24 on eth0' };

/** Every host starts deployed (kubeadm traces and our files present); master-0 holds the VIP. */
function cluster() {
  const { spec } = loadSpec(readFileSync(new URL('../../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));
  const plan = planCluster(spec);
  const files = new Map(
    spec.nodes.map((n) => [n.name, new Set(['/etc/kubernetes/kubelet.conf', ...resetPaths(spec, plan.controlPlane[0]!, false).slice(0, 3)])]),
  );
  const vipOn = new Set([plan.controlPlane[0]!.name]);
  const calls = new Map<string, string[]>();
  const agents: AgentGateway = {
    async runTask<K extends TaskKind>(agent: string, kind: K, args: TaskArgs[K]) {
      calls.set(agent, [...(calls.get(agent) ?? []), kind]);
      const mine = files.get(agent)!;
      switch (kind) {
        case 'verifyClean': {
          const a = args as TaskArgs['verifyClean'];
          const left = (a.paths ?? []).filter((p) => mine.has(p)).map((p) => ({ kind: 'file', detail: p }));
          return { leftovers: [...left, ...(a.vip && vipOn.has(agent) ? [VIP_LEFTOVER] : [])] } as never;
        }
        case 'kubeadmReset':
          mine.delete('/etc/kubernetes/kubelet.conf');
          return null as never;
        case 'writeFiles': {
          const removed = ((args as TaskArgs['writeFiles']).removePaths ?? []).filter((p) => mine.delete(p));
          return { changedPaths: removed } as never;
        }
        case 'removeVip':
          vipOn.delete(agent);
          return null as never;
        default:
          return null as never;
      }
    },
    waitForAgents: async () => undefined,
    facts: () => undefined,
  };
  const backends = memoryBackendSets(withBackends(emptyBackendSet(spec.name), [{ name: 'master-0', address: '198.18.0.10', port: 6443 }]));
  const forgotten: string[] = [];
  const events: string[] = [];
  const hosts = fakeClusterContext(spec, agents, { backends, emit: (e) => void events.push(`${e.host ?? ''}:${e.message}`) });
  const ctx: ResetContext = {
    clusterName: spec.name,
    hosts,
    backends,
    progress: { recordPhase: async () => undefined },
    logger: silentLogger,
    emit: hosts.emit,
    pathsOf: (node, dropIn) => resetPaths(spec, node, dropIn),
    forgetCluster: async () => void forgotten.push('records and spec'),
    revokeAgents: async () => {
      forgotten.push('agents');
      return spec.nodes.map((n) => n.name);
    },
  };
  return { ctx, calls, files, vipOn, forgotten, events, set: backends.stored, names: spec.nodes.map((n) => n.name) };
}

describe('reset', () => {
  it('runs the remove-node host phases on every node, then forgets the cluster behind an empty backend set', async () => {
    const c = cluster();
    await runAction(RESET, c.ctx, c.ctx.clusterName);
    for (const name of c.names) {
      const mutating = (c.calls.get(name) ?? []).filter((k) => k !== 'verifyClean');
      expect({ name, mutating }).toEqual({ name, mutating: ['kubeadmReset', 'stopLoadBalancer', 'writeFiles', ...(name === 'master-0' ? ['removeVip'] : [])] });
      expect({ name, left: [...c.files.get(name)!] }).toEqual({ name, left: [] });
      expect(c.events).toContain(`${name}:clean`);
    }
    expect(c.vipOn.size).toBe(0);
    expect(c.set()).toMatchObject({ version: 2, backends: [] });
    expect(c.forgotten).toEqual(['records and spec', 'agents']);
  });

  it('stops the load balancer even on a node where none of our files is left (a unit could still run keepalived)', async () => {
    const c = cluster();
    const bare = c.names[1]!;
    c.files.get(bare)!.clear();
    await runAction(RESET, c.ctx, c.ctx.clusterName);
    expect((c.calls.get(bare) ?? []).filter((k) => k !== 'verifyClean')).toEqual(['stopLoadBalancer', 'writeFiles']);
  });

  it('stops before forgetting anything when a host is not clean, and names it', async () => {
    const c = cluster();
    const stuck = c.names[1]!;
    const agents = c.ctx.hosts!.agents;
    const sticky: AgentGateway = {
      ...agents,
      runTask: (agent, kind, args, options) =>
        agent === stuck && kind === 'writeFiles' ? (Promise.resolve({ changedPaths: [] }) as never) : agents.runTask(agent, kind, args, options),
    };
    const err = await runAction(RESET, { ...c.ctx, hosts: { ...c.ctx.hosts!, agents: sticky } }, c.ctx.clusterName).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`${stuck} is not clean`));
    expect(c.forgotten).toEqual([]);
    expect(c.set().version).toBe(1);
  });
});
