/**
 * SessionHub: the coordinator's view of connected agents. One Session stream per agent (keyed by the CN of its
 * verified certificate); tasks go down it and progress/results come back. A task whose session drops fails at once
 * with a clear error rather than hanging: the phase engine decides what to do, and every phase re-checks the host.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { clip } from '../core/clip.js';
import { formatDurationMs } from '../core/duration.js';
import { KubeadmHaError, PreconditionError, TimeoutError, withContext } from '../core/errors.js';
import { permissionDenied, statusError, toStatusError, type GrpcStatusError } from '../lib/grpc/status.js';
import { silentLogger, type Logger } from '../lib/log.js';
import { completeDetail, errorFromDetail } from '../proto/error-detail.js';
import type { AgentMessage__Output } from '../proto/generated/kubeadm_ha/v1/AgentMessage.js';
import type { AgentStatus__Output } from '../proto/generated/kubeadm_ha/v1/AgentStatus.js';
import type { CoordinatorMessage } from '../proto/generated/kubeadm_ha/v1/CoordinatorMessage.js';
import type { Hello__Output } from '../proto/generated/kubeadm_ha/v1/Hello.js';
import type { HostFacts__Output } from '../proto/generated/kubeadm_ha/v1/HostFacts.js';
import type { TaskResult__Output } from '../proto/generated/kubeadm_ha/v1/TaskResult.js';
import { errorToDetail, taskHasResult, type TaskArgs, type TaskKind, type TaskResultOutput } from '../proto/index.js';
import type { PublishedLbVersion, RunTaskOptions, WaitProgress } from './workflow/ports.js';

export type AgentStream = grpc.ServerDuplexStream<AgentMessage__Output, CoordinatorMessage>;

export interface ConnectedAgent {
  readonly name: string;
  readonly agentVersion: string;
  readonly facts: HostFacts__Output | null;
  readonly peer: string;
  readonly connectedAt: Date;
  lastSeen: Date;
  /** A task the agent's previous run was killed in (Hello.unfinished_task, clipped); absent when none. */
  readonly unfinishedTask?: string;
}

export interface HubEvents {
  connect: [agent: ConnectedAgent];
  disconnect: [event: { name: string; reason: string }];
  lbApplied: [event: { name: string; version: number }];
  lbStatus: [event: { name: string; status: AgentLbStatus }];
}

