/**
 * The agent's side of the coordinator contract. It pins the coordinator's CA (agent.yaml's caCertHash) before sending
 * anything, registers once with the bootstrap token, then keeps one mTLS Session open forever: Hello, tasks in,
 * progress and results out. Agents only dial out; nothing listens on the host. Connection problems never end the
 * loop: it backs off (up to a minute) and tries again, re-registering when the coordinator no longer knows its
 * certificate. Past two thirds of its certificate's lifetime it renews it over the session with a new key (no token),
 * stores the pair, and reconnects with it once no task is running.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import type { AgentConfig } from '../core/agent-config.js';
import { MAX_STOP_WAIT_MS, stopDisposition } from '../core/agent-stop.js';
import { decideOverlap, HOST_EXCLUSIVE_TASKS, READ_ONLY_TASKS, type RunningTask, taskWork } from '../core/task-overlap.js';
import { renewalDueAt } from '../core/cert-lifetime.js';
import { isHostPort, nextCoordinator, parseCoordinatorAddresses } from '../core/coordinator-addresses.js';
import { AuthError, KubeadmHaError, NotLeaderError, PreconditionError, TimeoutError, UnavailableError } from '../core/errors.js';
import { AGENT_CONFIG_PATH } from '../core/host/paths.js';
import { redactSecrets } from '../core/redact.js';
import { MAX_AUTHENTICATED_MESSAGE_BYTES, MAX_UNAUTHENTICATED_MESSAGE_BYTES, TASK_DATA_CHUNK_BYTES } from '../lib/grpc/limits.js';
import { fromServiceError } from '../lib/grpc/status.js';
import { silentLogger, type Logger } from '../lib/log.js';
import type { AgentStatus } from '../proto/generated/kubeadm_ha/v1/AgentStatus.js';
import type { AgentMessage } from '../proto/generated/kubeadm_ha/v1/AgentMessage.js';
import type { CertificateIssued__Output } from '../proto/generated/kubeadm_ha/v1/CertificateIssued.js';
import type { CoordinatorMessage__Output } from '../proto/generated/kubeadm_ha/v1/CoordinatorMessage.js';
import type { HostFacts } from '../proto/generated/kubeadm_ha/v1/HostFacts.js';
import type { RegisterRequest } from '../proto/generated/kubeadm_ha/v1/RegisterRequest.js';
import type { RegisterResponse__Output } from '../proto/generated/kubeadm_ha/v1/RegisterResponse.js';
import type { Task__Output } from '../proto/generated/kubeadm_ha/v1/Task.js';
import type { TaskResult } from '../proto/generated/kubeadm_ha/v1/TaskResult.js';
import {
  AgentService,
  errorFromDetail,
  errorToDetail,
  roleFromProto,
  roleToProto,
  taskHasResult,
  type TaskArgsOutput,
  type TaskKind,
  type TaskResultInput,
} from '../proto/index.js';
import {
  assertCaMatchesPin,
  createAgentKey,
  createCsr,
  fetchPinnedCa,
  forgetRegistration,
  loadOrCreateAgentKey,
  loadOrCreateNatsUserKey,
  loadRegistration,
  saveNatsUserJwt,
  saveRegistration,
  saveRenewedCertificate,
  type ExpiredRegistration,
  type Registration,
} from './identity.js';

export interface TaskContext {
  readonly taskId: string;
  /** Streams one line to the coordinator (redacted again on the way out). */
  progress(line: string): void;
  /**
   * Streams a chunk of bulk output (TaskProgress.data; at most TASK_DATA_CHUNK_BYTES) and resolves once the session
   * can take more, so a large stream (an etcd snapshot) is paced by the coordinator, never buffered. Rejects when the
   * session is gone or the task is aborted.
   */
  data(chunk: Buffer): Promise<void>;
  /** Aborted on Cancel from the coordinator, when the task's timeout passes, or when the agent stops. */
  readonly signal: AbortSignal;
  /** 0: no limit. */
  readonly timeoutMs: number;
}

export type TaskHandler<K extends TaskKind> = (args: TaskArgsOutput[K], ctx: TaskContext) => Promise<TaskResultInput[K]>;
export type TaskHandlers = { readonly [K in TaskKind]?: TaskHandler<K> };

