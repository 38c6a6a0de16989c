/**
 * What each NATS user of the embedded server may do, and so who may cause what:
 * - only the coordinator's user may publish, anywhere: it alone writes the backend sets (`$KV.kha-lb.<cluster>`),
 *   the state, and creates the buckets;
 * - an agent's user may read its own cluster's backend set and nothing else: subscribe to that key's subject and to
 *   its own inbox, and direct-get that key's latest message. It creates no JetStream consumer (durable or ephemeral),
 *   so a compromised host cannot fill the server with them, and it cannot write, delete or purge anything. It lives in
 *   the agents' account, which imports those subjects (auth.ts says why): these permissions bound what it sends, and
 *   the account bounds where the answers can land.
 * Worked out from nats.js 3.x (agent/lb/backend-watch.ts: a core subscription plus `jsm.direct.getMessage` with
 * `last_by_subj`, which appends the key's subject to the request subject) and checked against nats-server 2.9 in
 * server.test.ts and backend-watch.test.ts.
 */
import { LB_BUCKET, agentInboxPrefix, backendSetKey, kvStreamName, kvSubject } from '../../lib/nats/names.js';

export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/** The coordinator owns the server: it creates the buckets and writes every key. */
export const COORDINATOR_PERMISSIONS: NatsPermissions = {
  publish: { allow: ['>'] },
  subscribe: { allow: ['>'] },
};

/**
 * Read-only access to one cluster's backend set and nothing else: no publish to `$KV.…` (writing a set), no
 * `$JS.API.CONSUMER.…` (no consumers at all), no other stream or key, no subscription outside the key and the agent's
 * own inbox prefix.
 */
export function agentPermissions(nkeyPublicKey: string, cluster: string): NatsPermissions {
  const stream = kvStreamName(LB_BUCKET);
  const key = kvSubject(LB_BUCKET, backendSetKey(cluster));
  return {
    publish: {
      // The latest message on this key's subject only: the server serves `DIRECT.GET.<stream>.<subject>` as a
      // last-by-subject read of the subject named in the request subject.
      allow: [`$JS.API.DIRECT.GET.${stream}.${key}`],
    },
    subscribe: {
      allow: [
        // Live changes: what the coordinator publishes to the key, as it publishes it.
        key,
        // Replies to the direct gets.
        `${agentInboxPrefix(nkeyPublicKey)}.>`,
      ],
    },
  };
}
