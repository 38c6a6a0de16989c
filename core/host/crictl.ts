/**
 * What the agent asks the container runtime through crictl (cri-tools, a kubeadm prerequisite): which of our static
 * pods' containers still run. kubelet stops a static pod some time after its manifest goes (the pod's grace period),
 * so "manifest removed" is not "keepalived gone"; the runtime is the source of truth.
 */
import { KubeadmHaError } from '../errors.js';

/** The containers of the load balancers we run as static pods (container names in templates/manifests). */
export const LB_CONTAINER_NAMES = ['keepalived', 'haproxy', 'kube-vip'] as const;

/** `crictl ps -q`: running containers named exactly one of `names` in kube-system, one id per line. */
export function runningContainersArgv(criSocket: string, names: readonly string[]): string[] {
  for (const n of names) if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n)) throw new KubeadmHaError(`crictl: ${JSON.stringify(n)} is not a container name`);
  // The socket comes from the coordinator's task; pflag would take it as the flag's value anyway, but a value that
  // looks like a flag is refused outright rather than left to the parser.
  if (criSocket.length === 0 || criSocket.startsWith('-') || /\s/.test(criSocket))
    throw new KubeadmHaError(`crictl: ${JSON.stringify(criSocket)} is not a CRI socket (unix:///run/containerd/containerd.sock)`);
  return [
    '--runtime-endpoint',
    criSocket,
    'ps',
    '--quiet',
    '--state',
    'running',
    '--name',
    `^(${names.join('|')})$`,
    '--label',
    'io.kubernetes.pod.namespace=kube-system',
  ];
}

/** `crictl ps -q` output: container ids, one per line. */
export function parseContainerIds(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{12,64}$/.test(l));
}
