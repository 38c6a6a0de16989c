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

function kubectl(...args: string[]): string[] {
  return [KUBECTL, '--kubeconfig', ADMIN_KUBECONFIG_PATH, ...args];
}

/** `kubectl get node -o name -- NAME`: exits non-zero with NotFound when the Node is gone. */
export function getNodeArgv(name: string): string[] {
  return kubectl('get', 'node', '-o', 'name', '--', checkNodeName(name));
}

/** `kubectl drain … -- NAME`: cordons and evicts everything but DaemonSet pods, within `timeoutSeconds`. */
export function drainNodeArgv(name: string, timeoutSeconds: number): string[] {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1)
    throw new KubeadmHaError(`kubectl argv: drain timeout ${timeoutSeconds} s is not a whole number of seconds`);
  return kubectl('drain', '--ignore-daemonsets', '--delete-emptydir-data', '--force', `--timeout=${timeoutSeconds}s`, '--', checkNodeName(name));
}

/** `kubectl delete node -- NAME`. */
export function deleteNodeArgv(name: string): string[] {
  return kubectl('delete', 'node', '--', checkNodeName(name));
}

/** The kubeadm-certs Secret `kubeadm init phase upload-certs` leaves in kube-system; gone already is fine. */
export function deleteCertsSecretArgv(): string[] {
  return kubectl('-n', 'kube-system', 'delete', 'secret', '--ignore-not-found', '--', 'kubeadm-certs');
}
