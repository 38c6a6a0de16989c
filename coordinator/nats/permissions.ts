/**
 * What each NATS user of the embedded server may do. The agent grant is the narrowest set of subjects
 * with which nats.js can KV-watch and KV-get one key of the LB bucket, worked out from nats.js 3.x
 * (`Bucket.watch` runs an ordered push consumer; `Bucket.get` with direct get appends the key's subject)
 * and checked against nats-server 2.9 in server.test.ts and backend-watch.test.ts.
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
 * Read-only access to one cluster's backend set and nothing else: no publish to `$KV.…` (writing a set),
 * no other stream, no other key, no subscription outside the agent's own inbox prefix.
 */
export function agentPermissions(nkeyPublicKey: string, cluster: string): NatsPermissions {
  const stream = kvStreamName(LB_BUCKET);
  const key = kvSubject(LB_BUCKET, backendSetKey(cluster));
  return {
    publish: {
      allow: [
        // Ordered push consumer of the KV watch. The server refuses a create request whose body filter
        // differs from the filter in this subject, so the grant pins the consumer to this one key.
        `$JS.API.CONSUMER.CREATE.${stream}.*.${key}`,
        // An ordered consumer deletes its old incarnation when it resets after a gap. Consumer names
        // are random nuids and neither LIST nor INFO is granted, so other agents' consumers stay unknown.
        `$JS.API.CONSUMER.DELETE.${stream}.*`,
        // `kv.get(key)` on a direct-get stream: the last message for this key's subject only.
        `$JS.API.DIRECT.GET.${stream}.${key}`,
        // Flow-control replies and stalled-consumer nudges of the push consumer.
        `$JS.FC.${stream}.>`,
      ],
    },
    subscribe: { allow: [`${agentInboxPrefix(nkeyPublicKey)}.>`] },
  };
}
