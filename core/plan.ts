/**
 * The deploy plan: which node runs `kubeadm init`, the control-plane join order, keepalived priorities and the
 * router id. Pure: the random parts (auth_pass, a router id that avoids one seen on the segment) come in resolved.
 */
import { KubeadmHaError } from './errors.js';
import type { ClusterSpec, NodeSpec } from './spec.js';

export const TOP_PRIORITY = 100;
export const DEFAULT_PRIORITY_STEP = 2;
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 254;

export interface PlannedNode extends NodeSpec {
  /** Position among the nodes of the same role, in spec order; master0 is control-plane index 0. */
  readonly index: number;
  readonly isInitNode: boolean;
  /** keepalived priority; control-plane nodes only. */
  readonly priority?: number;
}

export interface ClusterPlan {
  readonly spec: ClusterSpec;
  readonly initNode: PlannedNode;
  /** master0 first, then the strict one-at-a-time join order. */
  readonly controlPlane: readonly PlannedNode[];
  readonly workers: readonly PlannedNode[];
  readonly virtualRouterId: number;
  /** VRRPv3 (RFC 5798) has no authentication, so keepalived ignores it; kept for specs that set it. */
  readonly authPass?: string;
}

export interface ResolvedValues {
  /** Overrides `auto`; the coordinator picks one no VRRP advert on the segment already uses. */
  readonly virtualRouterId?: number;
  readonly authPass?: string;
}

/**
 * keepalived priorities for the control-plane nodes in join order. Overrides win; the others count down from 100 in
 * steps of 2 (100/98/96…). With a negative tracking weight the spread must stay under |weight| so that a failed holder
 * drops below every healthy node; the step shrinks to 1 when 2 would break that.
 */
export function planPriorities(controlPlane: readonly NodeSpec[], trackWeight: number): number[] {
  const spread = (step: number) => step * Math.max(0, controlPlane.length - 1);
  const step = trackWeight < 0 && spread(DEFAULT_PRIORITY_STEP) >= -trackWeight ? 1 : DEFAULT_PRIORITY_STEP;
  return controlPlane.map((n, i) => n.keepalivedPriority ?? TOP_PRIORITY - step * i);
}

/**
 * The failover arithmetic: with weight 0 a failed check puts the holder in FAULT (it leaves the election), so any
 * distinct priorities work; with a negative weight every possible holder's lowered priority must be below every other
 * node's priority, i.e. max + weight < min.
 */
export function failoverArithmeticHolds(priorities: readonly number[], trackWeight: number): boolean {
  if (priorities.length < 2 || trackWeight === 0) return true;
  if (trackWeight > 0) return false;
  // keepalived never lowers a priority below 1: a weight that would take it to 0 or less leaves it at 1.
  return effectivePriorityOnFailure(Math.max(...priorities), trackWeight) < Math.min(...priorities);
}

/** What a node's priority becomes once its check fails: FAULT (0, out of the election) or lowered by the weight. */
export function effectivePriorityOnFailure(priority: number, trackWeight: number): number {
  return trackWeight === 0 ? 0 : Math.max(MIN_PRIORITY, priority + trackWeight);
}

/** FNV-1a: a stable default router id per cluster and VIP, so offline renders agree with each other. */
export function defaultVirtualRouterId(spec: ClusterSpec): number {
  let hash = 0x811c9dc5;
  for (const ch of `${spec.name}/${spec.controlPlaneEndpoint.vip}`) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % 255) + 1;
}

export function controlPlaneNodes(spec: ClusterSpec): NodeSpec[] {
  return spec.nodes.filter((n) => n.role === 'control-plane');
}

export function planCluster(spec: ClusterSpec, resolved: ResolvedValues = {}): ClusterPlan {
  const keepalived = spec.controlPlaneEndpoint.keepalived;
  const cps = controlPlaneNodes(spec);
  if (cps.length === 0) throw new KubeadmHaError('planCluster: the spec has no control-plane node; validate it first');
  const authPass = keepalived.authPass ?? resolved.authPass;
  const priorities = planPriorities(cps, keepalived.trackWeight);
  const controlPlane = cps.map((n, i) => ({ ...n, index: i, isInitNode: i === 0, priority: priorities[i]! }));
  const workers = spec.nodes.filter((n) => n.role === 'worker').map((n, i) => ({ ...n, index: i, isInitNode: false }));
  const virtualRouterId = keepalived.virtualRouterId === 'auto' ? (resolved.virtualRouterId ?? defaultVirtualRouterId(spec)) : keepalived.virtualRouterId;
  return Object.freeze({ spec, initNode: controlPlane[0]!, controlPlane, workers, virtualRouterId, ...(authPass !== undefined ? { authPass } : {}) });
}

export function findPlannedNode(plan: ClusterPlan, name: string): PlannedNode | undefined {
  return plan.controlPlane.find((n) => n.name === name) ?? plan.workers.find((n) => n.name === name);
}

/** The VIP as keepalived and `ip addr` want it: with the user's prefix length, or /32 (/128) when none was given. */
export function vipCidr(spec: ClusterSpec): string {
  const e = spec.controlPlaneEndpoint;
  return `${e.vip}/${e.vipPrefixLength ?? (e.vipFamily === 'ipv4' ? 32 : 128)}`;
}

/** `VIP:port`, bracketed for IPv6, as kubeadm's controlPlaneEndpoint. */
export function controlPlaneEndpoint(spec: ClusterSpec): string {
  const e = spec.controlPlaneEndpoint;
  return e.vipFamily === 'ipv6' ? `[${e.vip}]:${e.port}` : `${e.vip}:${e.port}`;
}

/** Workers joined at once unless `--worker-concurrency` says otherwise. */
export const DEFAULT_WORKER_CONCURRENCY = 10;

/**
 * https://ADDRESS:PORT of a control-plane node's own apiserver. kubectl run on that node asks it directly rather than
 * admin.conf's endpoint (the VIP), which may be moving, as when the VIP holder is being removed.
 */
export function ownApiserverUrl(spec: ClusterSpec, node: Pick<NodeSpec, 'address'>): string {
  const host = node.address.includes(':') ? `[${node.address}]` : node.address;
  return `https://${host}:${spec.controlPlaneEndpoint.apiserverPort}`;
}
