/**
 * One static pod's daemon container, supervised the way the kubelet does it: started in the node's network
 * namespace in its own pid namespace under a minimal init (so when it dies, every process it started dies with
 * it, VIP-holding VRRP child included, as in a container), restarted by restartPolicy with the kubelet's crash-loop back-off, killed on liveness-probe
 * failure, and stopped with SIGTERM, then SIGKILL after terminationGracePeriodSeconds.
 */
import type { Logger } from '../../lib/log.js';
import { SYSTEM_PATH } from '../netns/command.js';
import type { Lab } from '../netns/harness.js';
import type { ExitInfo, LabProcess } from '../netns/lab-process.js';
import { descendantsOf, signalQuietly } from '../netns/proc.js';
import { prepareContainerMounts } from './container-mounts.js';
import type { CrictlContainer } from './crictl.js';
import type { DaemonState, DaemonStatus, EmitEvent } from './events.js';
import { hostCommand, type Container, type PodDaemonName, type StaticPod } from './pod-manifest.js';
import { scheduleLivenessProbe } from './probes.js';
import { waitForChildProcess, waitForListener } from './readiness.js';

/**
 * The kubelet's container restart back-off: the first restart follows at once (after the PLEG relist notices the
 * exit, ~1 s), later ones wait 10 s, 20 s, 40 s … up to 5 min after the previous exit; the record is forgotten
 * after twice the maximum without a restart.
 */
export interface KubeletBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly relistMs: number;
}

export const KUBELET_BACKOFF: KubeletBackoff = Object.freeze({ initialMs: 10_000, maxMs: 300_000, relistMs: 1000 });

/** How often a pod whose volumes cannot be set up is retried. */
const MOUNT_RETRY_MS = 1000;

export interface PodWorkerOptions {
  readonly lab: Lab;
  readonly host: string;
  readonly root: string;
  readonly scratchDir: string;
  readonly file: string;
  /** Absolute path of the manifest on the test machine, for status(). */
  readonly manifestPath: string;
  readonly pod: StaticPod;
  readonly container: Container;
  readonly daemon: PodDaemonName;
  readonly backoff: KubeletBackoff;
  readonly logger: Logger;
  readonly emit: EmitEvent;
  /** Asked before every start; a reason refuses it (e.g. the same daemon already runs as a systemd unit). */
  readonly mayStart: () => string | undefined;
}

export class PodWorker {
  private proc?: LabProcess;
  private pid?: number;
  /** The running or last container's instance: its pid at start. */
  private instance?: string;
  private state: DaemonState = 'starting';
  private restarts = 0;
  private lastExit?: { code: number | null; signal: string | null; at: number };
  private backoffRecord?: { backoffMs: number; updatedAt: number };
  private timer?: NodeJS.Timeout;
  private stopProbe?: () => void;
  private terminating = false;
  private launching?: Promise<void>;

  constructor(private readonly o: PodWorkerOptions) {}

  get identity(): string {
    return this.o.pod.identity;
  }

  get daemon(): PodDaemonName {
    return this.o.daemon;
  }

  /** The container as the runtime would list it (`crictl ps`): kubelet names a static pod `<name>-<node>`. */
  asContainer(): CrictlContainer {
    const pid = this.pid;
    return {
      name: this.o.container.name,
      podName: `${this.o.pod.name}-${this.o.host}`,
      namespace: this.o.pod.namespace,
      running: pid !== undefined,
      // Fixed per start, so an exited container keeps the id it had while it ran.
      instance: this.instance ?? String(this.restarts),
      ...(pid === undefined && this.lastExit ? { exitCode: this.lastExit.code ?? 128 + 9 } : {}),
      ...(this.proc ? { logPath: this.proc.logPath } : {}),
    };
  }

  start(): void {
    this.launching = this.launch();
  }