/**
 * The Session channel. What the agent reads comes from the coordinator whose CA it pinned, and is bounded all the same
 * (lib/grpc/limits.ts): a Task is at most a few dozen KiB, and the agent runs as root on every host.
 */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': MAX_AUTHENTICATED_MESSAGE_BYTES,
  // The coordinator reads no more; refusing here names the cause on the agent's side.
  'grpc.max_send_message_length': MAX_AUTHENTICATED_MESSAGE_BYTES,
};

/** Register's channel: the coordinator refuses a larger request before a certificate is issued. */
const REGISTER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  ...CHANNEL_OPTIONS,
  'grpc.max_send_message_length': MAX_UNAUTHENTICATED_MESSAGE_BYTES,
};

export interface RegisterOptions {
  /** The coordinator to dial (one of agent.yaml's, or the leader one of them named); default the first. */
  readonly address?: string;
  readonly agentVersion: string;
  readonly facts: HostFacts;
  readonly logger?: Logger;
  readonly timeoutMs?: number;
}

/**
 * Registers with the coordinator: pins its CA first (a mismatch throws AuthError and nothing, not even the token, is
 * sent), then sends the CSR and facts, and stores key, certificate, CA and NATS details under the state dir (0600).
 */
export async function registerAgent(config: AgentConfig, opts: RegisterOptions): Promise<Registration> {
  const logger = (opts.logger ?? silentLogger).child({ component: 'register' });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const address = opts.address ?? coordinatorList(config)[0]!;
  const caPem = await fetchPinnedCa(address, config.caCertHash, { timeoutMs });
  const key = await loadOrCreateAgentKey(config.stateDir);
  const nkey = await loadOrCreateNatsUserKey(config.stateDir);
  const requestedName = config.nodeName ?? '';
  const csrPem = await createCsr(key, requestedName || String(opts.facts.hostname ?? 'agent').toLowerCase());
  const client = new AgentService(address, grpc.credentials.createSsl(Buffer.from(caPem)), REGISTER_CHANNEL_OPTIONS);
  try {
    const request: RegisterRequest = {
      bootstrapToken: config.token,
      csrPem,
      natsNkeyPublic: nkey.publicKey,
      facts: opts.facts,
      requestedName,
      roleHint: roleToProto(config.role),
      agentVersion: opts.agentVersion,
    };
    const res = await new Promise<RegisterResponse__Output>((resolve, reject) => {
      const what = `Register with coordinator ${address}`;
      client.register(request, { deadline: Date.now() + timeoutMs }, (err, response) => {
        if (err) reject(fromServiceError(err, what));
        else if (!response) reject(new KubeadmHaError(`${what} failed: empty response`));
        else resolve(response);
      });
    });
    assertCaMatchesPin(res.caCertPem, config.caCertHash, `Register with coordinator ${address}`);
    const registration: Registration = {
      agentName: res.agentName,
      clusterName: res.clusterName,
      natsUrl: res.natsUrl,
      ...(res.natsCaPem ? { natsCaPem: res.natsCaPem } : {}),
      role: roleFromProto(res.role),
      coordinator: config.coordinator,
      caPin: config.caCertHash,
      caPem: res.caCertPem,
      certPem: res.clientCertPem,
      keyPem: key.privateKeyPem,
    };
    await saveRegistration(config.stateDir, registration);
    if (res.natsUserJwt && !(await saveNatsUserJwt(config.stateDir, res.natsUserJwt)))
      logger.warn('the coordinator sent a NATS user JWT that is not for this agent key; the next session start brings another');
    logger.info({ host: res.agentName, role: registration.role, cluster: res.clusterName }, 'registered with the coordinator');
    return registration;
  } finally {
    client.close();
  }
}

/** The longest backoff, in initial backoffs, after a round in which a standby answered (a takeover is under way). */
const STANDBY_ROUND_BACKOFF_FACTOR = 4;

/** agent.yaml's coordinator addresses (validated when the file was parsed). */
function coordinatorList(config: AgentConfig): string[] {
  const parsed = parseCoordinatorAddresses(config.coordinator);
  return 'addresses' in parsed ? parsed.addresses : [config.coordinator];
}

