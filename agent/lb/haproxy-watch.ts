/**
 * The fast path for "haproxy died on the VIP holder". keepalived's vrrp_script interval is whole seconds, so with
 * `fall 2` it notices a dead haproxy only after 2–3 s. The agent probes haproxy's monitor endpoint every ~100 ms
 * instead and writes keepalived's track file (weight 0: any non-zero value is FAULT), so the VIP leaves within a few
 * hundred milliseconds. The check script stays as the slower safety net for when the agent itself is down.
 *
 * An explicit SetVipTrack from the coordinator (node removal, the failover drill) always wins: while it holds the
 * file at FAULT the watcher never writes, and after the coordinator clears it the watcher takes over again.
 */
import { KEEPALIVED_CONF_PATH } from '../../core/host/paths.js';
import { request } from 'node:http';
import { TimeoutError } from '../../core/errors.js';
import { HAPROXY_HEALTHZ_PATH, HAPROXY_HEALTHZ_PORT } from '../../core/render/haproxy.js';
import { KEEPALIVED_TRACK_FILE_PATH } from '../../core/render/keepalived.js';
import type { Logger } from '../../lib/log.js';
import type { HostOps } from '../hostops.js';

export const HAPROXY_WATCH_INTERVAL_MS = 100;
/** Consecutive results before the track file changes: one lost probe on a busy host must not move the VIP. */
export const HAPROXY_WATCH_THRESHOLD = 2;
const PROBE_TIMEOUT_MS = 300;

export type HaproxyProbe = () => Promise<boolean>;

export interface HaproxyWatchOptions {
  readonly host: HostOps;
  readonly logger: Logger;
  /** Default: GET http://127.0.0.1:8404/healthz answers 200 within 300 ms. */
  readonly probe?: HaproxyProbe;
  readonly intervalMs?: number;
  readonly threshold?: number;
}

export interface HaproxyWatch {
  /**
   * The coordinator's explicit SetVipTrack. `true` forces FAULT and suspends the watcher; `false` releases it and
   * writes what the watcher currently sees (FAULT still, when haproxy is down).
   */
  force(fault: boolean): Promise<void>;
  /** Runs one probe and acts on it (tests drive the watcher with this instead of the timer). */
  tick(): Promise<void>;
  /** What the watcher last concluded: `undefined` before the threshold was first reached. */
  haproxyHealthy(): boolean | undefined;
  forced(): boolean;
  stop(): void;
}

export function probeHaproxyHealthz(port = HAPROXY_HEALTHZ_PORT, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: HAPROXY_HEALTHZ_PATH, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new TimeoutError('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

export function startHaproxyWatch(opts: HaproxyWatchOptions): HaproxyWatch {
  const { host } = opts;
  const log = opts.logger.child({ component: 'haproxy-watch' });
  const probe = opts.probe ?? (() => probeHaproxyHealthz());
  const threshold = opts.threshold ?? HAPROXY_WATCH_THRESHOLD;
  let healthy: boolean | undefined;
  let streak = 0;
  let lastResult: boolean | undefined;
  let forcedFault = false;
  let written: string | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  /** Writes only where keepalived is configured, so a reset host never gets the track file back. */
  const write = async (fault: boolean): Promise<void> => {
    const content = fault ? '1\n' : '0\n';
    if (!(await host.exists(KEEPALIVED_CONF_PATH))) {
      written = undefined;
      return;
    }
    if (written === content && (await host.readFile(KEEPALIVED_TRACK_FILE_PATH)) === content) return;
    await host.writeFile(KEEPALIVED_TRACK_FILE_PATH, content, 0o644);
    written = content;
    // A reset that removed the configuration while we wrote: take the file away again.
    if (!(await host.exists(KEEPALIVED_CONF_PATH))) {
      await host.remove(KEEPALIVED_TRACK_FILE_PATH);
      written = undefined;
    }
  };

  const once = async (): Promise<void> => {
    if (stopped) return;
    if (!(await host.exists(KEEPALIVED_CONF_PATH))) {
      // No keepalived here (a worker, or not deployed yet): nothing to steer. Forget state so a later deploy starts fresh.
      healthy = undefined;
      streak = 0;
      lastResult = undefined;
      written = undefined;
      return;
    }
    const ok = await probe().catch(() => false);
    streak = ok === lastResult ? streak + 1 : 1;
    lastResult = ok;
    if (streak < threshold || healthy === ok) return;
    healthy = ok;
    if (forcedFault) return;
    log.info(
      { haproxyHealthy: ok },
      ok ? 'local haproxy answers again: clearing the keepalived track file' : 'local haproxy stopped answering: keepalived track file set to FAULT',
    );
    await write(!ok);
  };

  const serialized = (fn: () => Promise<void>): Promise<void> => {
    const next = running.then(fn, fn);
    running = next.catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'haproxy watch step failed'));
    return next;
  };

  const intervalMs = opts.intervalMs ?? HAPROXY_WATCH_INTERVAL_MS;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped || intervalMs <= 0) return;
    timer = setTimeout(() => {
      void serialized(once).finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    force(fault) {
      return serialized(async () => {
        forcedFault = fault;
        log.info({ fault }, fault ? 'VIP track forced to FAULT by the coordinator' : 'VIP track released by the coordinator');
        // Released: the coordinator's word is "healthy as far as I am concerned"; a down haproxy still means FAULT.
        // Written unconditionally (unlike the watcher's own writes) because SetVipTrack is the coordinator's call.
        const fault2 = fault || healthy === false;
        await host.writeFile(KEEPALIVED_TRACK_FILE_PATH, fault2 ? '1\n' : '0\n', 0o644);
        written = fault2 ? '1\n' : '0\n';
      });
    },
    tick: () => serialized(once),
    haproxyHealthy: () => healthy,
    forced: () => forcedFault,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
