/**
 * Go-style durations as operators write them in configs (`4h`, `5s`, `1h30m`, `250ms`), to milliseconds and back.
 * haproxy and kubeadm both speak this dialect, so the spec uses it too.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:ms|s|m|h|d))+$/;
const PART_RE = /(\d+)(ms|s|m|h|d)/g;

export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) return undefined;
  let total = 0;
  for (const [, value, unit] of trimmed.matchAll(PART_RE)) total += Number(value) * UNIT_MS[unit!]!;
  return total;
}

/** The largest whole unit haproxy understands, so `14400000` renders as `4h`, not `14400000ms`. */
export function formatDurationMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Go's time.Duration text (`15m0s`, `2h0m0s`), as kubeadm's --ttl expects and prints. */
export function formatGoDuration(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
