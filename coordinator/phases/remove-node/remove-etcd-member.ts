import { PreconditionError } from '../../../core/errors.js';
import { peerUrlOf } from '../../../core/etcd/gateway.js';
import { joinedControlPlaneNodes, removeLeftoverMember, stackedEtcd } from '../../workflow/etcd.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

/**
 * Before kubeadm reset: the node's etcd member is removed through a healthy remaining control-plane node (after
 * remove-etcd-leader moved leadership away from it), and no member with its peer URL is left. kubeadm reset removes
 * the member itself only when it can fetch its configuration from the cluster, which needs the Node object that
 * remove-kubectl-drain has deleted; otherwise it skips the removal and stops etcd all the same. In a two-member
 * cluster that stopped member costs quorum. On a re-run (a resumed removal) a member already gone is said so.
 */
export const removeEtcdMemberPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-etcd-member',
  title: 'Remove the node’s etcd member through a remaining control-plane node',
  describe: (view) =>
    view.target.role === 'control-plane'
      ? onTarget(view, `its etcd member (${peerUrlOf(view.target.address)}) removed through a healthy remaining control-plane node, before kubeadm reset`)
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
