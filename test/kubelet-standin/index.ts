/** Runs what kubelet (static pods) and systemd would run on a lab host: real keepalived, haproxy and etcd. */
export {
  startKubeletStandin,
  startKubeletStandins,
  type KubeletStandin,
  type KubeletStandinOptions,
  type KubeletStandins,
  type SystemctlAction,
} from './standin.js';
export type { DaemonState, DaemonStatus, StandinEvent, StandinEventKind, DaemonSource } from './events.js';
export { KUBELET_BACKOFF, type KubeletBackoff } from './pod-worker.js';
export { parseStaticPod, daemonOf, podProblems, DAEMON_NAMES, POD_DAEMON_NAMES, type DaemonName, type PodDaemonName, type StaticPod } from './pod-manifest.js';
export { runSystemctl, type SystemctlResult } from './systemctl.js';
