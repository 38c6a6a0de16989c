/**
 * What a coordinator bootstrap token may be: kubeadm's own join tokens are the bar (short-lived, bound to their use,
 * never able to raise their role). Pure limits, checked by coordinatorctl before it asks and by the coordinator again,
 * since an admin RPC is input from the network too.
 */
import { dns1123LabelProblem } from './validate.js';

export const DEFAULT_TOKEN_TTL_MS = 3600_000;
/** A week: long enough to rack a host, short enough that a token found in a ticket a month later is dead. */
export const MAX_TOKEN_TTL_MS = 7 * 24 * 3600_000;
export const DEFAULT_TOKEN_USES = 1;
/** One token for a rack of identical workers is fine; an unbounded one is a standing invitation. */
export const MAX_TOKEN_USES = 1000;

export interface TokenRequestLimits {
  readonly ttlMs: number;
  readonly uses: number;
  readonly nodeName?: string;
}

/** The first problem with a token request, as a message naming the flag and the limit; undefined when it is fine. */
export function tokenRequestProblem(req: TokenRequestLimits): string | undefined {
  if (!Number.isFinite(req.ttlMs) || req.ttlMs <= 0) return '--ttl must be a positive duration such as 1h';
  if (req.ttlMs > MAX_TOKEN_TTL_MS) return `--ttl may be at most 168h (7 days); create a new token when a host needs one later`;
  if (!Number.isInteger(req.uses) || req.uses < 1) return '--uses must be a whole number of at least 1';
  if (req.uses > MAX_TOKEN_USES) return `--uses may be at most ${MAX_TOKEN_USES}`;
  if (req.nodeName !== undefined) {
    const problem = dns1123LabelProblem(req.nodeName);
    if (problem) return `--node-name: ${problem}`;
  }
  return undefined;
}
