/**
 * The semantic rules of a cluster spec: every problem at once, each with its path and what to do about it.
 * The schema (spec.ts) has already checked types and shapes; these are the rules that keep a cluster alive.
 */
import ipaddr from 'ipaddr.js';
import { clip } from './clip.js';
import { SpecError, type SpecIssue } from './errors.js';
import { HAPROXY_HEALTHZ_PORT } from './ports.js';
import { MAX_PRIORITY, MIN_PRIORITY, controlPlaneNodes, effectivePriorityOnFailure, failoverArithmeticHolds, planPriorities } from './plan.js';
import { parseSpecYaml, type ClusterSpec } from './spec.js';

export const DNS1123_LABEL_MAX = 63;
const DNS1123_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Linux IFNAMSIZ is 16 including the terminating NUL. */
const INTERFACE_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;
const ETCD_DEFAULT_HEARTBEAT_MS = 100;
const ETCD_DEFAULT_ELECTION_MS = 1000;

export interface ValidationResult {
  readonly errors: readonly SpecIssue[];
  readonly warnings: readonly SpecIssue[];
}

/**
 * Why a name is not a DNS-1123 label, as a sentence, or undefined when it is one. The name is shown clipped
 * (core/clip.ts): it may come from the network (a Register request, a NATS key) and ends up in a gRPC status.
 */
export function dns1123LabelProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > DNS1123_LABEL_MAX) return `"${clip(name)}" is ${name.length} characters; a DNS-1123 label has at most ${DNS1123_LABEL_MAX}`;
  if (!DNS1123_LABEL_RE.test(name)) {
    const suggestion = name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, DNS1123_LABEL_MAX);
    return (
      `"${clip(name)}" is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)` +
      (suggestion && DNS1123_LABEL_RE.test(suggestion) ? `; use e.g. "${suggestion}"` : '')
    );
  }
  return undefined;
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseCidr(text: string): Cidr | undefined {
  try {
    return ipaddr.parseCIDR(text);
  } catch {
    return undefined;
  }
}

function networkAddress([addr, bits]: Cidr): string {
  return addr.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toString()
    : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toString();
}

function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a[0].kind() !== b[0].kind()) return false;
  const shorter = a[1] <= b[1] ? a : b;
  const longer = shorter === a ? b : a;
  return longer[0].match(shorter);
}

function addressIn(address: string, cidr: Cidr): boolean {
  const parsed = ipaddr.parse(address);
  return parsed.kind() === cidr[0].kind() && parsed.match(cidr);
}

/** haproxy reads timeouts, intervals and counts into a signed 32-bit int; anything larger it refuses or wraps. */
export const HAPROXY_INT_MAX = 2_147_483_647;

