/**
 * keepalived.service and haproxy.service as Debian 12 ships them (keepalived 2.2.7, haproxy 2.6), run for real in
 * the host's network namespace with the host root mounted over /etc/keepalived, /etc/haproxy and /run:
 * - keepalived: ConditionFileNotEmpty=/etc/keepalived/keepalived.conf, `keepalived --dont-fork $DAEMON_ARGS`
 *   (EnvironmentFile=-/etc/default/keepalived), reload = SIGHUP, no Restart=, KillMode=control-group.
 * - haproxy: `haproxy -Ws -f $CONFIG -p $PIDFILE $EXTRAOPTS` (EnvironmentFile=-/etc/default/haproxy), reload = a
 *   configuration check then SIGUSR2, Restart=always (RestartSec 100 ms, start limit 5 in 10 s), KillMode=mixed.
 * The journal is the log file: keepalived gets --log-console --no-syslog added so its messages land there.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.js';
import { SYSTEM_PATH } from '../netns/command.js';
import type { Lab } from '../netns/harness.js';
import type { BindMount, ExitInfo, LabProcess } from '../netns/lab-process.js';
import { descendantsOf, isAlive, signalQuietly } from '../netns/proc.js';
import type { DaemonStatus, EmitEvent } from './events.js';
import type { DaemonName } from './pod-manifest.js';
import { waitForChildProcess } from './readiness.js';

export type UnitActiveState = 'inactive' | 'activating' | 'active' | 'deactivating' | 'failed';

export interface UnitOutcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const OK: UnitOutcome = { exitCode: 0, stdout: '', stderr: '' };
const START_LIMIT = { burst: 5, intervalMs: 10_000 };
const RESTART_SEC_MS = 100;
const STOP_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 5000;

/** `KEY="a b"` / `KEY=value` lines of an EnvironmentFile. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m || line.startsWith('#')) continue;
    env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return env;
}

function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean);
}

export interface SystemdUnitOptions {
  readonly lab: Lab;
  readonly host: string;
  readonly root: string;
  /** For empty stand-ins of directories the host root lacks. */
  readonly scratchDir: string;
  readonly daemon: DaemonName;
  readonly logger: Logger;
  readonly emit: EmitEvent;
  readonly mayStart: () => string | undefined;
}

export class SystemdUnit {
  private proc?: LabProcess;
  private pid?: number;
  private active: UnitActiveState = 'inactive';
  private enabled = false;
  private restarts = 0;
  private starts: number[] = [];
  private lastExit?: { code: number | null; signal: string | null; at: number };
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;

  constructor(private readonly o: SystemdUnitOptions) {}

  get unitName(): string {
    return `${this.o.daemon}.service`;
  }

  private environment(): Record<string, string> {
    const file = join(this.o.root, 'etc/default', this.o.daemon);
    const fromFile = existsSync(file) ? parseEnvironmentFile(readFileSync(file, 'utf8')) : {};
    const defaults: Record<string, string> =
      this.o.daemon === 'haproxy'
        ? { CONFIG: '/etc/haproxy/haproxy.cfg', PIDFILE: '/run/haproxy.pid', EXTRAOPTS: '-S /run/haproxy-master.sock' }
        : { DAEMON_ARGS: '' };
    // Environment= in the unit comes first; EnvironmentFile= overrides it.
    return { ...defaults, ...fromFile };
  }

  private argv(check = false): string[] {
    const env = this.environment();
    if (this.o.daemon === 'keepalived') return ['keepalived', '--dont-fork', ...words(env.DAEMON_ARGS), '--log-console', '--no-syslog'];
    const cfg = env.CONFIG ?? '/etc/haproxy/haproxy.cfg';
    return check
      ? ['haproxy', '-Ws', '-f', cfg, '-c', '-q', ...words(env.EXTRAOPTS)]
      : ['haproxy', '-Ws', '-f', cfg, '-p', env.PIDFILE ?? '/run/haproxy.pid', ...words(env.EXTRAOPTS)];
  }

