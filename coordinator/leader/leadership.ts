/**
 * What leading means for a coordinator (the lease is lease.ts). Elected, it starts a term: an admin service with its
 * own operation runner, the interrupted operation resumed (the phases decide from reality what is left, so a deploy
 * the previous leader was running goes on where it stopped), auto-join, the snapshot and certificate schedules, the
 * token purge. Fenced, it ends the term: the operations are aborted without being recorded as ended (the next leader
 * resumes them), the schedules stop, and every agent session ends with NotLeaderError so the agents dial the leader.
 *
 * A standby answers the read-only admin calls that need no agent and write nothing (Status, Nodes, Leader) from the shared state;
 * every other call is refused with NotLeaderError naming the leader, which coordinatorctl follows.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { NotLeaderError } from '../../core/errors.js';
import type { Logger } from '../../lib/log.js';
import type { AdminServiceHandlers } from '../../proto/generated/kubeadm_ha/v1/AdminService.js';
import { startAutoJoin } from '../admin/auto-join.js';
import { startCertRenewalSchedule } from '../admin/certs.js';
import { startSnapshotSchedule } from '../admin/etcd.js';
import { OperationRunner, type Operation, type OperationKind } from '../admin/operations.js';
import { createAdminService, type AdminService } from '../admin/service.js';
import type { CoordinatorRuntime, Operations } from '../runtime.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { LeaderLease } from './lease.js';

/** Admin calls a standby answers itself: they read the shared state, write nothing and send no task (ListTokens purges). */
export const STANDBY_ADMIN_CALLS: ReadonlySet<string> = new Set(['Status', 'Nodes', 'Leader']);

/** How often expired and used-up token records are purged while leading. */
const TOKEN_PURGE_MS = 10 * 60_000;

/**
 * The runtime's operations, always those of the current term: an operation of an ended term may still be winding
 * down (its phase's task fails once the sessions end), and the next term must not attach to it.
 */
export class TermOperations implements Operations {
  private current = new OperationRunner();
  private term = 0;
  /**
   * The term an operation's work started in, across its awaits: the state store's write guard refuses its writes once
   * another term began (leader/lease.ts), even when this coordinator leads again by then (fenced for a moment, then
   * re-elected): the new term resumes the operation, and the old run must not record its end, or undo what it did.
   */
  private readonly termOfWork = new AsyncLocalStorage<number>();

  nextTerm(term: number): void {
    this.current = new OperationRunner();
    this.term = term;
  }

  /** The term of the operation the caller runs in, undefined outside any. */
  workTerm(): number | undefined {
    return this.termOfWork.getStore();
  }
  running(): Operation | undefined {
    return this.current.running();
  }
  start(kind: OperationKind, key: string, work: (emit: (event: DeployEvent) => void) => Promise<void>): Operation {
    const term = this.term;
    return this.current.start(kind, key, (emit) => this.termOfWork.run(term, () => work(emit)));
  }
  dryRun(kind: OperationKind, key: string, work: (emit: (event: DeployEvent) => void) => Promise<void>): Operation {
    const term = this.term;
    return this.current.dryRun(kind, key, (emit) => this.termOfWork.run(term, () => work(emit)));
  }
}

export interface Leadership {
  /** The AdminService the gRPC server serves: the term's while leading, the standby's answers or a refusal otherwise. */
  readonly adminHandlers: Partial<AdminServiceHandlers>;
  stop(): void;
}

export interface LeadershipOptions {
  readonly operations: TermOperations;
  /** Agents registered before the key index existed get their entry, once per term (it writes). */
  readonly indexAgentKeys: () => Promise<string[]>;
  readonly certCheckIntervalMs?: number;
  readonly logger: Logger;
}

interface Term {
  readonly number: number;
  readonly service: AdminService;
  stop(): void;
}

export function startLeadership(rt: CoordinatorRuntime, lease: LeaderLease, opts: LeadershipOptions): Leadership {
  const log = opts.logger.child({ component: 'leadership' });
  const standby = createAdminService(rt);
  let term: Term | undefined;

  const begin = (number: number): void => {
    end('a new term starts');
    opts.operations.nextTerm(number);
    const service = createAdminService(rt);
    const autoJoin = startAutoJoin(rt);
    const snapshots = startSnapshotSchedule(rt);
    const certRenewal = startCertRenewalSchedule(rt, opts.certCheckIntervalMs);
    const purgeTimer = setInterval(() => void rt.tokens.purge().catch((err: unknown) => log.warn({ err: String(err) }, 'cannot purge tokens')), TOKEN_PURGE_MS);
    purgeTimer.unref();
    term = {
      number,
      service,
      stop() {
        clearInterval(purgeTimer);
        autoJoin.stop();
        snapshots.stop();
        certRenewal.stop();
        service.stop();
      },
    };
    void opts
      .indexAgentKeys()
      .then((conflicts) => {
        for (const c of conflicts) log.warn(`NATS key index: ${c}; remove one of them and register it again`);
      })
      .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot index the agents NATS keys'));
    service.resumeInterrupted();
  };

  const end = (reason: string): void => {
    if (!term) return;
    log.info({ term: term.number, reason }, 'term ended');
    term.stop();
    term = undefined;
    const leader = lease.leader();
    rt.hub.endAll(new NotLeaderError(`this coordinator stopped leading (${reason})${leader ? `; the leader is at ${leader}` : ''}`, leader));
  };

  lease.on('elected', begin);
  lease.on('fenced', end);

  const adminHandlers: Record<string, (...args: never[]) => unknown> = {};
  for (const [method, standbyHandler] of Object.entries(standby.handlers) as [string, (...args: unknown[]) => unknown][]) {
    adminHandlers[method] = (...args: unknown[]) => {
      const leading = term && lease.isLeader() ? term : undefined;
      if (leading) return (leading.service.handlers as Record<string, (...a: unknown[]) => unknown>)[method]!(...args);
      if (STANDBY_ADMIN_CALLS.has(method)) return standbyHandler(...args);
      lease.assertLeader(`AdminService.${method}`);
      // Elected this instant, its term not begun yet (the election's event starts it synchronously).
      throw new NotLeaderError('this coordinator is taking over; try again in a moment', '');
    };
  }

  const leader: AdminServiceHandlers['Leader'] = (_call, callback) => {
    const leading = lease.isLeader();
    callback(null, { leader: lease.leader(), coordinator: rt.settings.advertise, leading, term: lease.term() });
  };
  adminHandlers['Leader'] = leader as (...args: never[]) => unknown;

  return {
    adminHandlers: adminHandlers as Partial<AdminServiceHandlers>,
    stop() {
      lease.off('elected', begin);
      lease.off('fenced', end);
      if (term) {
        term.stop();
        term = undefined;
      }
      standby.stop();
    },
  };
}