export interface AgentSessionOptions {
  readonly config: AgentConfig;
  readonly agentVersion: string;
  readonly handlers: TaskHandlers;
  readonly gatherFacts: () => Promise<HostFacts>;
  /** The backend-set version live in haproxy on this host, for Hello; 0 when none. */
  readonly appliedLbVersion?: () => number;
  readonly logger?: Logger;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly registerTimeoutMs?: number;
  /** How long a certificate renewal waits for the coordinator's answer (default 30 s). */
  readonly renewTimeoutMs?: number;
  /** For Hello: a task an earlier run of this agent started and never finished ('' when none). */
  readonly unfinishedTask?: () => string;
  /** The load balancer's state for Hello (AgentStatus); later changes go through reportStatus. */
  readonly lbStatus?: () => AgentStatus | undefined;
  /** Records each task before it runs and forgets it once answered (agent/task-journal.ts), so a kill shows next start. */
  readonly journal?: { started(taskId: string, kind: string): Promise<void>; finished(taskId: string): Promise<void> };
}

/** What a stopping agent did with the tasks it was running: waited for them to finish, or aborted them. */
export interface DrainReport {
  readonly waited: readonly string[];
  readonly aborted: readonly string[];
}

export interface AgentSessionEvents {
  registered: [registration: Registration];
  connected: [agentName: string];
  disconnected: [error: KubeadmHaError];
  /** A registration or connection attempt failed; the loop goes on after a backoff. */
  attemptFailed: [error: KubeadmHaError, retryInMs: number];
  /** The coordinator said where the backend set is read from now (at every session start). */
  natsEndpoint: [endpoint: { url: string; caPem: string; userJwt: string }];
  /** A renewed certificate is stored; the agent reconnects with it once no task is running. */
  certificateRenewed: [notAfter: Date];
  /** A renewal failed; the agent keeps its certificate and tries again after retryInMs. */
  renewalFailed: [error: KubeadmHaError, retryInMs: number];
}

interface ActiveSession {
  readonly call: grpc.ClientDuplexStream<AgentMessage, CoordinatorMessage__Output>;
  readonly registration: Registration;
  open: boolean;
  renewTimer?: NodeJS.Timeout;
  /** The RenewCertificate waiting for its CertificateIssued. */
  awaitingCertificate?: (answer: CertificateIssued__Output | KubeadmHaError) => void;
  /** A renewed certificate is stored: end this session (and reconnect with it) once no task runs. */
  reconnectForRenewal: boolean;
}