  /** The service's view of the host: its own root's /run and daemon directories at their real paths. */
  private binds(): BindMount[] {
    const { root, scratchDir } = this.o;
    // /run is a tmpfs on every host; tmpfiles.d of the haproxy package creates /run/haproxy.
    mkdirSync(join(root, 'run/haproxy'), { recursive: true, mode: 0o755 });
    const binds: BindMount[] = [{ source: join(root, 'run'), target: '/run' }];
    for (const dir of ['/etc/keepalived', '/etc/haproxy']) {
      let source = join(root, dir);
      if (!existsSync(source) || !statSync(source).isDirectory()) {
        source = join(scratchDir, 'empty', dir);
        mkdirSync(source, { recursive: true, mode: 0o755 });
      }
      binds.push({ source, target: dir });
    }
    return binds;
  }

  private conditionFails(): string | undefined {
    if (this.o.daemon !== 'keepalived') return undefined;
    const conf = join(this.o.root, 'etc/keepalived/keepalived.conf');
    return existsSync(conf) && statSync(conf).size > 0 ? undefined : 'ConditionFileNotEmpty=/etc/keepalived/keepalived.conf';
  }

  private spawn(): LabProcess {
    const [cmd, ...args] = this.argv();
    return this.o.lab.spawn(this.o.host, cmd!, args, {
      name: `unit-${this.o.daemon}`,
      binds: this.binds(),
      cleanEnv: true,
      env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8' },
      cwd: '/',
    });
  }

  async start(): Promise<UnitOutcome> {
    if (this.active === 'active' || this.active === 'activating') return OK;
    const { daemon, emit } = this.o;
    const condition = this.conditionFails();
    if (condition) {
      // systemd skips the unit and `systemctl start` still succeeds.
      emit({ daemon, source: 'systemd', kind: 'refused', detail: `${this.unitName} was skipped: unmet condition ${condition}` });
      return OK;
    }
    const refusal = this.o.mayStart();
    if (refusal) {
      emit({ daemon, source: 'systemd', kind: 'refused', detail: refusal });
      return { exitCode: 1, stdout: '', stderr: `Job for ${this.unitName} failed: ${refusal}\n` };
    }
    const now = Date.now();
    this.starts = [...this.starts.filter((t) => now - t < START_LIMIT.intervalMs), now];
    if (this.starts.length > START_LIMIT.burst) {
      this.active = 'failed';
      return { exitCode: 1, stdout: '', stderr: `Job for ${this.unitName} failed.\nstart request repeated too quickly\n` };
    }
    this.stopping = false;
    this.active = 'activating';
    const proc = this.spawn();
    this.proc = proc;
    void proc.exited.then((exit) => this.onExit(proc, exit));
    const pid = await proc.mainPid();
    // Type=notify: ready once the daemon forked its worker / VRRP child; one with nothing to fork (a keepalived.conf
    // without instances) counts as started if it is still alive by then.
    const ready = pid !== undefined && ((await waitForChildProcess(pid, READY_TIMEOUT_MS)) || isAlive(pid));
    if (!ready || proc.exitInfo()) {
      await proc.exited;
      return {
        exitCode: 1,
        stdout: '',
        stderr: `Job for ${this.unitName} failed because the control process exited with error code.\nSee the log: ${proc.logPath}\n`,
      };
    }
    this.pid = pid;
    this.active = 'active';
    emit({ daemon, source: 'systemd', kind: 'started', detail: `${this.unitName}: ${this.argv().join(' ')} (log ${proc.logPath})`, pid });
    return OK;
  }

