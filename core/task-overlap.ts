/**
 * What an agent does with a task that arrives while another runs on its host. A coordinator killed mid-task leaves the
 * agent running it (the agent's work does not depend on the session), and the restarted coordinator, deciding from
 * reality, sends the same step again before the first has finished. Two `kubeadm upgrade node`, two dpkg runs or two
 * `kubeadm join` at once on one host break it; so:
 * - the same task (kind and arguments) attaches to the one running, and is answered with its result;
 * - a task that changes the host's Kubernetes installation waits until no other such task runs, then runs.
 * Every other task (reads, load-balancer writes, VIP moves) runs at once, as before.
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

export function decideOverlap(arriving: { readonly kind: string; readonly work: string }, running: readonly RunningTask[]): OverlapDecision {
  const same = running.find((r) => r.work === arriving.work);
  if (same) return { kind: 'attach', to: same.taskId };
  if (!HOST_EXCLUSIVE_TASKS.has(arriving.kind)) return { kind: 'run' };
  const ids = running.filter((r) => HOST_EXCLUSIVE_TASKS.has(r.kind)).map((r) => r.taskId);
  return ids.length > 0 ? { kind: 'wait-for', ids } : { kind: 'run' };
}
