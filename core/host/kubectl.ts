/**
 * kubectl command lines the agent runs through a control-plane node's admin.conf, as argv arrays (argv[0] is
 * `kubectl`). A node name comes from the coordinator's task: the spec validates it as a DNS-1123 label, but the agent
 * does not take that on trust. Each name is checked here and put after `--`, so that even one that slipped through
 * (`--all`, `-l x`) is read by kubectl as a name, never as a flag.
 */
import { KubeadmHaError } from '../errors.js';
import { ADMIN_KUBECONFIG_PATH } from './paths.js';

export const KUBECTL = 'kubectl';

/** Kubernetes object names for Nodes: a DNS-1123 subdomain (lower-case alphanumerics, `-` and `.`, at most 253). */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The name itself, when it is a Node name kubectl can only read as a name; a KubeadmHaError naming it otherwise. */
export function checkNodeName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw new KubeadmHaError(`kubectl argv: ${JSON.stringify(name)} is not a node name (a DNS-1123 subdomain, which never starts with "-")`);
  }
  return name;
}

/** https://IPv4:port, https://[IPv6]:port or https://dns-name:port, nothing else: it becomes a kubectl flag value. */
const SERVER_RE = /^https:\/\/(?:\[[0-9a-fA-F:.]+\]|[0-9.]+|[a-z0-9]([-a-z0-9.]*[a-z0-9])?):\d{1,5}$/;

function kubectl(...args: string[]): string[] {
  return [KUBECTL, '--kubeconfig', ADMIN_KUBECONFIG_PATH, ...args];
}

/** `--server URL` when one is given, checked first: it becomes a flag value. */
function serverFlag(server: string | undefined): string[] {
  if (server === undefined || server === '') return [];
  if (!SERVER_RE.test(server)) throw new KubeadmHaError(`refusing kubectl --server "${server.slice(0, 80)}": not https://host:port`);
  return ['--server', server];
}

/** `kubectl get node -o name -- NAME`: exits non-zero with NotFound when the Node is gone. */
export function getNodeArgv(name: string, server?: string): string[] {
  return kubectl(...serverFlag(server), 'get', 'node', '-o', 'name', '--', checkNodeName(name));
}

/**
 * `kubectl get node -o json [--server URL] -- NAME`: the Node object, whose status.conditions carry Ready. With a
 * server, asked of that apiserver (the asking node's own) rather than admin.conf's endpoint, the VIP.
 */
export function getNodeJsonArgv(name: string, server?: string): string[] {
  return kubectl(...serverFlag(server), 'get', 'node', '-o', 'json', '--', checkNodeName(name));
}

export interface NodeReadiness {
  /** The kubelet posts status and says Ready, or says NotReady only because no pod network (CNI) is installed yet. */
  readonly ready: boolean;
  /** The Ready condition as `status: reason: message`, for logs and errors. */
  readonly detail: string;
}

/**
 * A finished `kubeadm join` leaves a Node whose kubelet posts status. Ready=True is that; so is Ready=False for the
 * sole reason that the container runtime's network is not ready, because kubeadm-ha installs no CNI and every node of
 * a fresh cluster says so until the operator installs one. Unknown (the kubelet stopped posting: a reset, a stopped
 * kubelet) and False for any other reason are not.
 */
export function parseNodeReadiness(json: string): NodeReadiness {
  let node: { status?: { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] } };
  try {
    node = JSON.parse(json) as typeof node;
  } catch {
    throw new KubeadmHaError(`kubectl get node -o json printed no JSON: ${JSON.stringify(json.slice(0, 200))}`);
  }
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return { ready: false, detail: 'no Ready condition yet (the kubelet has not posted status)' };
  const detail = [ready.status ?? '?', ready.reason, ready.message].filter(Boolean).join(': ');
  if (ready.status === 'True') return { ready: true, detail };
  const onlyNetwork =
    ready.status === 'False' && /NetworkReady=false|network plugin|cni plugin not initialized|cni config uninitialized/i.test(ready.message ?? '');
  return { ready: onlyNetwork, detail };
}

/** `kubectl drain … -- NAME`: cordons and evicts everything but DaemonSet pods, within `timeoutSeconds`. */
export function drainNodeArgv(name: string, timeoutSeconds: number, server?: string): string[] {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1)
    throw new KubeadmHaError(`kubectl argv: drain timeout ${timeoutSeconds} s is not a whole number of seconds`);
  return kubectl(
    ...serverFlag(server),
    'drain',
    '--ignore-daemonsets',
    '--delete-emptydir-data',
    '--force',
    `--timeout=${timeoutSeconds}s`,
    '--',
    checkNodeName(name),
  );
}

/** `kubectl delete node -- NAME`. */
export function deleteNodeArgv(name: string, server?: string): string[] {
  return kubectl(...serverFlag(server), 'delete', 'node', '--', checkNodeName(name));
}

/** The kubeadm-certs Secret `kubeadm init phase upload-certs` leaves in kube-system; gone already is fine. */
export function deleteCertsSecretArgv(): string[] {
  return kubectl('-n', 'kube-system', 'delete', 'secret', '--ignore-not-found', '--', 'kubeadm-certs');
}

/** `kubectl uncordon -- NAME`: the node takes pods again after its drain. */
export function uncordonNodeArgv(name: string, server?: string): string[] {
  return kubectl(...serverFlag(server), 'uncordon', '--', checkNodeName(name));
}
