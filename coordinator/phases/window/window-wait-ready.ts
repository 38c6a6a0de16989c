import { setTimeout as sleep } from 'node:timers/promises';
import { assessEtcd } from '../../../core/etcd/health.js';
import { TimeoutError } from '../../../core/errors.js';
import { etcdReports, joinedControlPlaneNodes, stackedEtcd } from '../../workflow/etcd.js';
import type { Phase } from '../../workflow/phase.js';
import { onTarget, say, type WindowContext, type WindowView } from './window-target.js';

const POLL_MS = 1_000;

/** Before the node takes traffic again: its own apiserver healthy on its own address, and etcd whole with its member. */
export const windowWaitReadyPhase: Phase<WindowContext, WindowView> = {
  id: 'window-wait-ready',
  title: "Wait for the node's apiserver and etcd member",
  describe: (view) => onTarget(view, `https://${view.target.address}:${view.spec.controlPlaneEndpoint.apiserverPort}/healthz, and its etcd member healthy`),
  shouldRun: () => true,
  async run(ctx) {
    const { readyMs } = ctx.windowTimeouts;
    const waited = await ctx.agents.runTask(
      ctx.target.name,
      'waitApiserver',
      { address: ctx.target.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort, timeoutMs: readyMs },
      { timeoutMs: readyMs + 10_000 },
    );
    say(ctx, this.id, `apiserver healthy on its own address after ${waited.elapsedMs} ms`);
    if (!stackedEtcd(ctx.spec)) return;
    const nodes = await joinedControlPlaneNodes(ctx);
    const deadline = Date.now() + readyMs;
    for (;;) {
      const a = assessEtcd(nodes, await etcdReports(ctx.agents, nodes, this.id, ctx.signal));
      if (a.healthy) {
        say(ctx, this.id, `etcd healthy (${a.members.length} members)`);
        return;
      }
      if (Date.now() > deadline)
        throw new TimeoutError(`etcd is not healthy ${readyMs} ms after the work on ${ctx.target.name}:\n${a.problems.map((p) => `  - ${p}`).join('\n')}`);
      await sleep(POLL_MS, undefined, ctx.signal ? { signal: ctx.signal } : {});
    }
  },
};
