import { runWindow } from '../../workflow/maintenance-window.js';
import { releaseVip } from '../../workflow/vip-move.js';
import type { Phase } from '../../workflow/phase.js';
import { DEFAULT_WINDOW_TIMEOUTS } from '../window/window-target.js';
import { certsRenewWork } from './certs-renew-work.js';
import { renewalState, type CertsContext, type CertsView } from './certs-target.js';

/** One control-plane node at a time, each inside the maintenance window, never two at once. */
export const certsRenewControlPlanePhase: Phase<CertsContext, CertsView> = {
  id: 'certs-renew-control-plane',
  title: 'Renew each control-plane node inside the maintenance window, one at a time',
  describe: (view) => ({
    hosts: view.nodes.map((n) => n.name),
    order: 'sequential',
    details: [
      'etcd healthy; backend draining on every haproxy, sessions ended; the VIP handed over if held',
      'kubeadm certs renew all; control-plane pods restarted (manifests parked and put back); the new certificate served',
      'apiserver and etcd member healthy; backend active again everywhere',
    ],
  }),
  shouldRun: () => true,
  async run(ctx) {
    const work = certsRenewWork(ctx);
    for (const target of ctx.nodes) {
      ctx.signal?.throwIfAborted();
      // A resumed renewal does not drain a node it already finished (nor, in kube-vip mode, move the VIP off it).
      const active = (await ctx.backends.current()).backends.find((b) => b.name === target.name)?.state === 'active';
      const state = active ? await renewalState(ctx, target) : undefined;
      if (state?.renewedOnDisk && state.served) {
        // A coordinator killed between its window's restore and the VIP's release left it kept from the VIP (kube-vip
        // stopped, or the track file in FAULT): released again, which is harmless when it never was kept.
        await releaseVip(ctx, target.name);
        ctx.emit({ kind: 'progress', phase: this.id, host: target.name, message: 'already renewed and back in service' });
        continue;
      }
      ctx.emit({ kind: 'progress', phase: this.id, host: target.name, message: 'maintenance window opens' });
      await runWindow({ ...ctx, target, work, windowTimeouts: ctx.windowTimeouts ?? DEFAULT_WINDOW_TIMEOUTS, outerPhase: this.id });
      ctx.emit({ kind: 'progress', phase: this.id, host: target.name, message: 'maintenance window closed: back in service' });
    }
  },
};