export const VRRP_STATES = ['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const;
export type VrrpState = (typeof VRRP_STATES)[number];

/** One haproxy server as an agent last reported it (AgentStatus.lb_servers), bounded and clipped. */
export interface ReportedLbServer {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** haproxy's operational state: running (its checks pass), starting, stopping, stopped. */
  readonly state: string;
  /** haproxy's administrative state: ready, drain, maint. */
  readonly admin: string;
}

/** What an agent says of its load balancer (AgentStatus), as the hub keeps it while the agent is connected. */
export interface AgentLbStatus {
  readonly loadBalancer: boolean;
  readonly vrrpState?: VrrpState;
  readonly holdsVip: boolean;
  readonly servers: readonly ReportedLbServer[];
  readonly reportedAt: Date;
}

/** The most servers one report may carry: far above any control plane, and a bound on what an agent can make us hold. */
export const MAX_REPORTED_LB_SERVERS = 256;

/** An AgentStatus from the wire as the hub keeps it: unknown VRRP states dropped, lists bounded, strings clipped. */
export function toLbStatus(status: AgentStatus__Output, now = new Date()): AgentLbStatus {
  const vrrp = VRRP_STATES.find((v) => v === status.vrrpState);
  return {
    loadBalancer: status.loadBalancer,
    ...(vrrp ? { vrrpState: vrrp } : {}),
    holdsVip: status.holdsVip,
    servers: status.lbServers.slice(0, MAX_REPORTED_LB_SERVERS).map((s) => ({
      name: clip(s.name, 64),
      address: clip(s.address, 64),
      port: s.port,
      state: clip(s.state, 16),
      admin: clip(s.checkStatus, 16),
    })),
    reportedAt: now,
  };
}

export interface SessionHubOptions {
  /** Reports of an applied backend-set version above this are refused (logged, not recorded). */
  readonly publishedLbVersion: PublishedLbVersion;
  readonly logger?: Logger;
  /** How often the hub pings each agent; an agent silent for three intervals is considered gone. */
  readonly pingIntervalMs?: number;
  /** How long a new stream may take to send Hello. */
  readonly helloTimeoutMs?: number;
  /**
   * Where the agent read the backend set from now, and with which user JWT (empty with an external NATS); sent at the
   * start of every session, so agents follow a move and each gets a JWT for its registered key.
   */
  readonly natsEndpoint?: (agentName: string) => Promise<{ readonly url: string; readonly caPem: string; readonly userJwt: string }>;
  /**
   * Signs a RenewCertificate's CSR for the session's own name (grpc/renew.ts); the hub only carries the request and
   * the answer. Absent: renewals are refused.
   */
  readonly renewCertificate?: (agent: { readonly name: string; readonly fingerprint: string }, csrPem: string) => Promise<{ certPem: string; notAfter: Date }>;
}

interface PendingTask {
  readonly kind: TaskKind;
  readonly onProgress?: (line: string) => void;
  /** Bulk output (TaskProgress.data); a task without it that receives data fails. Throwing fails the task. */
  readonly onData?: (chunk: Buffer) => void;
  settle(result: TaskResult__Output | KubeadmHaError): void;
}

interface Session {
  readonly info: ConnectedAgent;
  readonly stream: AgentStream;
  readonly tasks: Map<string, PendingTask>;
  /** sha256 of the certificate the stream was opened with: what a renewal proves it holds. */
  readonly certFingerprint: string;
  state: 'open' | 'closed';
}

/**
 * Where one Session stream stands: waiting for its Hello, carrying a session, or ended (refused, or gone). An ended
 * stream keeps the session it carried, so a message that still arrives is handled like before the end.
 */
type StreamState =
  | { readonly kind: 'awaiting-hello' }
  | { readonly kind: 'open'; readonly session: Session }
  | { readonly kind: 'ended'; readonly session?: Session };

export class SessionHub extends EventEmitter<HubEvents> {
  private readonly sessions = new Map<string, Session>();
  private readonly lbVersions = new Map<string, number>();
  /** Each connected agent's last AgentStatus; dropped when its session ends (a stale holder is worse than none). */
  private readonly lbStatusByAgent = new Map<string, AgentLbStatus>();
  private readonly logger: Logger;
  private readonly pingIntervalMs: number;
  private readonly helloTimeoutMs: number;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly publishedLbVersion: PublishedLbVersion;
  private readonly natsEndpoint: SessionHubOptions['natsEndpoint'];
  private readonly renewCertificate: SessionHubOptions['renewCertificate'];
  /** Each agent's applied-version reports, checked one after another so a slow check never overtakes a newer report. */
  private readonly lbReports = new Map<string, Promise<void>>();
  private lifecycle: 'serving' | 'closed' = 'serving';

  constructor(opts: SessionHubOptions) {
    super();
    this.publishedLbVersion = opts.publishedLbVersion;
    this.natsEndpoint = opts.natsEndpoint;
    this.renewCertificate = opts.renewCertificate;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'sessions' });
    this.pingIntervalMs = opts.pingIntervalMs ?? 15_000;
    this.helloTimeoutMs = opts.helloTimeoutMs ?? 10_000;
    this.pingTimer = setInterval(() => this.pingAll(), this.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** Takes over a Session stream whose certificate says it is `agentName`; the stream must open with Hello. */
  attach(agentName: string, stream: AgentStream, certFingerprint = ''): void {
    if (this.lifecycle === 'closed') {
      stream.emit('error', statusError(grpc.status.UNAVAILABLE, 'the coordinator is shutting down'));
      return;
    }
    let state: StreamState = { kind: 'awaiting-hello' };
    const helloTimer = setTimeout(() => {
      reject(statusError(grpc.status.INVALID_ARGUMENT, `no Hello within ${formatDurationMs(this.helloTimeoutMs)}`));
    }, this.helloTimeoutMs);
    const reject = (err: GrpcStatusError): void => {
      if (state.kind !== 'awaiting-hello') return;
      state = { kind: 'ended' };
      clearTimeout(helloTimer);
      stream.emit('error', err);
    };
    const gone = (reason: string): void => {
      clearTimeout(helloTimer);
      const session = state.kind === 'awaiting-hello' ? undefined : state.session;
      state = { kind: 'ended', session };
      if (session) this.closeSession(session, reason);
    };

    stream.on('data', (msg: AgentMessage__Output) => {
      if (state.kind !== 'awaiting-hello') {
        if (state.session) this.onMessage(state.session, msg);
        return;
      }
      if (msg.msg !== 'hello' || !msg.hello) {
        reject(statusError(grpc.status.INVALID_ARGUMENT, 'the first message of a Session must be Hello'));
        return;
      }
      if (msg.hello.agentName !== agentName) {
        reject(permissionDenied(`Hello says agent "${clip(msg.hello.agentName)}" but the client certificate is for "${agentName}"`));
        return;
      }
      clearTimeout(helloTimer);
      state = { kind: 'open', session: this.openSession(agentName, stream, msg.hello, certFingerprint) };
    });
    stream.on('end', () => {
      gone('the agent ended its session');
      stream.end();
    });
    stream.on('cancelled', () => gone('the agent went away'));
    stream.on('error', (err: Error) => gone(`stream error: ${err.message}`));
    stream.on('close', () => gone('the connection closed'));
  }

  private openSession(name: string, stream: AgentStream, hello: Hello__Output, certFingerprint: string): Session {
    const previous = this.sessions.get(name);
    if (previous) {
      this.closeSession(previous, 'superseded by a new session from the same agent');
      previous.stream.emit('error', statusError(grpc.status.ABORTED, 'superseded by a newer session of this agent'));
    }
    const now = new Date();
    const session: Session = {
      // The version string is the agent's to choose and is echoed into errors and status: kept clipped.
      info: {
        name,
        agentVersion: clip(hello.agentVersion),
        facts: hello.facts,
        peer: stream.getPeer(),
        connectedAt: now,
        lastSeen: now,
        ...(hello.unfinishedTask ? { unfinishedTask: clip(hello.unfinishedTask) } : {}),
      },
      stream,
      tasks: new Map(),
      certFingerprint,
      state: 'open',
    };
    this.sessions.set(name, session);
    this.reportLbApplied(name, hello.appliedLbVersion, 'Hello', false);
    if (hello.status) this.recordLbStatus(name, hello.status);
    // The first message down the stream doubles as the acknowledgement the agent waits for.
    stream.write({ ping: {} });
    if (this.natsEndpoint) this.sendNatsEndpoint(name, session, this.natsEndpoint);
    this.logger.info({ host: name, agentVersion: session.info.agentVersion, appliedLbVersion: hello.appliedLbVersion }, 'agent connected');
    if (session.info.unfinishedTask) {
      // The agent was killed while it ran this task: the host may hold a half-done kubeadm run. The join phases check
      // the node itself (kubelet.conf and a Ready Node) before they count it as joined; this is for the operator.
      this.logger.warn(
        { host: name, unfinishedTask: session.info.unfinishedTask },
        `agent ${name} was killed during a task it never finished: ${session.info.unfinishedTask}`,
      );
    }
    this.emit('connect', session.info);
    return session;
  }

  /**
   * Records the backend-set version an agent says is live on its host, unless it is above the published one. The
   * agent is authenticated but not trusted with this: a version it cannot have applied would make waitApplied and
   * `coordinatorctl status` believe a lagging load balancer is current. Such a report is logged and dropped, and the
   * agent keeps the version it last reported truthfully.
   */
  /** After the session's first ping; a failure is logged and the agent keeps what it has. */
  private sendNatsEndpoint(name: string, session: Session, endpoint: NonNullable<SessionHubOptions['natsEndpoint']>): void {
    endpoint(name).then(
      (nats) => {
        if (session.state === 'open') session.stream.write({ natsEndpoint: { url: nats.url, caPem: nats.caPem, userJwt: nats.userJwt } });
      },
      (err: unknown) => this.logger.error({ host: name, err: err instanceof Error ? err.message : String(err) }, 'cannot send the agent its NATS endpoint'),
    );
  }

  private reportLbApplied(name: string, version: number, via: 'Hello' | 'LbApplied', announce: boolean): void {
    const previous = this.lbReports.get(name) ?? Promise.resolve();
    // The store is read for every report (one per backend-set change and LB agent): a cached maximum would go wrong
    // when the set's key is deleted and versions start again from 1.
    const next = previous
      .then(async () => {
        const published = version === 0 ? 0 : await this.publishedLbVersion();
        if (version > published) {
          this.logger.warn(
            { host: name, reportedVersion: version, publishedVersion: published, via },
            `agent ${name} reports backend set v${version} applied, but the published version is v${published}; report ignored`,
          );
          return;
        }
        this.lbVersions.set(name, version);
        if (announce) this.emit('lbApplied', { name, version });
      })
      .catch((err: unknown) => {
        // Without the published version the report cannot be checked; dropping it can only delay a waitApplied.
        this.logger.warn({ host: name, reportedVersion: version, via, err }, 'cannot read the published backend-set version; applied-version report ignored');
      });
    this.lbReports.set(name, next);
    void next.then(() => {
      if (this.lbReports.get(name) === next) this.lbReports.delete(name);
    });
  }

  private onMessage(session: Session, msg: AgentMessage__Output): void {
    session.info.lastSeen = new Date();
    switch (msg.msg) {
      case 'progress': {
        const p = msg.progress;
        if (!p) return;
        const pending = session.tasks.get(p.taskId);
        if (p.data && p.data.length > 0) {
          if (!pending) return;
          try {
            if (!pending.onData) throw new KubeadmHaError(`the agent sent data for a task that streams none (${pending.kind})`);
            pending.onData(p.data);
          } catch (err) {
            pending.settle(err instanceof KubeadmHaError ? err : new KubeadmHaError(err instanceof Error ? err.message : String(err)));
            if (session.state === 'open') session.stream.write({ cancel: { taskId: p.taskId } });
          }
          return;
        }
        pending?.onProgress?.(p.line);
        return;
      }
      case 'result': {
        const r = msg.result;
        const pending = r ? session.tasks.get(r.taskId) : undefined;
        if (!r || !pending) {
          this.logger.warn(
            { host: session.info.name, taskId: clip(r?.taskId ?? '') },
            'result for a task that is not pending (cancelled or timed out); ignored',
          );
          return;
        }
        pending.settle(r);
        return;
      }
      case 'lbApplied':
        this.reportLbApplied(session.info.name, msg.lbApplied?.version ?? 0, 'LbApplied', true);
        return;
      case 'renewCertificate':
        void this.renew(session, msg.renewCertificate?.csrPem ?? '');
        return;
      case 'status':
        // A late message on a stream a newer session replaced (or that ended) must not put back a stale status.
        if (msg.status && session.state === 'open' && this.sessions.get(session.info.name) === session) this.recordLbStatus(session.info.name, msg.status);
        return;
      default:
        // hello is answered when the stream opens; a heartbeat only refreshes lastSeen, done above.
        return;
    }
  }

  private recordLbStatus(name: string, status: AgentStatus__Output): void {
    const kept = toLbStatus(status);
    this.lbStatusByAgent.set(name, kept);
    this.emit('lbStatus', { name, status: kept });
  }

  /** Answers a RenewCertificate on the session it came over; a refusal is an answer too, so the agent backs off. */
  private async renew(session: Session, csrPem: string): Promise<void> {
    const name = session.info.name;
    let answer: CoordinatorMessage;
    try {
      if (!this.renewCertificate || !session.certFingerprint) throw new PreconditionError('this coordinator does not renew certificates over sessions');
      const renewed = await this.renewCertificate({ name, fingerprint: session.certFingerprint }, csrPem);
      answer = { certificateIssued: { clientCertPem: renewed.certPem, notAfter: renewed.notAfter.toISOString() } };
    } catch (err) {
      this.logger.warn({ host: name, err: err instanceof Error ? err.message : String(err) }, 'certificate renewal refused');
      answer = { certificateIssued: { error: errorToDetail(err) } };
    }
    if (session.state === 'open') session.stream.write(answer);
  }

  private closeSession(session: Session, reason: string): void {
    if (session.state === 'closed') return;
    session.state = 'closed';
    const name = session.info.name;
    if (this.sessions.get(name) === session) {
      this.sessions.delete(name);
      this.lbStatusByAgent.delete(name);
    }
    for (const [taskId, pending] of session.tasks) {
      pending.settle(
        new KubeadmHaError(`the session dropped while task ${pending.kind} (${taskId}) was running (${reason}); its outcome on the host is unknown`, {
          host: name,
        }),
      );
    }
    session.tasks.clear();
    this.logger.info({ host: name, reason }, 'agent disconnected');
    this.emit('disconnect', { name, reason });
  }

  private pingAll(): void {
    const staleBefore = Date.now() - 3 * this.pingIntervalMs;
    for (const session of [...this.sessions.values()]) {
      if (session.info.lastSeen.getTime() < staleBefore) {
        const reason = `no message for ${Math.round((Date.now() - session.info.lastSeen.getTime()) / 1000)}s`;
        this.closeSession(session, reason);
        session.stream.emit('error', statusError(grpc.status.UNAVAILABLE, `session considered dead: ${reason}`));
        continue;
      }
      session.stream.write({ ping: {} });
    }
  }

  isConnected(name: string): boolean {
    return this.sessions.has(name);
  }

  connectedAgents(): ConnectedAgent[] {
    return [...this.sessions.values()].map((s) => s.info).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** What each connected agent last said of its load balancer (VRRP state, VIP, haproxy servers). */
  lbStatuses(): ReadonlyMap<string, AgentLbStatus> {
    return new Map(this.lbStatusByAgent);
  }

  /** The last backend-set version each agent reported live (from Hello or LbApplied); kept across disconnects. */
  appliedLbVersions(): ReadonlyMap<string, number> {
    return new Map(this.lbVersions);
  }

  /** Runs one task on one agent. Rejects with the agent's error class (host set), a TimeoutError, or the abort reason. */
  runTask<K extends TaskKind>(agentName: string, kind: K, args: TaskArgs[K], opts: RunTaskOptions = {}): Promise<TaskResultOutput[K]> {
    const ctx = { host: agentName, ...(opts.phase ? { phase: opts.phase } : {}) };
    const session = this.sessions.get(agentName);
    if (!session) return Promise.reject(new PreconditionError(`agent is not connected; cannot run ${kind}`, ctx));
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    const taskId = randomUUID();
    const timeoutMs = opts.timeoutMs ?? 0;

    return new Promise<TaskResultOutput[K]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        session.tasks.delete(taskId);
      };
      const cancelOnAgent = (): void => {
        if (session.state === 'open') session.stream.write({ cancel: { taskId } });
      };
      const onAbort = (): void => {
        cleanup();
        cancelOnAgent();
        reject(opts.signal?.reason ?? new KubeadmHaError(`task ${kind} cancelled`, ctx));
      };
      session.tasks.set(taskId, {
        kind,
        onProgress: opts.onProgress,
        ...(opts.onData ? { onData: opts.onData } : {}),
        settle: (outcome) => {
          cleanup();
          if (outcome instanceof KubeadmHaError) {
            reject(withContext(outcome, ctx));
            return;
          }
          if (!outcome.ok) {
            reject(
              withContext(
                errorFromDetail(outcome.error ?? completeDetail({ code: 'ERROR_CODE_INTERNAL', message: `task ${kind} failed without an error detail` })),
                ctx,
              ),
            );
            return;
          }
          if (!taskHasResult(kind)) {
            resolve(null as TaskResultOutput[K]);
            return;
          }
          const value = (outcome as unknown as Record<string, unknown>)[kind];
          if (value === undefined || value === null) {
            reject(new KubeadmHaError(`task ${kind} succeeded but the agent sent no ${kind} result (agent version ${session.info.agentVersion})`, ctx));
            return;
          }
          resolve(value as TaskResultOutput[K]);
        },
      });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          cleanup();
          cancelOnAgent();
          reject(new TimeoutError(`task ${kind} did not finish within ${formatDurationMs(timeoutMs)}`, ctx));
        }, timeoutMs);
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      session.stream.write({ task: { taskId, timeoutMs, [kind]: args } });
    });
  }

  /** Resolves once every named agent has a session; reports "2/5 agents connected; missing: …" on every change. */
  waitForAgents(names: readonly string[], opts: { onProgress?: (p: WaitProgress) => void; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const wanted = [...new Set(names)];
    return new Promise<void>((resolve, reject) => {
      let last = '';
      let timer: NodeJS.Timeout | undefined;
      const missingNow = (): string[] => wanted.filter((n) => !this.sessions.has(n));
      const describe = (missing: readonly string[]): string =>
        `${wanted.length - missing.length}/${wanted.length} agents connected` + (missing.length ? `; missing: ${missing.join(', ')}` : '');
      const finish = (err?: unknown): void => {
        if (timer) clearTimeout(timer);
        this.off('connect', check);
        this.off('disconnect', check);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      function onAbort(this: void): void {
        finish(opts.signal?.reason ?? new KubeadmHaError('waiting for agents cancelled'));
      }
      const check = (): void => {
        const missing = missingNow();
        const message = describe(missing);
        if (message !== last) {
          last = message;
          opts.onProgress?.({ connected: wanted.length - missing.length, total: wanted.length, missing, message });
        }
        if (missing.length === 0) finish();
      };
      if (opts.signal?.aborted) {
        reject(opts.signal.reason);
        return;
      }
      this.on('connect', check);
      this.on('disconnect', check);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        const timeoutMs = opts.timeoutMs;
        timer = setTimeout(() => {
          finish(
            new TimeoutError(
              `${describe(missingNow())} after ${formatDurationMs(timeoutMs)}; check that kubeadm-ha-agent runs on those hosts and that its bootstrap token is valid`,
            ),
          );
        }, timeoutMs);
      }
      check();
    });
  }

  /**
   * Ends a revoked agent's session (UNAUTHENTICATED, which tells the agent its certificate is no longer good) and
   * forgets what it reported. Called after its registry record is gone, so its reconnect is refused.
   */
  revoke(name: string, reason: string): void {
    this.lbVersions.delete(name);
    this.lbStatusByAgent.delete(name);
    const session = this.sessions.get(name);
    if (!session) return;
    this.closeSession(session, reason);
    session.stream.emit(
      'error',
      statusError(grpc.status.UNAUTHENTICATED, `agent ${name} was revoked (${reason}); it must register again with a new bootstrap token`),
    );
  }

  /**
   * Ends every session with `err` and fails their in-flight tasks, and forgets what the agents reported, but keeps
   * serving: the coordinator stopped leading (NotLeaderError names the new leader, which the agents dial instead).
   */
  endAll(err: KubeadmHaError): void {
    for (const session of [...this.sessions.values()]) {
      this.closeSession(session, err.message);
      session.stream.emit('error', toStatusError(err));
    }
    this.lbVersions.clear();
    this.lbStatusByAgent.clear();
  }

  /** Ends every session (UNAVAILABLE) and fails their in-flight tasks. */
  close(): void {
    if (this.lifecycle === 'closed') return;
    this.lifecycle = 'closed';
    clearInterval(this.pingTimer);
    for (const session of [...this.sessions.values()]) {
      this.closeSession(session, 'the coordinator is shutting down');
      session.stream.emit('error', toStatusError(new KubeadmHaError('the coordinator is shutting down')));
    }
  }
}
