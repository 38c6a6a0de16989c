/**
 * Whether a registered host that is not in the spec joins by itself, and as what. The role comes from its bootstrap
 * token (authoritative, lowered by the agent's hint at most); the spec decides whether a control-plane host may join
 * without an operator: a control-plane join changes etcd membership and hands the host the cluster's CA keys.
 */
import type { ClusterSpec, Role } from './spec.js';

export type AutoJoinDecision = { readonly kind: 'join'; readonly role: Role } | { readonly kind: 'pending'; readonly reason: string };

export function autoJoinDecision(spec: ClusterSpec, name: string, registeredRole: Role): AutoJoinDecision {
  if (!spec.autoJoin.enabled) return { kind: 'pending', reason: 'auto-join is off in the spec' };
  if (registeredRole === 'worker') return { kind: 'join', role: 'worker' };
  if (spec.autoJoin.role === 'control-plane' || (spec.autoJoin.controlPlaneNodes ?? []).includes(name)) return { kind: 'join', role: 'control-plane' };
  return {
    kind: 'pending',
    reason: `registered with a control-plane token, and the spec lets no control-plane host auto-join (autoJoin.role: control-plane, or list it in autoJoin.controlPlaneNodes); \`coordinatorctl nodes approve ${name}\` joins it`,
  };
}
