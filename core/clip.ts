/**
 * Bounds a value before it is echoed into an error message, a gRPC status or a log line. Names and versions in those
 * messages often come from the network (a Register request, a Hello, a task result): without a bound, an 8 MiB
 * "name" becomes an 8 MiB status header and an 8 MiB log line. Pure.
 */

/** What a clipped value keeps by default: longer than any name we accept (a DNS-1123 label has 63 characters). */
export const CLIP_DEFAULT_MAX = 100;

/**
 * `value` itself when it has at most `max` characters; otherwise its first `max` characters, an ellipsis and the
 * total length, e.g. `aaaa… (8388608 characters)`, so the reader sees both what it started with and how big it was.
 */
export function clip(value: string, max: number = CLIP_DEFAULT_MAX): string {
  const limit = Math.max(0, Math.floor(max));
  let head = value.length <= limit ? value : value.slice(0, limit);
  // Never end on half of a surrogate pair: the cut would leave an invalid character behind.
  if (head.length < value.length && /[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return head.length === value.length ? value : `${head}… (${value.length} characters)`;
}