/** `promise`, or the abort's reason once `signal` aborts: a wait that a cancel or a timeout ends. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export class AgentSession extends EventEmitter<AgentSessionEvents> {
  private readonly logger: Logger;
  private readonly stopController = new AbortController();
  private readonly running = new Map<string, AbortController>();
  /** Tasks started and not yet answered, with their identity and their result to come: what later arrivals overlap with. */
  private readonly hostTasks = new Map<string, RunningTask & { readonly result: Promise<TaskResult> }>();
  /** Every task from its arrival until its result is sent: what a drain waits for. */
  private readonly inFlight = new Map<string, { readonly kind: string | undefined; readonly done: Promise<void> }>();
  /** Set by drain(): new tasks are refused with UnavailableError, never started. */
  private draining = false;
  private active: ActiveSession | undefined;
  private certificateRejected = false;
  private loop: Promise<void> | undefined;
  /** Renewals failed in a row, across sessions: the backoff before the next attempt. */
  private renewFailures = 0;
  /** agent.yaml's coordinators; the one dialled now; those tried without a session in this round. */
  private readonly coordinators: readonly string[];
  private dialing: string;
  private readonly tried = new Set<string>();
  /** A standby answered in this round: a takeover is under way, so the backoff stays short. */
  private standbyAnswered = false;

  constructor(private readonly opts: AgentSessionOptions) {
    super();
    this.logger = (opts.logger ?? silentLogger).child({ component: 'session' });
    this.coordinators = coordinatorList(opts.config);
    this.dialing = this.coordinators[0]!;
  }

  /** The coordinator this agent dials now. */
  get coordinator(): string {
    return this.dialing;
  }

  /**
   * Where to dial after `error`, and whether a round failed: every coordinator of the list tried since the last
   * session without one. A standby's NotLeaderError naming a leader not tried this round sends the agent there at once
   * (no failure); one without a usable hint (nobody leads yet, or it names a dead leader its lease still holds) counts
   * as tried, but a round in which a standby answered backs off at most STANDBY_ROUND_BACKOFF_FACTOR times the initial
   * backoff: a takeover ends within a lease TTL, and the agents must be there soon after.
   */
  private redirect(error: KubeadmHaError): 'redirected' | 'next' | 'round-failed' {
    if (error instanceof NotLeaderError) {
      if (error.leader && !this.tried.has(error.leader) && error.leader !== this.dialing && isHostPort(error.leader)) {
        this.dialing = error.leader;
        return 'redirected';
      }
      this.standbyAnswered = true;
    }
    this.tried.add(this.dialing);
    this.dialing = nextCoordinator(this.coordinators, this.dialing);
    if (this.coordinators.every((a) => this.tried.has(a))) {
      this.tried.clear();
      return 'round-failed';
    }
    return 'next';
  }

  get connected(): boolean {
    return this.active?.open === true;
  }

  /** Starts the register/connect loop; it runs until stop(). */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * The first half of a stop on SIGTERM: refuse every new task, wait for those that must not be cut (kubeadm init,
   * join, reset; core/agent-stop.ts) up to `maxWaitMs`, abort the others, and resolve once each has sent its result
   * over the session. The coordinator is told which by a progress line on each task. stop() comes after.
   */
  async drain(maxWaitMs = MAX_STOP_WAIT_MS): Promise<DrainReport> {
    this.draining = true;
    const waited: string[] = [];
    const aborted: string[] = [];
    for (const [taskId, task] of this.inFlight) {
      const what = `${task.kind ?? 'unknown'} (${taskId})`;
      // Still waiting for another task on this host: it has not started, so it is refused, whatever its kind.
      const notStarted = task.kind !== undefined && HOST_EXCLUSIVE_TASKS.has(task.kind) && !this.hostTasks.has(taskId);
      if (notStarted) {
        aborted.push(what);
        this.send({ progress: { taskId, line: 'the agent is stopping: this task had not started and will not; run it again once the agent is back' } });
        this.running.get(taskId)?.abort(new UnavailableError(`task ${what} was not started: the agent is stopping; run it again once the agent is back`));
      } else if (stopDisposition(task.kind) === 'wait') {
        waited.push(what);
        this.send({ progress: { taskId, line: 'the agent is stopping: it finishes this task first and takes no new one' } });
      } else {
        aborted.push(what);
        this.send({ progress: { taskId, line: 'the agent is stopping: this task is aborted; run it again once the agent is back' } });
        this.running.get(taskId)?.abort(new UnavailableError(`task ${what} aborted: the agent is stopping; run it again once the agent is back`));
      }
    }
    if (waited.length + aborted.length > 0) this.logger.info({ waitingFor: waited, aborted }, 'stopping: waiting for running tasks');
    const timer = setTimeout(() => {
      for (const [taskId, controller] of this.running) {
        controller.abort(new UnavailableError(`task ${taskId} aborted: the agent stopped waiting for it after ${Math.round(maxWaitMs / 1000)} s`));
      }
    }, maxWaitMs);
    try {
      // Tasks that arrive meanwhile are refused at once, so this ends.
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((t) => t.done));
    } finally {
      clearTimeout(timer);
    }
    return { waited, aborted };
  }

  async stop(): Promise<void> {
    this.stopController.abort(new KubeadmHaError('the agent is stopping'));
    for (const controller of this.running.values()) controller.abort(new KubeadmHaError('the agent is stopping'));
    const active = this.active;
    if (active) {
      // End our side cleanly so results already written reach the coordinator; cancel if it does not answer.
      active.open = false;
      active.call.end();
      const cancel = setTimeout(() => active.call.cancel(), 2_000);
      await this.loop;
      clearTimeout(cancel);
      return;
    }
    await this.loop;
  }

  /** Tells the coordinator a backend-set version is live here; dropped when disconnected (Hello carries it again). */
  reportLbApplied(version: number): void {
    this.send({ lbApplied: { version } });
  }

  /**
   * The load balancer's state changed. Returns false when there is no open session to carry it (the next Hello
   * carries the current state instead), so the reporter tries again rather than count it as said.
   */
  reportStatus(status: AgentStatus): boolean {
    return this.send({ status });
  }

  private send(msg: AgentMessage): boolean {
    if (!this.active?.open) return false;
    this.active.call.write(msg);
    return true;
  }

  /** One data chunk of a task, written only when the session's flow control allows it. */
  private async sendData(taskId: string, chunk: Buffer, signal: AbortSignal): Promise<void> {
    if (chunk.length > TASK_DATA_CHUNK_BYTES)
      throw new KubeadmHaError(`task ${taskId}: a data chunk of ${chunk.length} bytes is over ${TASK_DATA_CHUNK_BYTES}`);
    signal.throwIfAborted();
    const active = this.active;
    if (!active?.open) throw new UnavailableError(`task ${taskId}: the session to the coordinator is gone; its data cannot be sent`);
    if (active.call.write({ progress: { taskId, line: '', data: chunk } })) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        active.call.off('drain', done);
        active.call.off('close', done);
        signal.removeEventListener('abort', done);
        if (signal.aborted) reject(signal.reason);
        else if (!active.open) reject(new UnavailableError(`task ${taskId}: the session to the coordinator ended while sending data`));
        else resolve();
      };
      active.call.on('drain', done);
      active.call.on('close', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async run(): Promise<void> {
    const stop = this.stopController.signal;
    const initial = this.opts.backoff?.initialMs ?? 1_000;
    const max = this.opts.backoff?.maxMs ?? 60_000;
    let failures = 0;
    while (!stop.aborted) {
      try {
        const registration = await this.ensureRegistered();
        await this.runSession(registration);
      } catch (err) {
        const error = err instanceof KubeadmHaError ? err : new KubeadmHaError(err instanceof Error ? err.message : String(err), {}, { cause: err });
        if (stop.aborted) break;
        if (this.certificateRejected) {
          // The coordinator no longer accepts our certificate (node removed, registry lost): start over with the token.
          this.certificateRejected = false;
          await forgetRegistration(this.opts.config.stateDir);
        }
        const from = this.dialing;
        const outcome = this.redirect(error);
        let base = initial;
        if (outcome === 'round-failed') {
          failures++;
          base = Math.min(max, initial * 2 ** Math.min(failures, 16));
          if (this.standbyAnswered) base = Math.min(base, initial * STANDBY_ROUND_BACKOFF_FACTOR);
          this.standbyAnswered = false;
        }
        const delay = Math.round(base * (0.5 + Math.random() / 2));
        this.logger.warn({ err: error.message, coordinator: from, next: this.dialing, retryInMs: delay }, 'cannot reach or register with the coordinator');
        this.emit('attemptFailed', error, delay);
        await sleep(delay, stop);
        continue;
      }
      failures = 0;
      // After a renewal the new certificate is ready: reconnect with it at once.
      if (!this.renewedJustNow) await sleep(initial, stop);
      this.renewedJustNow = false;
    }
  }

  private renewedJustNow = false;

  private async ensureRegistered(): Promise<Registration> {
    const { config } = this.opts;
    const loaded = await loadRegistration(config.stateDir, config.caCertHash);
    if (loaded.registration) return loaded.registration;
    this.logger.info({ reason: loaded.reason }, 'registering with the coordinator');
    let registration: Registration;
    try {
      registration = await registerAgent(config, {
        address: this.dialing,
        agentVersion: this.opts.agentVersion,
        facts: await this.opts.gatherFacts(),
        logger: this.opts.logger,
        timeoutMs: this.opts.registerTimeoutMs,
      });
    } catch (err) {
      // The name is still registered, so only a token bound to it registers it again: say exactly how to get one.
      if (loaded.expired && err instanceof AuthError) {
        const advice = expiredCertificateAdvice(loaded.expired);
        this.logger.error({ host: loaded.expired.agentName, notAfter: loaded.expired.notAfter.toISOString() }, advice);
        throw new AuthError(`${advice} (registering again failed: ${err.message})`, {}, { cause: err });
      }
      throw err;
    }
    this.emit('registered', registration);
    return registration;
  }

  /** One Session, until it ends. Resolves after a session that was acknowledged ends; rejects if it never got that far. */
  private async runSession(reg: Registration): Promise<void> {
    const credentials = grpc.credentials.createSsl(Buffer.from(reg.caPem), Buffer.from(reg.keyPem), Buffer.from(reg.certPem));
    const address = this.dialing;
    const client = new AgentService(address, credentials, CHANNEL_OPTIONS);
    const facts = await this.opts.gatherFacts();
    const call = client.session();
    const active: ActiveSession = { call, registration: reg, open: true, reconnectForRenewal: false };
    this.active = active;
    let acknowledged = false;
    try {
      await new Promise<void>((resolve, reject) => {
        call.on('data', (msg: CoordinatorMessage__Output) => {
          if (!acknowledged) {
            acknowledged = true;
            this.logger.info({ host: reg.agentName, coordinator: address }, 'session open');
            this.tried.clear();
            this.standbyAnswered = false;
            this.emit('connected', reg.agentName);
            this.scheduleRenewal(active, this.renewFailures > 0 ? this.renewBackoffMs() : 0);
          }
          this.onMessage(active, msg);
        });
        call.on('error', (err: grpc.ServiceError) => {
          if (err.code === grpc.status.UNAUTHENTICATED && !acknowledged) this.certificateRejected = true;
          reject(fromServiceError(err, `Session with coordinator ${address}`));
        });
        call.on('end', () => resolve());
        call.write({
          hello: {
            agentName: reg.agentName,
            agentVersion: this.opts.agentVersion,
            appliedLbVersion: this.opts.appliedLbVersion?.() ?? 0,
            facts,
            unfinishedTask: this.opts.unfinishedTask?.() ?? '',
            ...(this.opts.lbStatus?.() ? { status: this.opts.lbStatus() } : {}),
          },
        });
      });
      if (active.reconnectForRenewal) {
        this.renewedJustNow = true;
        this.logger.info({ host: reg.agentName }, 'reconnecting with the renewed certificate');
        return;
      }
      if (!this.stopController.signal.aborted) throw new KubeadmHaError('the coordinator ended the session');
    } catch (err) {
      if (!acknowledged) throw err;
      // A session that worked is worth reconnecting at once rather than after a backoff.
      const error = err instanceof KubeadmHaError ? err : new KubeadmHaError(String(err));
      // The coordinator stopped leading: the next session goes to the one it named, or the next of the list.
      if (error instanceof NotLeaderError) this.redirect(error);
      this.logger.warn({ err: error.message, next: this.dialing }, 'session lost');
      this.emit('disconnected', error);
    } finally {
      active.open = false;
      if (active.renewTimer) clearTimeout(active.renewTimer);
      active.awaitingCertificate?.(new KubeadmHaError('the session ended before the coordinator answered the certificate renewal'));
      if (this.active === active) this.active = undefined;
      call.end();
      client.close();
    }
  }

  private onMessage(active: ActiveSession, msg: CoordinatorMessage__Output): void {
    switch (msg.msg) {
      case 'certificateIssued':
        if (msg.certificateIssued) active.awaitingCertificate?.(msg.certificateIssued);
        return;
      case 'task': {
        const task = msg.task;
        if (!task || this.inFlight.has(task.taskId)) return;
        const done = this.runTask(task).finally(() => this.inFlight.delete(task.taskId));
        this.inFlight.set(task.taskId, { kind: task.kind, done });
        return;
      }
      case 'cancel':
        if (msg.cancel) this.running.get(msg.cancel.taskId)?.abort(new KubeadmHaError('cancelled by the coordinator'));
        return;
      case 'ping':
        this.send({ heartbeat: {} });
        return;
      case 'natsEndpoint':
        if (msg.natsEndpoint) this.emit('natsEndpoint', { url: msg.natsEndpoint.url, caPem: msg.natsEndpoint.caPem, userJwt: msg.natsEndpoint.userJwt });
        return;
      default:
        return;
    }
  }

  private async runTask(task: Task__Output): Promise<void> {
    const { taskId } = task;
    const kind = task.kind;
    if (this.running.has(taskId)) return;
    // Registered (cancellable, timed) from its arrival, not from its start: a task waiting for another on this host
    // can be cancelled by the coordinator, and times out, like one that runs; otherwise it would run later for nobody.
    const controller = new AbortController();
    this.running.set(taskId, controller);
    const timer =
      task.timeoutMs > 0 ? setTimeout(() => controller.abort(new KubeadmHaError(`task exceeded its ${task.timeoutMs} ms timeout`)), task.timeoutMs) : undefined;
    const log = this.logger.child({ taskId, kind });
    const exclusive = kind !== undefined && HOST_EXCLUSIVE_TASKS.has(kind);
    const work = exclusive ? taskWork(kind, task[kind]) : '';
    let settle: (result: TaskResult) => void = () => undefined;
    let result: TaskResult | undefined;
    let journaled = false;
    let started = false;
    try {
      // core/task-overlap.ts: a restarted coordinator's repeat of a running task attaches to it; host-changing tasks
      // run one at a time. No await between the last decision and the registration, so two arrivals cannot both run.
      for (let told = false; ; told = true) {
        // A stopping agent takes no new task, of any kind (and a host-changing one that waited, none after its wait).
        if (this.draining) {
          throw new UnavailableError(
            `the agent is stopping (systemctl stop/restart or a package upgrade); ${kind ?? 'the'} task ${taskId} was not started: send it again once the agent is back`,
          );
        }
        if (!exclusive) break;
        const decision = decideOverlap({ kind, work }, [...this.hostTasks.values()]);
        if (decision.kind === 'run') break;
        if (decision.kind === 'attach') {
          const first = this.hostTasks.get(decision.to)!;
          log.info({ attachedTo: first.taskId }, 'the same task is already running: answering with its result');
          this.send({
            progress: {
              taskId,
              line: `the same ${kind} task is already running on this host (${first.taskId}, sent earlier, by this coordinator or one before a restart): waiting for it rather than starting another`,
            },
          });
          result = { ...(await untilAborted(first.result, controller.signal)), taskId };
          return;
        }
        if (!told) {
          log.info({ waitingFor: decision.ids }, 'another task that changes this host runs: waiting for it');
          this.send({
            progress: { taskId, line: `waiting for ${decision.ids.join(', ')} to finish: tasks that change this host's Kubernetes run one at a time` },
          });
        }
        await untilAborted(Promise.all(decision.ids.map((id) => this.hostTasks.get(id)?.result)), controller.signal);
      }
      if (exclusive) this.hostTasks.set(taskId, { taskId, kind, work, result: new Promise<TaskResult>((resolve) => (settle = resolve)) });
      if (!kind) throw new PreconditionError('the coordinator sent a task without a kind (newer coordinator?)');
      const handler = this.opts.handlers[kind] as TaskHandler<TaskKind> | undefined;
      if (!handler) throw new PreconditionError(`this agent (${this.opts.agentVersion}) cannot run ${kind} tasks`);
      const args = task[kind] as TaskArgsOutput[TaskKind];
      // A read killed with the agent changed nothing to report; journaling it cost two fsyncs before and after every
      // status question (a deploy asks a control-plane node about each joining worker's Node).
      if (!READ_ONLY_TASKS.has(kind)) {
        await this.opts.journal?.started(taskId, kind);
        journaled = true;
      }
      started = true;
      log.info('task started');
      const value = await handler(args, {
        taskId,
        signal: controller.signal,
        timeoutMs: task.timeoutMs,
        progress: (line) => this.send({ progress: { taskId, line: redactSecrets(line) } }),
        data: (chunk) => this.sendData(taskId, chunk, controller.signal),
      });
      result = { taskId, ok: true, ...(taskHasResult(kind) && value ? { [kind]: value } : {}) };
      log.info('task succeeded');
    } catch (err) {
      // A task aborted by a stopping agent says so (retryable), whatever the handler made of the abort.
      const stopped = controller.signal.aborted && controller.signal.reason instanceof UnavailableError;
      result = { taskId, ok: false, error: errorToDetail(stopped ? controller.signal.reason : err) };
      log.warn({ err: result.error?.message }, started ? 'task failed' : 'task not started');
    } finally {
      if (timer) clearTimeout(timer);
      this.running.delete(taskId);
      this.hostTasks.delete(taskId);
      if (journaled) await this.opts.journal?.finished(taskId).catch((err: unknown) => log.warn({ err: String(err) }, 'cannot clear the task journal'));
      const final = result ?? { taskId, ok: false, error: errorToDetail(new KubeadmHaError('the task ended without a result')) };
      settle(final);
      if (!this.active?.open) log.warn('session gone; the coordinator already considers this task failed');
      // The result goes down the session it was asked on before a renewal's reconnect ends it.
      this.send({ result: final });
      this.endSessionForRenewalWhenIdle(taskId);
    }
  }

  /**
   * A renewal's reconnect ends the session once no task is in flight (running, waiting for another, or attached), the
   * one finishing now (`finishing`) aside: a task still waiting would otherwise run for a session already gone.
   */
  private endSessionForRenewalWhenIdle(finishing?: string): void {
    const active = this.active;
    if (!active?.reconnectForRenewal) return;
    const others = [...this.inFlight.keys()].filter((id) => id !== finishing);
    if (others.length === 0) active.call.end();
  }

  private renewBackoffMs(): number {
    const initial = this.opts.backoff?.initialMs ?? 1_000;
    const max = this.opts.backoff?.maxMs ?? 60_000;
    return Math.round(Math.min(max, initial * 2 ** Math.min(this.renewFailures, 16)) * (0.5 + Math.random() / 2));
  }

  /** Arms the renewal of the session's certificate for when two thirds of its lifetime have passed, at least minDelayMs away. */
  private scheduleRenewal(active: ActiveSession, minDelayMs: number): void {
    if (!active.open || active.reconnectForRenewal) return;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(active.registration.certPem);
    } catch {
      return;
    }
    const due = renewalDueAt(new Date(cert.validFrom), new Date(cert.validTo));
    // setTimeout holds at most ~24.8 days; a longer wait is re-armed when it fires.
    const delay = Math.min(Math.max(minDelayMs, due - Date.now()), 2 ** 31 - 1);
    if (active.renewTimer) clearTimeout(active.renewTimer);
    active.renewTimer = setTimeout(() => {
      active.renewTimer = undefined;
      if (Date.now() < due) return this.scheduleRenewal(active, 0);
      void this.renew(active);
    }, delay);
    active.renewTimer.unref();
  }

  /**
   * One renewal: a new key, its CSR over the session, the certificate checked (issued by the pinned CA, for this key
   * and name) and stored with the key; then the session is ended once idle so the next one uses them. On any failure
   * the stored pair is untouched and the attempt is retried after a backoff.
   */
  private async renew(active: ActiveSession): Promise<void> {
    const reg = active.registration;
    const timeoutMs = this.opts.renewTimeoutMs ?? 30_000;
    try {
      const key = await createAgentKey();
      const csrPem = await createCsr(key, reg.agentName);
      if (!active.open) return;
      const answer = await new Promise<CertificateIssued__Output | KubeadmHaError>((resolve) => {
        const timer = setTimeout(() => resolve(new TimeoutError(`the coordinator did not answer the certificate renewal within ${timeoutMs} ms`)), timeoutMs);
        active.awaitingCertificate = (a) => {
          clearTimeout(timer);
          active.awaitingCertificate = undefined;
          resolve(a);
        };
        active.call.write({ renewCertificate: { csrPem } });
      });
      if (answer instanceof KubeadmHaError) throw answer;
      if (answer.error) throw errorFromDetail(answer.error);
      const certPem = answer.clientCertPem;
      const cert = new X509Certificate(certPem);
      const ca = new X509Certificate(reg.caPem);
      if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new AuthError('the renewed certificate was not issued by the pinned coordinator CA');
      if (!cert.subject.split('\n').includes(`CN=${reg.agentName}`)) throw new AuthError(`the renewed certificate is not for ${reg.agentName}`);
      await saveRenewedCertificate(this.opts.config.stateDir, key.privateKeyPem, certPem);
      this.renewFailures = 0;
      const notAfter = new Date(cert.validTo);
      this.logger.info({ host: reg.agentName, notAfter: notAfter.toISOString() }, 'client certificate renewed');
      this.emit('certificateRenewed', notAfter);
      active.reconnectForRenewal = true;
      this.endSessionForRenewalWhenIdle();
    } catch (err) {
      const error = err instanceof KubeadmHaError ? err : new KubeadmHaError(err instanceof Error ? err.message : String(err), {}, { cause: err });
      this.renewFailures++;
      const retryInMs = this.renewBackoffMs();
      this.logger.warn({ host: reg.agentName, err: error.message, retryInMs }, 'certificate renewal failed; keeping the current certificate');
      this.emit('renewalFailed', error, retryInMs);
      this.scheduleRenewal(active, retryInMs);
    }
  }
}

/** What an operator does for an agent whose certificate expired: the agent cannot renew it, and its name is registered. */
export function expiredCertificateAdvice(expired: ExpiredRegistration): string {
  const role = expired.role === 'control-plane' ? ' --role control-plane' : '';
  return (
    `the client certificate of ${expired.agentName} expired at ${expired.notAfter.toISOString()} and cannot be renewed over a session: ` +
    `run \`coordinatorctl token create --node-name ${expired.agentName}${role}\`, install its output as ${AGENT_CONFIG_PATH}, then restart kubeadm-ha-agent`
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
