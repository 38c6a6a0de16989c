/**
 * Whether a test cluster runs etcd, and what its harness passes to coordinatorctl because of it.
 *
 * The coordinator's etcd health gates (before every control-plane join and removal) refuse a cluster whose etcd no
 * control-plane node can reach: in production that is a cluster that lost etcd, and the product must not be weakened
 * for tests. The kubeadm simulator runs no etcd at all unless its agents' environment says KUBEADM_SIM_ETCD=real
 * (real Debian etcd members under the simulated kubeadm; the e2e harness in network namespaces), so the loopback
 * harness, and the namespace harnesses until they turn that switch on, pass `--force` to exactly the commands the
 * gates guard: what an operator does to go on regardless. Every such run prints which checks --force skipped, and
 * the loopback deploy test asserts that it does; the gates themselves are tested against fake agents
 * (coordinator/phases/deploy/join-control-plane.test.ts, coordinator/workflow/etcd.test.ts) and the agent's etcd
 * client against a real etcd (agent/etcd/gateway-client.test.ts).
 */

/** The commands the etcd health gates guard. */
const GATED = new Set(['deploy', 'add-node', 'remove-node']);

/** Whether agents started with `env` run real etcd members under the simulated kubeadm. */
export function simRunsEtcd(env: Readonly<Record<string, string | undefined>> | undefined): boolean {
  return env?.KUBEADM_SIM_ETCD === 'real';
}

/** `args` for coordinatorctl, with `--force` added to a gated command when the cluster runs no etcd. */
export function withEtcdGateOverride(args: readonly string[], realEtcd: boolean): string[] {
  if (realEtcd || !GATED.has(args[0] ?? '') || args.includes('--force')) return [...args];
  return [...args, '--force'];
}
