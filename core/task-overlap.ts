/**
 * What an agent does with a task that arrives while another runs on its host. A coordinator killed mid-task leaves the
 * agent running it (the agent's work does not depend on the session), and the restarted coordinator, deciding from
 * reality, sends the same step again before the first has finished. Two `kubeadm upgrade node`, two dpkg runs or two
 * `kubeadm join` at once on one host break it; so:
 * - the same task (kind and arguments) attaches to the one running, and is answered with its result;
 * - a task that changes the host's Kubernetes installation waits until no other such task runs, then runs.
 * Every other task (reads, snapshots, load-balancer writes, VIP moves) runs at once, as before, and is never attached to.
 */

/** Task kinds (proto Task.kind) that change kubeadm's, the kubelet's or etcd's state on the host: one at a time. */
export const HOST_EXCLUSIVE_TASKS: ReadonlySet<string> = new Set([
  'kubeadmInit',
  'kubeadmJoin',
  'kubeadmReset',
  'kubeadmUpgrade',
  'installPackages',
  'restartKubelet',
  'certsRenew',
  'parkControlPlane',
  'etcdRestoreMember',
]);

/**
 * Task kinds (proto Task.kind) that only look (which files exist, whether the VIP is here, what haproxy or etcd says,
 * a Node's status, certificates): the only ones a dry run may send, and the ones the agent's task journal leaves out
 * (one killed with the agent changed nothing worth reporting).
 */
export const READ_ONLY_TASK_KINDS = ['verifyClean', 'lbStatus', 'nodeStatus', 'etcdStatus', 'certsCheck', 'servedCertificate'] as const;
export const READ_ONLY_TASKS: ReadonlySet<string> = new Set(READ_ONLY_TASK_KINDS);

export type OverlapDecision =
  | { readonly kind: 'run' }
  | { readonly kind: 'attach'; readonly to: string }
  | { readonly kind: 'wait-for'; readonly ids: readonly string[] };

export interface RunningTask {
  readonly taskId: string;
  readonly kind: string;
  /** The task's identity for attaching: its kind and its arguments, serialised. Never logged (arguments hold tokens). */
  readonly work: string;
}

/** The identity `decideOverlap` compares: kind and arguments. Arguments are protobuf objects, serialised in field order. */
export function taskWork(kind: string, args: unknown): string {
  return `${kind}\u0000${JSON.stringify(args ?? null)}`;
}

/**
 * The host-changing tasks a repeat attaches to. Not a kubelet restart: one asked now may follow a configuration
 * written after the running restart began, so it waits and restarts again.
 */
const ATTACHABLE_TASKS: ReadonlySet<string> = new Set([...HOST_EXCLUSIVE_TASKS].filter((k) => k !== 'restartKubelet'));

/**
 * Only host-changing tasks are looked at: any other task (reads, streamed snapshots, load-balancer writes) runs at once
 * and is never attached to, since its repeat must do its work again (a snapshot's data went to the first asker).
 */
export function decideOverlap(arriving: { readonly kind: string; readonly work: string }, running: readonly RunningTask[]): OverlapDecision {
  if (!HOST_EXCLUSIVE_TASKS.has(arriving.kind)) return { kind: 'run' };
  const same = ATTACHABLE_TASKS.has(arriving.kind) ? running.find((r) => r.work === arriving.work) : undefined;
  if (same) return { kind: 'attach', to: same.taskId };
  const ids = running.filter((r) => HOST_EXCLUSIVE_TASKS.has(r.kind)).map((r) => r.taskId);
  return ids.length > 0 ? { kind: 'wait-for', ids } : { kind: 'run' };
}
