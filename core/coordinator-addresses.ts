/**
 * Where agents and coordinatorctl find the coordinators: one host:port, or several separated by commas (coordinator
 * HA, each coordinator's --advertise; a DNS name that resolves to them works as one entry whose certificate names it).
 * Only the leader acts: a standby answers NotLeaderError naming the leader, and the caller dials that one next
 * (`nextCoordinator`). Every coordinator presents a certificate from the same CA, which the caller pinned, so an
 * address learnt from an answer is as trusted as one from the file.
 */
export const MAX_COORDINATOR_ADDRESSES = 16;

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The addresses of a `coordinator:` / `server:` / `--coordinator` value, or the reason it is not one. */
export function parseCoordinatorAddresses(text: string): { addresses: string[] } | { problem: string } {
  const addresses = text
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (addresses.length === 0) return { problem: 'is empty; give host:port, or several separated by commas' };
  if (addresses.length > MAX_COORDINATOR_ADDRESSES) return { problem: `names ${addresses.length} addresses; at most ${MAX_COORDINATOR_ADDRESSES}` };
  for (const a of addresses) {
    const port = Number(HOST_PORT.exec(a)?.[2] ?? NaN);
    if (!(port >= 1 && port <= 65535)) return { problem: `"${a.slice(0, 80)}" is not host:port (e.g. 198.18.0.2:9443)` };
  }
  return { addresses: [...new Set(addresses)] };
}

/** Whether `text` is one host:port: what a leader hint must be before anyone dials it. */
export function isHostPort(text: string): boolean {
  const port = Number(HOST_PORT.exec(text)?.[2] ?? NaN);
  return text.length <= 300 && port >= 1 && port <= 65535;
}

/**
 * The address to dial after a failure at `current`: the leader a standby named when it named one, otherwise the next
 * of the list (round robin), so that a dead coordinator is passed over.
 */
export function nextCoordinator(addresses: readonly string[], current: string, leaderHint = ''): string {
  if (leaderHint && leaderHint !== current && isHostPort(leaderHint)) return leaderHint;
  if (addresses.length === 0) return current;
  const i = addresses.indexOf(current);
  return addresses[(i + 1) % addresses.length] ?? current;
}
