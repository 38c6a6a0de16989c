/**
 * What this host's load balancer looks like, for the coordinator's metrics (AgentStatus): keepalived's VRRP state
 * (the line its notify script writes), whether the VIP is here, and haproxy's servers. Looked at every couple of
 * seconds and sent only when it changed, so a quiet cluster costs one small read per file and one runtime-API
 * question per interval, and no message.
 *
 * Who may cause it: the agent's own timer. What it reads: our keepalived.conf, the notify script's state file, the
 * host's addresses (`ip -o addr show`) and haproxy's runtime socket; it writes nothing.
 */
import { HAPROXY_CFG_PATH, KEEPALIVED_CONF_PATH } from '../../core/host/paths.js';
import { isRenderedHaproxyConfig } from '../../core/lb/config-version.js';
import { KEEPALIVED_STATE_FILE_PATH } from '../../core/render/keepalived.js';
import type { Logger } from '../../lib/log.js';
import type { AgentStatus } from '../../proto/generated/kubeadm_ha/v1/AgentStatus.js';
import type { LbServer } from '../../proto/generated/kubeadm_ha/v1/LbServer.js';
import type { HostOps } from '../hostops.js';
import { readLbServers, vipHolders } from '../tasks/load-balancer.js';

export const LB_STATUS_INTERVAL_MS = 2_000;

/** The VIP keepalived.conf configures (`virtual_ipaddress { 198.18.0.100/24 dev eth0 }`), without its prefix. */
export function vipFromKeepalivedConf(conf: string): string | undefined {
  const block = /virtual_ipaddress\s*\{([^}]*)\}/.exec(conf)?.[1];
  const first = block
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('!') && !l.startsWith('#'));
  return first?.split(/\s+/)[0]?.replace(/\/\d+$/, '');
}

const VRRP = new Set(['MASTER', 'BACKUP', 'FAULT', 'STOP']);

/**
 * The VRRP state, from keepalived's last word and where the VIP is. keepalived runs its notify scripts without waiting
 * for them, so two quick transitions (after a link flap: MASTER for a moment, then BACKUP on hearing the other master)
 * can land out of order, and the file then says MASTER on a host without the VIP until the next transition, which may
 * never come. The VIP is what decides: a host holding it is MASTER, one that does not while the file says MASTER is
 * BACKUP (the FAULT that a link down gives is written by its own notify, which nothing overtakes but a later state).
 */
function vrrpState(said: string, holdsVip: boolean): string {
  if (holdsVip) return 'MASTER';
  return said === 'MASTER' ? 'BACKUP' : said;
}

/**
 * Whether keepalived runs on this host (as a service or in its static pod: container processes show on the host).
 * The state file outlives a crashed or killed keepalived, whose last word would otherwise stand for ever. Under a
 * test root (--host-root) the lab's hosts share one process table, so there the file is taken as it is.
 */
async function keepalivedRuns(host: HostOps): Promise<boolean> {
  if (host.root !== '/') return true;
  return (await host.exec('pgrep', ['-x', 'keepalived'], { allowFailure: true }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
}

/** What a host's load balancer looks like now; every read that fails leaves its part empty rather than guessed. */
export async function readLbStatus(
  host: HostOps,
  servers: () => Promise<LbServer[]>,
  running: () => Promise<boolean> = () => keepalivedRuns(host),
): Promise<AgentStatus> {
  const conf = await host.readFile(KEEPALIVED_CONF_PATH);
  const haproxy = await host.readFile(HAPROXY_CFG_PATH);
  const ourHaproxy = haproxy !== undefined && isRenderedHaproxyConfig(haproxy);
  const status: AgentStatus = { loadBalancer: conf !== undefined || ourHaproxy, vrrpState: '', holdsVip: false, lbServers: [] };
  if (conf !== undefined) {
    const vip = vipFromKeepalivedConf(conf);
    status.holdsVip = vip !== undefined && (await vipHolders(host, vip).catch(() => [])).length > 0;
    const said = (await host.readFile(KEEPALIVED_STATE_FILE_PATH).catch(() => undefined))?.trim() ?? '';
    // A killed keepalived's file outlives it: no state then (pgrep), whatever the file and the VIP say.
    status.vrrpState = VRRP.has(said) && (await running()) ? vrrpState(said, status.holdsVip) : '';
  }
  if (ourHaproxy) status.lbServers = await servers().catch(() => []);
  return status;
}

export interface LbStatusReport {
  /** The latest status read (for Hello), or undefined before the first. */
  current(): AgentStatus | undefined;
  /** Reads now and reports when changed (tests drive it with this instead of the timer). */
  tick(): Promise<void>;
  stop(): void;
}

export function startLbStatusReport(opts: {
  readonly host: HostOps;
  readonly logger: Logger;
  /** Sends it; false when it could not (no session): the next tick tries again. */
  readonly report: (status: AgentStatus) => boolean;
  readonly intervalMs?: number;
  readonly servers?: () => Promise<LbServer[]>;
}): LbStatusReport {
  const { host } = opts;
  const log = opts.logger.child({ component: 'lb-status' });
  const servers = opts.servers ?? (() => readLbServers(host));
  let current: AgentStatus | undefined;
  let sent = '';
  let stopped = false;
  let running: Promise<void> | undefined;
  const tick = async () => {
    if (stopped) return;
    const status = await readLbStatus(host, servers);
    current = status;
    const key = JSON.stringify(status);
    if (key === sent) return;
    if (opts.report(status)) sent = key;
  };
  const once = () => {
    running ??= tick()
      .catch((err: unknown) => log.debug({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the load balancer status'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void once(), opts.intervalMs ?? LB_STATUS_INTERVAL_MS);
  timer.unref();
  void once();
  return {
    current: () => current,
    tick: once,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
