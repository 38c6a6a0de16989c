/**
 * Every cluster-changing operation (deploy, add-node, remove-node, reset) is persisted the same way: the operation
 * record (state/records.ts) is written as the first step of its work, before any phase, and marked when it ends. A
 * coordinator killed in between finds it `running` on restart and resumes it (admin/service.ts resumeInterrupted);
 * the phases then decide from reality what is left. The record only says what was started, never what is done.
 */
import { PreconditionError } from '../../core/errors.js';
import { specToObject, type ClusterSpec } from '../../core/spec.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { Operation, OperationKind } from '../admin/operations.js';
import type { CoordinatorRuntime } from '../runtime.js';
import { OPERATION_HISTORY, OPERATION_RUNS } from '../state/records.js';
import type { OperationRecord } from '../state/store.js';

/** How a command for `kind` of `key` gets its turn. */
export type Turn =
  /** The same operation runs in this coordinator: follow it. */
  | { readonly kind: 'attach'; readonly op: Operation }
  /** The same operation was cut off by a restart and nobody runs it yet: run it again, past its starting checks. */
  | { readonly kind: 'resume'; readonly record: OperationRecord }
  | { readonly kind: 'fresh' };

/** The record of an operation a restart cut off, when no operation runs here yet. */
export async function interruptedOperation(rt: Pick<CoordinatorRuntime, 'state' | 'operations'>): Promise<OperationRecord | undefined> {
  const record = (await rt.state.operation.get())?.value;
  return record?.status === 'running' && !rt.operations.running() ? record : undefined;
}

/**
 * The turn for `kind` of `key`, or a PreconditionError naming the operation that holds it: one running here, or one
 * a restart cut off (it resumes by itself; the same command follows it).
 */
export async function takeTurn(rt: Pick<CoordinatorRuntime, 'state' | 'operations'>, kind: OperationKind, key: string): Promise<Turn> {
  const record = (await rt.state.operation.get())?.value;
  // Asked after the read: a resume that started meanwhile is running here now.
  const running = rt.operations.running();
  if (running) {
    if (running.kind === kind && running.key === key) return { kind: 'attach', op: running };
    throw new PreconditionError(`a ${running.kind} (${running.key}) is running; wait for it to finish (coordinatorctl status)`);
  }
  if (record?.status === 'running') {
    if (record.kind === kind && record.key === key) return { kind: 'resume', record };
    throw new PreconditionError(
      `a ${record.kind} (${record.key}) was cut off by a coordinator restart and is resuming; wait for it to finish (coordinatorctl status)`,
    );
  }
  return { kind: 'fresh' };
}

export interface RecordedStart {
  readonly kind: OperationKind;
  readonly key: string;
  /** add-node: the spec to run again with. */
  readonly spec?: ClusterSpec;
  readonly autoJoin?: boolean;
  /** --force: recorded, so that a resume goes on as it was asked to. */
  readonly force?: boolean;
  /** The coordinator's stop: an operation cut off by it stays `running`, so that the next coordinator resumes it. */
  readonly signal?: AbortSignal;
  /** etcd-restore: what a resume needs to restore the same snapshot under the same token. */
  readonly restore?: { readonly restoreId: string; readonly sha256: string };
  /** Started by the coordinator itself (automatic certificate renewal): said so in status. */
  readonly automatic?: boolean;
}

/** Starts `work` as the operation, its record written before anything else it does. Returns the running one when it is the same. */
export function startRecorded(rt: CoordinatorRuntime, start: RecordedStart, work: (emit: (event: DeployEvent) => void) => Promise<void>): Operation {
  const { kind, key } = start;
  return rt.operations.start(kind, key, async (emit) => {
    const now = new Date().toISOString();
    await rt.state.operation.update((current) => {
      const again = current?.status === 'running' && current.kind === kind && current.key === key;
      return {
        // A resume keeps what the first run recorded along the way (certs-renew's baseline serials).
        ...(again ? current : {}),
        kind,
        key,
        status: 'running',
        startedAt: again ? current.startedAt : now,
        ...(again ? { resumed: (current.resumed ?? 0) + 1 } : {}),
        ...(start.spec ? { spec: specToObject(start.spec) } : {}),
        ...(start.autoJoin ? { autoJoin: true } : {}),
        ...(start.force ? { force: true } : {}),
        ...(start.restore ? { restore: { ...start.restore } } : {}),
        ...(start.automatic ? { automatic: true } : {}),
        runs: [...(again ? (current.runs ?? []) : []), { coordinator: rt.settings.advertise.slice(0, 300), term: rt.leaderTerm?.() ?? 0, at: now }].slice(
          -OPERATION_RUNS,
        ),
        // The operations before this one stay listed in status.
        ...(current?.history ? { history: current.history } : {}),
      };
    });
    try {
      await work(emit);
    } catch (err) {
      if (!start.signal?.aborted) await finishRecord(rt, start, 'failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
    await finishRecord(rt, start, 'succeeded');
  });
}

/** Marks the record ended; status keeps it. A failed write only costs a resume the operator did not ask for. */
export async function finishRecord(rt: CoordinatorRuntime, op: { kind: OperationKind; key: string }, status: 'succeeded' | 'failed', error?: string) {
  await rt.state.operation
    .update((current) => {
      const base = current?.kind === op.kind && current.key === op.key ? current : { kind: op.kind, key: op.key, startedAt: new Date().toISOString() };
      const { error: _previous, ...rest } = base as OperationRecord;
      const finishedAt = new Date().toISOString();
      const ended = {
        kind: op.kind,
        key: op.key.slice(0, 300),
        status,
        startedAt: base.startedAt,
        finishedAt,
        // A refusal's first line only says "refusing to …:"; its first reason follows on the next.
        ...(error !== undefined
          ? {
              error: error
                .split('\n')
                .slice(0, 2)
                .map((l) => l.trim())
                .filter(Boolean)
                .join(' ')
                .slice(0, 300),
            }
          : {}),
        ...((base as OperationRecord).automatic ? { automatic: true } : {}),
      };
      return {
        ...rest,
        status,
        finishedAt,
        ...(error !== undefined ? { error: error.slice(0, 2000) } : {}),
        history: [ended, ...(current?.history ?? [])].slice(0, OPERATION_HISTORY),
      };
    })
    .catch((err: unknown) =>
      rt.logger.error({ err: err instanceof Error ? err.message : String(err), kind: op.kind }, 'cannot record the end of the operation'),
    );
}