  private onExit(proc: LabProcess, exit: ExitInfo): void {
    if (proc !== this.proc) return;
    const at = Date.now();
    this.pid = undefined;
    this.lastExit = { code: exit.code, signal: exit.signal, at };
    if (this.stopping) return;
    const { daemon, emit } = this.o;
    // haproxy: SuccessExitStatus=143 (SIGTERM).
    const success = exit.code === 0 || (daemon === 'haproxy' && exit.code === 143);
    emit({
      daemon,
      source: 'systemd',
      kind: 'exited',
      detail: `${this.unitName}: main process ${exit.signal ? `killed by ${exit.signal}` : `exited ${exit.code}`}`,
    });
    // No cgroup here: what the main process started goes with it on its own (keepalived's children have a
    // parent-death signal, haproxy workers leave when the master's pipe closes); lab.destroy() sweeps the rest.
    this.active = success ? 'inactive' : 'failed';
    if (daemon === 'haproxy') {
      emit({ daemon, source: 'systemd', kind: 'restarting', detail: `${this.unitName}: Restart=always, in ${RESTART_SEC_MS} ms` });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.o.lab.isDestroyed()) return;
        this.restarts++;
        this.active = 'inactive';
        void this.start();
      }, RESTART_SEC_MS);
    }
  }

  async stop(): Promise<UnitOutcome> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const proc = this.proc;
    if (!proc || proc.exitInfo()) {
      if (this.active !== 'failed') this.active = 'inactive';
      return OK;
    }
    this.stopping = true;
    this.active = 'deactivating';
    const { daemon, emit } = this.o;
    emit({ daemon, source: 'systemd', kind: 'stopping', detail: this.unitName });
    const pid = this.pid ?? proc.spawnedPid;
    // control-group: SIGTERM to every process of the unit; mixed (haproxy): to the main process only.
    const targets = daemon === 'keepalived' ? [pid, ...descendantsOf(pid).map((d) => d.pid)] : [pid];
    for (const p of targets) signalQuietly(p, 'SIGTERM');
    await proc.stop({ signal: 'SIGTERM', graceMs: STOP_TIMEOUT_MS });
    this.active = 'inactive';
    this.pid = undefined;
    emit({ daemon, source: 'systemd', kind: 'stopped', detail: this.unitName });
    return OK;
  }

  async restart(): Promise<UnitOutcome> {
    await this.stop();
    if (this.active === 'failed') this.active = 'inactive';
    return this.start();
  }

  async reload(): Promise<UnitOutcome> {
    if (this.active !== 'active' || this.pid === undefined) {
      return { exitCode: 1, stdout: '', stderr: `${this.unitName} is not active, cannot reload.\n` };
    }
    const { daemon, emit, lab, host } = this.o;
    if (daemon === 'haproxy') {
      const [cmd, ...args] = this.argv(true);
      const check = lab.spawn(host, cmd!, args, { name: 'unit-haproxy-reload-check', binds: this.binds(), cleanEnv: true, env: { PATH: SYSTEM_PATH } });
      const exit = await check.exited;
      if (exit.code !== 0) {
        return { exitCode: 1, stdout: '', stderr: `Job for ${this.unitName} failed because the control process exited with error code.\n${check.readLog()}` };
      }
    }
    signalQuietly(this.pid, daemon === 'haproxy' ? 'SIGUSR2' : 'SIGHUP');
    emit({ daemon, source: 'systemd', kind: 'reloaded', detail: this.unitName, pid: this.pid });
    return OK;
  }

  resetFailed(): void {
    if (this.active === 'failed') this.active = 'inactive';
    this.starts = [];
  }

  describe(): string {
    return this.pid !== undefined ? `   Main PID: ${this.pid} (${this.o.daemon})\n` : '';
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  activeState(): UnitActiveState {
    return this.active;
  }

  pidOf(): number | undefined {
    return this.pid;
  }

  kill(signal: NodeJS.Signals): boolean {
    return this.pid !== undefined && signalQuietly(this.pid, signal);
  }

  async ready(timeoutMs: number): Promise<number | undefined> {
    const pid = this.pid;
    return pid !== undefined && (await waitForChildProcess(pid, timeoutMs)) ? pid : undefined;
  }

  status(): DaemonStatus {
    const state = ({ inactive: 'stopped', activating: 'starting', active: 'running', deactivating: 'stopping', failed: 'failed' } as const)[this.active];
    return {
      daemon: this.o.daemon,
      source: 'systemd',
      state,
      ...(this.pid !== undefined ? { pid: this.pid } : {}),
      restarts: this.restarts,
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
      origin: this.unitName,
      ...(this.proc ? { logPath: this.proc.logPath } : {}),
    };
  }
}
