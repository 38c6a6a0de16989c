/**
 * When a certificate should be renewed and when it is worth an operator's attention. Agents renew their client
 * certificate over their session once two thirds of its lifetime have passed, as kubelet rotates its own: early
 * enough that a coordinator down for a while, or a few failed attempts, never lets it lapse.
 */

/** The share of a certificate's lifetime after which the agent asks for a new one. */
export const RENEW_AFTER_FRACTION = 2 / 3;
/** `coordinatorctl nodes`/`status` flag a certificate that expires within this. */
export const EXPIRY_WARNING_MS = 30 * 86_400_000;

/** The instant (ms since the epoch) from which a certificate valid over [notBefore, notAfter] should be renewed. */
export function renewalDueAt(notBefore: Date, notAfter: Date): number {
  const lifetime = Math.max(0, notAfter.getTime() - notBefore.getTime());
  return notBefore.getTime() + Math.floor(lifetime * RENEW_AFTER_FRACTION);
}

/** Whether a certificate expiring at notAfter (RFC 3339 or Date) is expired or expires within `windowMs` of now. */
export function expiresWithin(notAfter: string | Date, now: Date, windowMs = EXPIRY_WARNING_MS): boolean {
  const at = typeof notAfter === 'string' ? Date.parse(notAfter) : notAfter.getTime();
  if (Number.isNaN(at)) return false;
  return at - now.getTime() <= windowMs;
}
