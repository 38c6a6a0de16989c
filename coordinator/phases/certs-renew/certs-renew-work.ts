import { setTimeout as sleep } from 'node:timers/promises';
import { NON_ETCD_COMPONENTS } from '../../../core/etcd/restore.js';
import { TimeoutError } from '../../../core/errors.js';
import { stackedEtcd } from '../../workflow/etcd.js';
import type { WindowContext, WindowWork } from '../window/window-target.js';
import { say } from '../window/window-target.js';
import { renewalState, type CertsContext } from './certs-target.js';

const PARK_WAIT_MS = 120_000;
const POLL_MS = 500;

/**
 * The work inside the window: `kubeadm certs renew all` (unless this renewal already did it on the node), then every
 * control-plane static pod restarted the documented way (manifests parked until their containers stopped, then put
 * back: etcd keeps quorum, one member at a time), then until the apiserver serves the certificate on disk.
 */
export function certsRenewWork(certs: Pick<CertsContext, 'baseline'>): WindowWork {
  return {
    id: 'certs-renew',
    title: 'kubeadm certs renew all; restart the control-plane pods; wait for the new certificate',
    // Only the control plane restarts: the node's keepalived and haproxy keep running, so the VIP stays.
    stopsLoadBalancer: false,
    async done(ctx: WindowContext) {
      const state = await renewalState({ ...ctx, baseline: certs.baseline }, ctx.target);
      return state.renewedOnDisk && state.served;
    },
    async run(ctx: WindowContext) {
      const node = ctx.target;
      const before = await renewalState({ ...ctx, baseline: certs.baseline }, node);
      if (!before.renewedOnDisk) {
        const renewed = await ctx.agents.runTask(node.name, 'certsRenew', {}, { timeoutMs: 180_000, onProgress: (l) => say(ctx, 'certs-renew', l) });
        say(ctx, 'certs-renew', `${renewed.lines.filter((l) => l.endsWith(' renewed')).length} certificates renewed`);
      }
      // The apiserver (and the controllers that talk to it) stop before etcd and start after it, as in a restore.
      const park = async (components: string[]) => {
        const r = await ctx.agents.runTask(
          node.name,
          'parkControlPlane',
          { park: true, components, criSocket: ctx.spec.kubernetes.criSocket, waitTimeoutMs: PARK_WAIT_MS },
          { timeoutMs: PARK_WAIT_MS + 15_000 },
        );
        say(ctx, 'certs-renew', r.actions.join('; '));
      };
      const unpark = async (components: string[]) => {
        const r = await ctx.agents.runTask(node.name, 'parkControlPlane', { park: false, components }, { timeoutMs: 30_000 });
        say(ctx, 'certs-renew', r.actions.join('; '));
      };
      // Whatever fails in between, the manifests go back: a node left with its apiserver parked would stay down.
      const etcd = stackedEtcd(ctx.spec) ? ['etcd'] : [];
      try {
        await park([...NON_ETCD_COMPONENTS]);
        if (etcd.length > 0) await park(etcd);
      } finally {
        if (etcd.length > 0) await unpark(etcd);
        await unpark([...NON_ETCD_COMPONENTS]);
      }
      const deadline = Date.now() + ctx.windowTimeouts.readyMs;
      for (;;) {
        ctx.signal?.throwIfAborted();
        const state = await renewalState({ ...ctx, baseline: certs.baseline }, node);
        if (state.served) {
          say(ctx, 'certs-renew', `the apiserver serves the renewed certificate (serial ${state.diskSerial})`);
          return;
        }
        if (Date.now() > deadline)
          throw new TimeoutError(`${node.name}'s apiserver does not serve the renewed certificate ${ctx.windowTimeouts.readyMs} ms after its restart`, {
            host: node.name,
          });
        await sleep(POLL_MS);
      }
    },
  };
}
