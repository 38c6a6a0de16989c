import { PreconditionError } from '../../../core/errors.js';
import { peerUrlOf } from '../../../core/etcd/gateway.js';
import { joinedControlPlaneNodes, removeLeftoverMember, stackedEtcd } from '../../workflow/etcd.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

/**
 * After kubeadm reset: no etcd member may keep the node's peer URL. kubeadm reset removes the member only when it can
 * reach etcd from the node; one left behind would count against quorum forever. It is removed through a healthy
 * remaining control-plane node's agent, and said so.
 */
export const removeEtcdMemberPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-etcd-member',
  title: 'No etcd member left with the node’s peer URL',
  describe: (view) =>
    view.target.role === 'control-plane'
      ? onTarget(view, `no etcd member with ${peerUrlOf(view.target.address)} left; one left is removed through a healthy control-plane node`)
      : onTarget(view, 'a worker: no etcd member'),
  shouldRun: async (ctx) => ctx.target.role === 'control-plane' && stackedEtcd(ctx.spec) && !(await hostDone(ctx)),
  async run(ctx) {
    const remaining = (await joinedControlPlaneNodes(ctx)).filter((n) => n.name !== ctx.target.name);
    try {
      await removeLeftoverMember(ctx, remaining, { name: ctx.target.name, address: ctx.target.address }, this.id);
    } catch (err) {
      if (!(ctx.force && err instanceof PreconditionError)) throw err;
      progress(ctx, this.id, `warning: --force: going on without this check: ${err.message}`);
    }
  },
};
