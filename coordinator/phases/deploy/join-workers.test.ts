import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CommandError } from '../../../core/errors.js';
import { loadSpec } from '../../../core/validate.js';
import type { TaskArgs, TaskKind } from '../../../proto/index.js';
import { fakeClusterContext, memoryNodeRecords } from '../../../test/support/cluster-context.js';
import type { AgentGateway, NodeRecord } from '../../workflow/ports.js';
import { revokeCredentials, settledBoth, waitNodeReady } from './join-credentials.js';
import { joinWorkersPhase } from './join-workers.js';

const TOKEN = 'abcde1.0123456789abcdef';
const KUBEADM_YAML = '/etc/kubeadm-ha/kubeadm.yaml';

/** The kubeadm.yaml contents a writeFiles task carries, if any. */
function kubeadmYaml(args: unknown): string[] {
  return ((args as TaskArgs['writeFiles']).files ?? [])
    .filter((f) => f.path === KUBEADM_YAML)
    .map((f) => Buffer.from(f.content as Uint8Array).toString('utf8'));
}

/** A cluster whose control plane is joined; the workers' agents answer as `join` says, master-0 mints and revokes. */
function fakeContext(join: (worker: string) => void, onTask: (agent: string, kind: TaskKind, args: unknown) => Promise<void> = async () => undefined) {
  const { spec } = loadSpec(readFileSync(new URL('../../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));
  const calls: { agent: string; kind: TaskKind; args: unknown }[] = [];
  const nodes = new Map<string, NodeRecord>(
    ['master-0', 'master-1', 'master-2'].map((name) => [name, { name, role: 'control-plane', joined: true } satisfies NodeRecord]),
  );
  const agents: AgentGateway = {
    async runTask<K extends TaskKind>(agent: string, kind: K, args: TaskArgs[K]) {
      calls.push({ agent, kind, args });
      await onTask(agent, kind, args);
      switch (kind) {
        case 'verifyClean':
          return { leftovers: [] } as never;
        case 'writeFiles':
          return { changedPaths: [] } as never;
        case 'createJoinToken':
          return { endpoint: '198.18.0.100:8443', token: TOKEN, caCertHash: `sha256:${'a'.repeat(64)}` } as never;
        case 'kubeadmJoin':
          join(agent);
          return null as never;
        case 'nodeStatus':
          return { registered: true, ready: true, detail: 'True' } as never;
        default:
          return null as never;
      }
    },
    waitForAgents: async () => undefined,
    facts: () => undefined,
  };
  const ctx = fakeClusterContext(spec, agents, { cluster: memoryNodeRecords(nodes) });
  /** The kubeadm.yaml contents written to `agent`, in order. */
  const configs = (agent: string) => calls.filter((c) => c.agent === agent && c.kind === 'writeFiles').flatMap((c) => kubeadmYaml(c.args));
  return { ctx, calls, nodes, configs };
}

describe('join-workers', () => {
  it('takes the credentials out of kubeadm.yaml while it waits for the Node, and records the worker after both', async () => {
    let nodeAsked: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => (nodeAsked = resolve));
    let overlapped = false;
    const { ctx, nodes, configs } = fakeContext(
      () => undefined,
      async (agent, kind, args) => {
        if (kind === 'nodeStatus' && (args as TaskArgs['nodeStatus']).nodeName === 'worker-0') nodeAsked();
        // The scrub waits for the Node question: done one after the other, it would never see one.
        const scrub = kind === 'writeFiles' && agent === 'worker-0' && kubeadmYaml(args).some((text) => !text.includes(TOKEN));
        if (scrub) overlapped = await Promise.race([asked.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]);
      },
    );
    await joinWorkersPhase.run(ctx);
    expect(overlapped).toBe(true);
    const written = configs('worker-0');
    expect(written[0]).toContain(TOKEN);
    expect(written.at(-1)).not.toContain(TOKEN);
    expect(nodes.get('worker-0')?.joined).toBe(true);
    expect(nodes.get('worker-1')?.joined).toBe(true);
  });

  it('a failed join still takes the credentials out before it reports the failure', async () => {
    const { ctx, calls, nodes, configs } = fakeContext((worker) => {
      if (worker === 'worker-1') throw new CommandError('kubeadm join', 1, 'the discovery failed');
    });
    await expect(joinWorkersPhase.run(ctx)).rejects.toThrow(/the discovery failed/);
    expect(configs('worker-1').at(-1)).not.toContain(TOKEN);
    expect(calls.some((c) => c.agent === 'master-0' && c.kind === 'nodeStatus' && (c.args as TaskArgs['nodeStatus']).nodeName === 'worker-1')).toBe(false);
    expect(nodes.get('worker-1')).toBeUndefined();
  });
});

describe('waiting for a joined Node to be Ready', () => {
  it('looks again soon after the join, then backs off to every 2 s', async () => {
    const asked: number[] = [];
    const start = Date.now();
    const { ctx } = fakeContext(() => undefined);
    const runTask = ctx.agents.runTask.bind(ctx.agents);
    ctx.agents.runTask = (async (agent: string, kind: TaskKind, args: never, options?: never) => {
      if (kind === 'nodeStatus' && (args as TaskArgs['nodeStatus']).nodeName === 'worker-0') {
        asked.push(Date.now() - start);
        // Ready at the fifth look.
        if (asked.length < 5) return { registered: true, ready: false, detail: 'KubeletNotReady' } as never;
      }
      return runTask(agent, kind, args, options);
    }) as typeof ctx.agents.runTask;
    await waitNodeReady(ctx, ctx.plan.workers[0]!, 60_000);
    const gaps = asked.slice(1).map((t, i) => t - asked[i]!);
    // 250, 500, 1000, 2000 ms (a fixed 2 s poll made the node wait up to 2 s after it was Ready).
    expect(gaps.length).toBe(4);
    expect(gaps[0]).toBeLessThan(450);
    expect(gaps[1]).toBeGreaterThanOrEqual(480);
    expect(gaps[3]).toBeGreaterThanOrEqual(1_980);
  }, 20_000);

  it('the revocation after a join deletes the token, the Secret and the ops config side by side', async () => {
    const inFlight = new Set<string>();
    let most = 0;
    const { ctx } = fakeContext(
      () => undefined,
      async (agent, kind) => {
        if (agent !== 'master-0' || !['deleteToken', 'deleteCertsSecret', 'writeFiles'].includes(kind)) return;
        inFlight.add(kind);
        most = Math.max(most, inFlight.size);
        await new Promise((r) => setTimeout(r, 50));
        inFlight.delete(kind);
      },
    );
    await revokeCredentials(ctx, ctx.plan.initNode, { token: TOKEN, caCertHash: 'sha256:x', certificateKey: 'k' });
    expect(most).toBe(3);
  });
});

describe('settledBoth', () => {
  it('settles as the work does, only after the cleanup finished', async () => {
    const order: string[] = [];
    const cleanUp = new Promise<void>((r) =>
      setTimeout(() => {
        order.push('cleanup');
        r();
      }, 20),
    );
    await expect(settledBoth(cleanUp, Promise.reject(new Error('work failed')))).rejects.toThrow('work failed');
    expect(order).toEqual(['cleanup']);
    expect(await settledBoth(Promise.resolve(), Promise.resolve(42))).toBe(42);
  });

  it('waits for a slow cleanup after a successful work too', async () => {
    const order: string[] = [];
    const cleanUp = new Promise<void>((r) => setTimeout(() => r(void order.push('cleanup')), 20));
    expect(await settledBoth(cleanUp, Promise.resolve(7))).toBe(7);
    order.push('settled');
    expect(order).toEqual(['cleanup', 'settled']);
  });

  it("a cleanup that fails neither replaces the work's outcome nor settles before the work", async () => {
    const order: string[] = [];
    const work = new Promise<number>((r) =>
      setTimeout(() => {
        order.push('work');
        r(5);
      }, 20),
    );
    expect(await settledBoth(Promise.reject(new Error('cleanup failed')), work)).toBe(5);
    order.push('settled');
    expect(order).toEqual(['work', 'settled']);
    const failing = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('join failed')), 20));
    await expect(settledBoth(Promise.reject(new Error('cleanup failed')), failing)).rejects.toThrow('join failed');
  });
});
