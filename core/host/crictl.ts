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
  return [
    '--runtime-endpoint',
    checkSocket(criSocket),
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

/**
 * The socket comes from the coordinator's task; pflag would take it as the flag's value anyway, but a value that
 * looks like a flag is refused outright rather than left to the parser.
 */
function checkSocket(criSocket: string): string {
  if (criSocket.length === 0 || criSocket.startsWith('-') || /\s/.test(criSocket))
    throw new KubeadmHaError(`crictl: ${JSON.stringify(criSocket)} is not a CRI socket (unix:///run/containerd/containerd.sock)`);
  return criSocket;
}

/** `crictl ps -a -q`: every container (exited ones too) named exactly `name` in kube-system. */
export function allContainersArgv(criSocket: string, name: string): string[] {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new KubeadmHaError(`crictl: ${JSON.stringify(name)} is not a container name`);
  return ['--runtime-endpoint', checkSocket(criSocket), 'ps', '--all', '--quiet', '--name', `^${name}$`, '--label', 'io.kubernetes.pod.namespace=kube-system'];
}

function checkContainerId(id: string): string {
  if (!/^[0-9a-f]{12,64}$/.test(id)) throw new KubeadmHaError(`crictl: ${JSON.stringify(id.slice(0, 70))} is not a container id`);
  return id;
}

/** `crictl inspect ID`: the container's status as JSON. */
export function inspectContainerArgv(criSocket: string, id: string): string[] {
  return ['--runtime-endpoint', checkSocket(criSocket), 'inspect', '--output', 'json', checkContainerId(id)];
}

/** `crictl logs --tail N ID`: the end of what the container printed (stdout and stderr). */
export function containerLogsArgv(criSocket: string, id: string, lines: number): string[] {
  return ['--runtime-endpoint', checkSocket(criSocket), 'logs', '--tail', String(Math.max(1, Math.min(200, Math.floor(lines)))), checkContainerId(id)];
}

export interface ContainerState {
  /** CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED or CONTAINER_UNKNOWN. */
  readonly state: string;
  readonly exitCode: number;
}

/** The part of `crictl inspect -o json` a one-shot container's caller needs: `{"status": {"state", "exitCode"}}`. */
export function parseContainerInspect(stdout: string): ContainerState {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new KubeadmHaError('crictl inspect did not print JSON');
  }
  const status = typeof doc === 'object' && doc !== null ? (doc as { status?: unknown }).status : undefined;
  const state = typeof status === 'object' && status !== null ? (status as { state?: unknown; exitCode?: unknown }) : undefined;
  if (!state || typeof state.state !== 'string') throw new KubeadmHaError('crictl inspect printed no status.state');
  // Fail closed: an exited container that says no exit code did not succeed.
  const code = typeof state.exitCode === 'number' && Number.isInteger(state.exitCode) ? state.exitCode : -1;
  return { state: state.state.slice(0, 40), exitCode: code };
}