  private schedule(ms: number, state: DaemonState): void {
    this.state = state;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.launching = this.launch();
    }, ms);
  }

  private async launch(): Promise<void> {
    if (this.terminating || this.o.lab.isDestroyed()) return;
    const { lab, host, pod, container, daemon, emit } = this.o;
    const refusal = this.o.mayStart();
    if (refusal) {
      emit({ daemon, source: 'static-pod', kind: 'refused', detail: refusal });
      this.schedule(MOUNT_RETRY_MS, 'waiting');
      return;
    }
    const mounts = prepareContainerMounts(this.o.root, this.o.scratchDir, pod, container);
    if (mounts.problems.length > 0) {
      emit({ daemon, source: 'static-pod', kind: 'mount-failed', detail: mounts.problems.join('; ') });
      this.schedule(MOUNT_RETRY_MS, 'waiting');
      return;
    }
    this.state = 'starting';
    const { argv, env, dropped } = hostCommand(container);
    if (dropped.length > 0)
      emit({
        daemon,
        source: 'static-pod',
        kind: 'ignored',
        detail: `${this.o.file}: etcdutl runs as Debian's etcdctl 3.4, which lacks ${dropped.map((a) => a.split('=')[0]).join(' ')}`,
      });
    const [cmd, ...cmdArgs] = argv;
    const proc = lab.spawn(host, cmd!, cmdArgs, {
      name: `pod-${pod.name}`,
      binds: mounts.binds,
      pidNamespace: true,
      cleanEnv: true,
      env: { PATH: SYSTEM_PATH, HOSTNAME: host, ...env },
      cwd: '/',
    });
    this.proc = proc;
    void proc.exited.then((exit) => this.onExit(proc, exit));
    const pid = await proc.mainPid();
    if (proc !== this.proc || proc.exitInfo()) return;
    this.pid = pid;
    this.instance = String(pid ?? `${this.restarts}-${Date.now()}`);
    this.state = 'running';
    emit({
      daemon,
      source: 'static-pod',
      kind: 'started',
      detail: `${this.o.file}: ${[...container.command, ...container.args].join(' ')} (log ${proc.logPath})`,
      ...(pid ? { pid } : {}),
    });
    if (container.livenessProbe) {
      this.stopProbe = scheduleLivenessProbe(lab, host, container.livenessProbe, (detail) => {
        if (proc !== this.proc || this.terminating) return;
        emit({ daemon, source: 'static-pod', kind: 'probe-failed', detail: `${detail}; container will be restarted` });
        void proc.stop({ graceMs: pod.terminationGracePeriodSeconds * 1000 });
      });
    }
  }

  private onExit(proc: LabProcess, exit: ExitInfo): void {
    if (proc !== this.proc) return;
    this.stopProbe?.();
    this.stopProbe = undefined;
    this.pid = undefined;
    const at = Date.now();
    this.lastExit = { code: exit.code, signal: exit.signal, at };
    if (this.terminating) return;
    const { daemon, emit, pod, backoff } = this.o;
    const how = exit.signal ? `killed by ${exit.signal}` : `exited ${exit.code}`;
    emit({
      daemon,
      source: 'static-pod',
      kind: 'exited',
      detail: `${this.o.file}: ${how}; last log lines: ${proc.readLog().trimEnd().split('\n').slice(-3).join(' | ')}`,
    });
    const clean = exit.code === 0;
    if (pod.restartPolicy === 'Never' || (pod.restartPolicy === 'OnFailure' && clean)) {
      this.state = 'exited';
      return;
    }
    const record = this.backoffRecord && at - this.backoffRecord.updatedAt <= 2 * backoff.maxMs ? this.backoffRecord : undefined;
    const waitMs = Math.max(backoff.relistMs, record?.backoffMs ?? 0);
    emit({ daemon, source: 'static-pod', kind: 'restarting', detail: `restart ${this.restarts + 1} in ${waitMs} ms${record ? ' (CrashLoopBackOff)' : ''}` });
    this.state = record ? 'backoff' : 'starting';
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.backoffRecord = { backoffMs: record ? Math.min(record.backoffMs * 2, backoff.maxMs) : backoff.initialMs, updatedAt: Date.now() };
      this.restarts++;
      this.launching = this.launch();
    }, waitMs);
  }

  /** SIGTERM, SIGKILL after the pod's grace period; no restart afterwards. */
  async terminate(reason: string): Promise<void> {
    if (this.terminating) return;
    this.terminating = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopProbe?.();
    await this.launching;
    const { daemon, emit, pod } = this.o;
    const proc = this.proc;
    if (proc && !proc.exitInfo()) {
      this.state = 'stopping';
      emit({ daemon, source: 'static-pod', kind: 'stopping', detail: `${this.o.file}: ${reason}` });
      await proc.stop({ signal: 'SIGTERM', graceMs: pod.terminationGracePeriodSeconds * 1000 });
    }
    this.state = 'stopped';
    this.pid = undefined;
    emit({ daemon, source: 'static-pod', kind: 'stopped', detail: `${this.o.file}: ${reason}` });
  }

  pidOf(): number | undefined {
    return this.pid;
  }

  /**
   * Signals the daemon. SIGKILL takes the whole container at once, children first: when a container's pid 1 dies
   * the kernel kills the rest before any of them runs again, so keepalived's VRRP child gets no chance to send its
   * priority-0 advert or drop the VIP (the pdeathsig it would otherwise act on is moot).
   */
  kill(signal: NodeJS.Signals): boolean {
    const pid = this.pid;
    if (pid === undefined) return false;
    if (signal === 'SIGKILL') for (const d of descendantsOf(pid)) signalQuietly(d.pid, 'SIGKILL');
    return signalQuietly(pid, signal);
  }

  /**
   * Resolves with the pid once the daemon works: keepalived and haproxy have forked their VRRP child / worker; etcd
   * (which does not fork) listens on its liveness probe's port.
   */
  async ready(timeoutMs: number): Promise<number | undefined> {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    const probePort = this.o.container.livenessProbe?.port;
    const ok = this.o.daemon === 'etcd' && probePort ? await waitForListener(pid, probePort, timeoutMs) : await waitForChildProcess(pid, timeoutMs);
    return ok ? pid : undefined;
  }

  status(): DaemonStatus {
    return {
      daemon: this.o.daemon,
      source: 'static-pod',
      state: this.state,
      ...(this.pid !== undefined ? { pid: this.pid } : {}),
      restarts: this.restarts,
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
      origin: this.o.manifestPath,
      ...(this.proc ? { logPath: this.proc.logPath } : {}),
    };
  }
}
