/**
 * The NATS names both daemons must agree on: buckets, keys and the per-agent inbox prefix that the
 * coordinator's permission grants are written against.
 */

/** Coordinator state: spec, nodes, phase progress, token records, agent records. Agents never read it. */
export const STATE_BUCKET = 'kha-state';
/** One key per cluster holding its encoded BackendSet. Agents may read their cluster's key, nothing else. */
export const LB_BUCKET = 'kha-lb';

/** The stream behind a KV bucket, as JetStream names it. */
export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

/** The subject a KV key is stored under. */
export function kvSubject(bucket: string, key: string): string {
  return `$KV.${bucket}.${key}`;
}

/** The key of a cluster's backend set in LB_BUCKET. */
export function backendSetKey(cluster: string): string {
  return cluster;
}

/**
 * Replies to an agent's requests (and its KV watch deliveries) go to subjects under this prefix, and
 * an agent may subscribe to nothing else. Derived from the agent's nkey public key so that the grant
 * is bound to the key, and so that agents cannot read each other's replies.
 */
export function agentInboxPrefix(nkeyPublicKey: string): string {
  return `_INBOX_${nkeyPublicKey}`;
}
