/**
 * Key layout of the `kha-state` bucket. Every id becomes one key token, so a dot in an id (which
 * would silently nest it under another record) is refused here.
 */
import { KubeadmHaError } from '../../core/errors.js';
import { dns1123LabelProblem } from '../../core/validate.js';

export type CollectionKind = 'nodes' | 'phases' | 'tokens' | 'agents' | 'agentKeys' | 'tombstones';

const ID_RE = /^[-/=\w]+$/;

export function clusterPrefix(cluster: string): string {
  const problem = dns1123LabelProblem(cluster);
  if (problem) throw new KubeadmHaError(`cluster name: ${problem}`);
  return `clusters.${cluster}`;
}

export function specKey(cluster: string): string {
  return `${clusterPrefix(cluster)}.spec`;
}

/** The one operation record of the cluster (records.ts operationRecordSchema). */
export function operationKey(cluster: string): string {
  return `${clusterPrefix(cluster)}.operation`;
}

export function collectionPrefix(cluster: string, kind: CollectionKind): string {
  return `${clusterPrefix(cluster)}.${kind}`;
}

export function recordKey(cluster: string, kind: CollectionKind, id: string): string {
  if (!ID_RE.test(id)) throw new KubeadmHaError(`${kind} id "${id}" may only hold letters, digits, "-", "_", "/" and "="`);
  return `${collectionPrefix(cluster, kind)}.${id}`;
}

/** The coordinators' leader lease (core/leader-lease.ts), written only by coordinator/leader/lease.ts. */
export function leaderKey(cluster: string): string {
  return `${clusterPrefix(cluster)}.leader`;
}

/** Agent NATS keys revoked on an external cluster (nats/external-auth.ts). */
export function natsRevocationsKey(cluster: string): string {
  return `${clusterPrefix(cluster)}.nats-revocations`;
}