export function validateSpec(spec: ClusterSpec): ValidationResult {
  const errors: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });
  const e = spec.controlPlaneEndpoint;
  const k = e.keepalived;

  const clusterNameProblem = dns1123LabelProblem(spec.name);
  if (clusterNameProblem) err('metadata.name', clusterNameProblem);

  // Names and addresses.
  const seenNames = new Map<string, number>();
  const seenAddresses = new Map<string, number>();
  spec.nodes.forEach((n, i) => {
    const problem = dns1123LabelProblem(n.name);
    if (problem) err(`spec.nodes[${i}].name`, `${problem}; kubeadm registers the node under this name (nodeRegistration.name)`);
    const firstName = seenNames.get(n.name);
    if (firstName !== undefined) err(`spec.nodes[${i}].name`, `"${n.name}" is already used by spec.nodes[${firstName}]; node names must be unique`);
    else seenNames.set(n.name, i);
    const firstAddress = seenAddresses.get(n.address);
    if (firstAddress !== undefined)
      err(
        `spec.nodes[${i}].address`,
        `${n.address} is already used by spec.nodes[${firstAddress}] (${spec.nodes[firstAddress]!.name}); every node needs its own address`,
      );
    else seenAddresses.set(n.address, i);
    if (n.address === e.vip) err(`spec.nodes[${i}].address`, `${n.address} is the VIP; the VIP must be an unused address that only keepalived assigns`);
    if (ipaddr.parse(n.address).kind() !== e.vipFamily)
      err(`spec.nodes[${i}].address`, `${n.address} is ${ipaddr.parse(n.address).kind()} but the VIP is ${e.vipFamily}; use one address family`);
    if (n.interface !== undefined && !INTERFACE_RE.test(n.interface))
      err(`spec.nodes[${i}].interface`, `"${n.interface}" is not a Linux interface name (at most 15 characters, no spaces or slashes)`);
    if (n.keepalivedPriority !== undefined) {
      if (n.role !== 'control-plane') err(`spec.nodes[${i}].keepalivedPriority`, 'only control-plane nodes run keepalived; remove it from this worker');
      else if (n.keepalivedPriority < MIN_PRIORITY || n.keepalivedPriority > MAX_PRIORITY)
        err(
          `spec.nodes[${i}].keepalivedPriority`,
          `${n.keepalivedPriority} is outside ${MIN_PRIORITY}..${MAX_PRIORITY} (255 is reserved for the address owner)`,
        );
    }
  });

  const cps = controlPlaneNodes(spec);
  if (cps.length === 0) err('spec.nodes', 'has no node with role "control-plane"; the first control-plane node runs kubeadm init');
  else if (cps.length === 1)
    warnings.push({ path: 'spec.nodes', message: 'has a single control-plane node: this cluster is not highly available; use 3 or 5' });
  else if (cps.length % 2 === 0)
    warnings.push({
      path: 'spec.nodes',
      message: `has ${cps.length} control-plane nodes: an even etcd membership tolerates no more failures than ${cps.length - 1}; use an odd number`,
    });

  // The VIP.
  if (e.vipPrefixLength !== undefined) {
    const vipNet: Cidr = [ipaddr.parse(e.vip), e.vipPrefixLength];
    for (const n of cps) {
      if (ipaddr.parse(n.address).kind() === e.vipFamily && !addressIn(n.address, vipNet))
        err(
          'spec.controlPlaneEndpoint.vip',
          `${e.vip}/${e.vipPrefixLength} does not contain ${n.name}'s address ${n.address}; the VIP must be in the control-plane nodes' subnet, or VRRP cannot move it between them`,
        );
    }
  }

  // haproxy reads timeouts and intervals into a signed 32-bit count of ms: larger values it refuses, and agents would
  // retry a set they can never render (the published set is bounded the same way, core/backend-set.ts).
  for (const [name, ms] of Object.entries(e.haproxy.timeouts)) {
    if (ms > HAPROXY_INT_MAX)
      err(
        `spec.controlPlaneEndpoint.haproxy.timeouts.${name.replace(/Ms$/, '')}`,
        `${ms} ms is more than haproxy accepts (${HAPROXY_INT_MAX} ms, about 24 days)`,
      );
  }
  if (2 * e.haproxy.healthCheck.intervalMs > HAPROXY_INT_MAX) {
    err(
      'spec.controlPlaneEndpoint.haproxy.healthCheck.intervalMs',
      `must be at most ${Math.floor(HAPROXY_INT_MAX / 2)} ms: the check timeout is twice the interval`,
    );
  }

  // Ports.
  if (e.loadBalancer === 'keepalived-haproxy' && e.port === e.apiserverPort)
    err(
      'spec.controlPlaneEndpoint.port',
      `${e.port} is also apiserverPort; haproxy runs on the control-plane nodes next to kube-apiserver, so it needs another port (default 8443)`,
    );
  if (e.loadBalancer === 'keepalived-haproxy' && (e.port === HAPROXY_HEALTHZ_PORT || e.apiserverPort === HAPROXY_HEALTHZ_PORT))
    err(
      `spec.controlPlaneEndpoint.${e.port === HAPROXY_HEALTHZ_PORT ? 'port' : 'apiserverPort'}`,
      `${HAPROXY_HEALTHZ_PORT} is haproxy's loopback health endpoint for the liveness probe and keepalived's check; choose another port`,
    );
  if (e.loadBalancer === 'kube-vip') {
    if (e.port !== e.apiserverPort)
      err(
        'spec.controlPlaneEndpoint.port',
        `kube-vip only moves the VIP and does not proxy; clients reach kube-apiserver on the VIP directly, so port must equal apiserverPort (${e.apiserverPort})`,
      );
    if (e.runAs !== 'static-pod') err('spec.controlPlaneEndpoint.runAs', 'kube-vip runs only as a static pod; use runAs: static-pod');
  }

  // keepalived.
  if (k.virtualRouterId !== 'auto' && (k.virtualRouterId < 1 || k.virtualRouterId > 255))
    err('spec.controlPlaneEndpoint.keepalived.virtualRouterId', `${k.virtualRouterId} is outside 1..255; use "auto" to pick a free one on the segment`);
  if (k.authPass !== undefined && k.authPass.length > 8)
    err(
      'spec.controlPlaneEndpoint.keepalived.authPass',
      `is ${k.authPass.length} characters; keepalived silently cuts PASS authentication to 8, so nodes configured by hand would disagree; use at most 8`,
    );
  if (k.advertIntervalMs < 10 || k.advertIntervalMs > 40950 || k.advertIntervalMs % 10 !== 0)
    err(
      'spec.controlPlaneEndpoint.keepalived.advertIntervalMs',
      `${k.advertIntervalMs} is not a VRRPv3 advertisement interval: use a multiple of 10 ms from 10 to 40950 (e.g. 200)`,
    );
  if (k.trackWeight > 0)
    err(
      'spec.controlPlaneEndpoint.keepalived.trackWeight',
      `${k.trackWeight} raises the priority of healthy nodes instead of lowering a failed one; use 0 (a failed check puts the node in FAULT) or a negative weight`,
    );
  if (k.trackWeight !== 0 && !k.preempt)
    err(
      'spec.controlPlaneEndpoint.keepalived.trackWeight',
      `${k.trackWeight} with preempt: false never moves the VIP: a nopreempt backup accepts the lowered holder's adverts. Use trackWeight: 0 (FAULT, recommended) or set preempt: true`,
    );
  if (cps.length > 0 && k.trackWeight < 0) {
    const priorities = planPriorities(cps, k.trackWeight);
    if (!failoverArithmeticHolds(priorities, k.trackWeight)) {
      const overridden = cps.some((n) => n.keepalivedPriority !== undefined);
      err(
        overridden ? 'spec.nodes' : 'spec.controlPlaneEndpoint.keepalived.trackWeight',
        `keepalived priorities ${priorities.join('/')} with trackWeight ${k.trackWeight}: a failed holder at ${Math.max(...priorities)} drops only to ${effectivePriorityOnFailure(Math.max(...priorities), k.trackWeight)}${Math.max(...priorities) + k.trackWeight < 1 ? ' (keepalived never goes below 1)' : ''}, not below ${Math.min(...priorities)}, so the VIP would stay; ` +
          `make the spread of priorities smaller than ${-k.trackWeight}, use a weight below ${-(Math.max(...priorities) - Math.min(...priorities))}, or use trackWeight: 0`,
      );
    }
  }
  if (cps.length > 0) {
    const priorities = planPriorities(cps, k.trackWeight);
    const byPriority = new Map<number, string>();
    cps.forEach((n, i) => {
      const other = byPriority.get(priorities[i]!);
      if (other !== undefined && n.keepalivedPriority !== undefined)
        err(
          `spec.nodes[${spec.nodes.indexOf(n)}].keepalivedPriority`,
          `${priorities[i]} is also ${other}'s priority; equal priorities make the VIP holder depend on address order, give each node its own`,
        );
      byPriority.set(priorities[i]!, n.name);
    });
  }

  // etcd.
  const etcd = spec.kubernetes.etcd;
  if (etcd) {
    const heartbeat = etcd.heartbeatIntervalMs ?? ETCD_DEFAULT_HEARTBEAT_MS;
    const election = etcd.electionTimeoutMs ?? ETCD_DEFAULT_ELECTION_MS;
    if (election < 5 * heartbeat)
      err(
        'spec.kubernetes.etcd.electionTimeoutMs',
        `${election} ms is under 5 × the ${heartbeat} ms heartbeat; etcd refuses to start; use at least ${5 * heartbeat} ms (seed settings: 250/2500 or 1000/5000)`,
      );
    if (election > 50_000) err('spec.kubernetes.etcd.electionTimeoutMs', `${election} ms is above etcd's 50000 ms limit`);
  }

  // Networks.
  const pod = parseCidr(spec.kubernetes.podSubnet);
  const service = parseCidr(spec.kubernetes.serviceSubnet);
  if (!pod) err('spec.kubernetes.podSubnet', `"${spec.kubernetes.podSubnet}" is not a CIDR such as 10.244.0.0/16`);
  if (!service) err('spec.kubernetes.serviceSubnet', `"${spec.kubernetes.serviceSubnet}" is not a CIDR such as 10.96.0.0/12`);
  if (pod && networkAddress(pod) !== pod[0].toString())
    err('spec.kubernetes.podSubnet', `${spec.kubernetes.podSubnet} has host bits set; write ${networkAddress(pod)}/${pod[1]}`);
  if (service && networkAddress(service) !== service[0].toString())
    err('spec.kubernetes.serviceSubnet', `${spec.kubernetes.serviceSubnet} has host bits set; write ${networkAddress(service)}/${service[1]}`);
  if (pod && service && cidrsOverlap(pod, service))
    err(
      'spec.kubernetes.serviceSubnet',
      `${spec.kubernetes.serviceSubnet} overlaps podSubnet ${spec.kubernetes.podSubnet}; pods and services need separate ranges`,
    );
  const nodeNet: Cidr | undefined = e.vipPrefixLength !== undefined ? [ipaddr.parse(e.vip), e.vipPrefixLength] : undefined;
  for (const [field, net] of [
    ['podSubnet', pod],
    ['serviceSubnet', service],
  ] as const) {
    if (!net) continue;
    if (nodeNet && cidrsOverlap(net, nodeNet))
      err(`spec.kubernetes.${field}`, `${spec.kubernetes[field]} overlaps the node network ${e.vip}/${e.vipPrefixLength}; routing to nodes would break`);
    else {
      for (const n of spec.nodes) {
        if (addressIn(n.address, net))
          err(`spec.kubernetes.${field}`, `${spec.kubernetes[field]} contains ${n.name}'s address ${n.address}; choose a range that no node uses`);
      }
      if (addressIn(e.vip, net)) err(`spec.kubernetes.${field}`, `${spec.kubernetes[field]} contains the VIP ${e.vip}`);
    }
  }
  if (!DNS1123_SUBDOMAIN_RE.test(spec.kubernetes.dnsDomain))
    err('spec.kubernetes.dnsDomain', `"${spec.kubernetes.dnsDomain}" is not a DNS-1123 subdomain such as cluster.local`);

  if (spec.autoJoin.enabled && spec.autoJoin.role === 'control-plane' && cps.length > 0 && e.loadBalancer === 'kube-vip')
    warnings.push({ path: 'spec.autoJoin.role', message: 'auto-joined control-plane nodes change etcd membership without review; prefer worker' });

  return { errors, warnings };
}

/** Parse + validate in one step, for the CLI and the coordinator: throws SpecError with every error. */
export function loadSpec(text: string, source = 'cluster.yaml'): { spec: ClusterSpec; warnings: readonly SpecIssue[] } {
  const spec = parseSpecYaml(text, source);
  const { errors, warnings } = validateSpec(spec);
  if (errors.length > 0) throw new SpecError(source, errors);
  return { spec, warnings };
}

/**
 * A coordinator manages exactly one cluster, fixed at its first start: a spec for another one (metadata.name) is
 * refused before anything runs, or one cluster's nodes would be deployed into the other. Undefined when it matches.
 */
export function clusterNameProblem(spec: Pick<ClusterSpec, 'name'>, clusterName: string): SpecIssue | undefined {
  if (spec.name === clusterName) return undefined;
  return { path: 'metadata.name', message: `is "${spec.name}", but this coordinator manages cluster "${clusterName}"` };
}
