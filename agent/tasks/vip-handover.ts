/**
 * A planned handover of the VIP off this host without breaking a request: hold new connections, let the open ones
 * finish, then FAULT (see core/render/vip-handover.ts for why). Connections that outlive the drain (watches, long
 * kubectl exec sessions) are cut when the VIP moves, as they would be by any failover; their clients reconnect.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, TimeoutError } from '../../core/errors.js';
import { parseSsConnections, unfinishedConnectionsTo } from '../../core/host/parse.js';
import { RELEASE_NEW_CONNECTIONS_ARGS, renderHoldNewConnections, SHOW_HOLD_ARGS } from '../../core/render/vip-handover.js';
import type { HostOps } from '../hostops.js';
import { vipHolders } from './load-balancer.js';

const POLL_MS = 50;

export interface VipHandoverRequest {
  readonly vip: string;
  readonly port: number;
  readonly drainTimeoutMs: number;
  readonly moveTimeoutMs: number;
}

export interface VipHandoverResult {
  readonly heldNewConnections: boolean;
  readonly openAtStart: number;
  readonly cut: number;
  readonly drainMs: number;
  readonly releaseMs: number;
}

export interface VipHandoverDeps {
  readonly host: HostOps;
  /** Puts keepalived in FAULT through the track file (the agent's haproxy watch, so the two never fight). */
  readonly fault: () => Promise<void>;
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
}

async function openToVip(host: HostOps, vip: string, port: number): Promise<number> {
  const ss = await host.exec('ss', ['-Htn'], { allowFailure: true });
  if (ss.exitCode !== 0) throw new CommandError('ss -Htn', ss.exitCode, ss.stderr.trim());
  return unfinishedConnectionsTo(parseSsConnections(ss.stdout), vip, port).length;
}

export async function handOverVip(req: VipHandoverRequest, deps: VipHandoverDeps): Promise<VipHandoverResult> {
  const { host, progress } = deps;
  const endpoint = req.vip.includes(':') ? `[${req.vip}]:${req.port}` : `${req.vip}:${req.port}`;
  const hold = await host.exec('nft', ['-f', '-'], { input: renderHoldNewConnections(req.vip, req.port), allowFailure: true });
  const held = hold.exitCode === 0;
  progress(
    held
      ? `holding new connections to ${endpoint} (SYNs dropped; clients retry them once the VIP has moved)`
      : `cannot hold new connections to ${endpoint} (nft: ${hold.stderr.trim() || `exit ${hold.exitCode}`}); install nftables for a handover that drops nothing`,
  );
  try {
    const drainStart = Date.now();
    const openAtStart = held ? await openToVip(host, req.vip, req.port) : 0;
    let open = openAtStart;
    while (held && open > 0 && Date.now() - drainStart < req.drainTimeoutMs) {
      deps.signal?.throwIfAborted();
      await sleep(POLL_MS);
      open = await openToVip(host, req.vip, req.port);
    }
    const drainMs = Date.now() - drainStart;
    if (held) {
      progress(
        open === 0
          ? `${openAtStart} open connection(s) to ${endpoint} finished in ${drainMs} ms`
          : `${open} of ${openAtStart} connection(s) to ${endpoint} still open after ${req.drainTimeoutMs} ms; they are cut when the VIP moves`,
      );
    }
    const faultAt = Date.now();
    await deps.fault();
    progress('keepalived track file set to FAULT');
    for (;;) {
      deps.signal?.throwIfAborted();
      if ((await vipHolders(host, req.vip)).length === 0) break;
      if (Date.now() - faultAt > req.moveTimeoutMs) {
        throw new TimeoutError(`${req.vip} still on this host ${req.moveTimeoutMs} ms after keepalived was put in FAULT; is keepalived running here?`);
      }
      await sleep(POLL_MS);
    }
    const releaseMs = Date.now() - faultAt;
    progress(`${req.vip} left this host ${releaseMs} ms after FAULT`);
    return { heldNewConnections: held, openAtStart, cut: held ? open : 0, drainMs, releaseMs };
  } finally {
    if (held) {
      const released = await host.exec('nft', [...RELEASE_NEW_CONNECTIONS_ARGS], { allowFailure: true });
      if (released.exitCode !== 0) progress(`could not delete the nft hold (${released.stderr.trim()}); cleanup removes it`);
    }
  }
}

/**
 * At agent start: a handover hold left by an agent killed mid-handover (its `finally` never ran) keeps dropping every
 * new connection to the VIP on this host. No handover runs before the agent is up, so a hold that exists now is
 * stale. Only our own table, named by VIP_HANDOVER_NFT_TABLE, is looked at and deleted. Without nft (or without the
 * table) there is nothing to do. Resolves with whether a hold was removed.
 */
export async function removeStaleHold(host: HostOps): Promise<boolean> {
  const listed = await host.exec('nft', [...SHOW_HOLD_ARGS], { allowFailure: true });
  if (listed.exitCode !== 0) return false;
  const released = await host.exec('nft', [...RELEASE_NEW_CONNECTIONS_ARGS], { allowFailure: true });
  if (released.exitCode !== 0) throw new CommandError(`nft ${RELEASE_NEW_CONNECTIONS_ARGS.join(' ')}`, released.exitCode, released.stderr.trim());
  return true;
}
