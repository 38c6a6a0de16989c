/**
 * One cluster-changing operation at a time (deploy, add-node, remove-node, reset): they all move etcd membership or
 * the VIP, and two at once would race. Clients stream its events; a client that reconnects (or a second
 * `coordinatorctl deploy` after a coordinator restart) attaches to the running one and sees everything from the start.
 */
import { EventEmitter } from 'node:events';
import { KubeadmHaError, PreconditionError } from '../../core/errors.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import { errorToDetail } from '../../proto/index.js';

export type OperationKind = 'deploy' | 'add-node' | 'remove-node' | 'reset' | 'etcd-restore' | 'certs-renew' | 'upgrade';

/** running → succeeded | failed; a finished operation only replays its events. */
export type OperationState = 'running' | 'succeeded' | 'failed';

export class Operation extends EventEmitter<{ event: [DeployEvent] }> {
  readonly events: DeployEvent[] = [];
  state: OperationState = 'running';
  readonly done: Promise<void>;

  constructor(
    readonly kind: OperationKind,
    readonly key: string,
    work: (emit: (event: DeployEvent) => void) => Promise<void>,
  ) {
    super();
    this.setMaxListeners(0);
    this.done = work((event) => this.push(event)).then(
      () => this.push({ message: `${kind} finished`, level: 'LOG_LEVEL_INFO', done: true }),
      (err: unknown) =>
        this.push({
          phase: err instanceof KubeadmHaError ? (err.phase ?? '') : '',
          host: err instanceof KubeadmHaError ? (err.host ?? '') : '',
          message: err instanceof Error ? err.message : String(err),
          level: 'LOG_LEVEL_ERROR',
          done: true,
          error: errorToDetail(err),
        }),
    );
  }

  get finished(): boolean {
    return this.state !== 'running';
  }

  private push(event: DeployEvent): void {
    if (this.finished) return;
    if (event.done) this.state = event.error ? 'failed' : 'succeeded';
    this.events.push(event);
    this.emit('event', event);
  }

  /** Replays what happened so far, then follows until done. */
  follow(write: (event: DeployEvent) => void): Promise<void> {
    for (const e of this.events) write(e);
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => {
      const onEvent = (e: DeployEvent) => {
        write(e);
        if (e.done) {
          this.off('event', onEvent);
          resolve();
        }
      };
      this.on('event', onEvent);
    });
  }
}

export class OperationRunner {
  private current: Operation | undefined;

  running(): Operation | undefined {
    return this.current && !this.current.finished ? this.current : undefined;
  }

  /** Starts `work`, or returns the running operation when it is the same kind and key; anything else is refused. */
  start(kind: OperationKind, key: string, work: (emit: (event: DeployEvent) => void) => Promise<void>): Operation {
    const running = this.running();
    if (running) {
      if (running.kind === kind && running.key === key) return running;
      throw new PreconditionError(`a ${running.kind} (${running.key}) is running; wait for it to finish (coordinatorctl status)`);
    }
    this.current = new Operation(kind, key, work);
    return this.current;
  }

  /**
   * A dry run streams like an operation but takes no turn: it only reads the hosts, so it may run beside the
   * operation that holds the cluster, and a second one beside it.
   */
  dryRun(kind: OperationKind, key: string, work: (emit: (event: DeployEvent) => void) => Promise<void>): Operation {
    return new Operation(kind, `${key} (dry run)`, work);
  }
}
