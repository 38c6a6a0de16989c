/**
 * `coordinatorctl etcd restore --from FILE --yes`: every stacked etcd member rebuilt from one snapshot on the
 * coordinator host, as the 'etcd-restore' operation (recorded first, resumed by a restarted coordinator, one at a time
 * with every other operation).
 *
 * Who may cause it: an operator with the admin certificate, and only with --yes (confirmed); without it the same
 * request is a dry run that says what would happen and what is lost. What it reaches: through the control-plane nodes'
 * agents, kubeadm's control-plane manifests (parked and put back, never edited) and each node's etcd data directory
 * (kept aside, replaced); the snapshot is any regular file the coordinator can read, which must carry etcd's own
 * sha256 trailer. The API is down from restore-stop-apiservers to restore-start-control-plane; workloads keep running.
 */
import { randomBytes } from 'node:crypto';
import { open, lstat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { PreconditionError } from '../../core/errors.js';
import { describeLoss, newRestoreId, type SnapshotFacts } from '../../core/etcd/restore.js';
import { MAX_SNAPSHOT_BYTES } from '../../core/etcd/gateway.js';
import { parseSnapshotFileName, SnapshotVerifier, SNAPSHOT_TRAILER_BYTES } from '../../core/etcd/snapshot.js';
import { TASK_DATA_CHUNK_BYTES } from '../../lib/grpc/limits.js';
import type { Operation } from '../admin/operations.js';
import { restoreMembersPhase } from '../phases/etcd-restore/restore-members.js';
import { restoreStageSnapshotPhase } from '../phases/etcd-restore/restore-stage-snapshot.js';
import { restoreStartControlPlanePhase } from '../phases/etcd-restore/restore-start-control-plane.js';
import { restoreStartEtcdPhase } from '../phases/etcd-restore/restore-start-etcd.js';
import { restoreStopApiserversPhase } from '../phases/etcd-restore/restore-stop-apiservers.js';
import { restoreStopEtcdPhase } from '../phases/etcd-restore/restore-stop-etcd.js';
import { members, type RestoreContext, type RestoreSnapshot, type RestoreView } from '../phases/etcd-restore/restore-target.js';
import { restoreVerifyPhase } from '../phases/etcd-restore/restore-verify.js';
import { restoreWaitAgentsPhase } from '../phases/etcd-restore/restore-wait-agents.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import { etcdReports, stackedEtcd } from '../workflow/etcd.js';
import { dryRunPhases, runAction, type Action } from '../workflow/engine.js';
import { agentGateway, clusterContext } from './cluster-context.js';
import { startRecorded, takeTurn } from './operation-record.js';

export const ETCD_RESTORE: Action<RestoreContext, RestoreView> = {
  kind: 'etcd-restore',
  phases: [
    restoreWaitAgentsPhase,
    restoreStageSnapshotPhase,
    restoreStopApiserversPhase,
    restoreStopEtcdPhase,
    restoreMembersPhase,
    restoreStartEtcdPhase,
    restoreStartControlPlanePhase,
    restoreVerifyPhase,
  ],
  resumeHint:
    'Fix the cause, then run the same `coordinatorctl etcd restore --from FILE --yes` again: it goes on from where it stopped (a member already restored is not restored twice). Until then the control plane stays stopped.',
  observing: ['restore-wait-agents', 'restore-verify'],
};

/** An absolute path, or the name of a snapshot in the coordinator's snapshot directory. */
export function resolveSnapshotPath(path: string, snapshotDir: string | undefined): string {
  if (path.length === 0 || path.length > 4096 || path.includes('\0')) throw new PreconditionError('etcd restore: --from needs a snapshot file');
  if (isAbsolute(path)) return path;
  if (!path.includes('/') && snapshotDir) return join(snapshotDir, path);
  throw new PreconditionError(
    `etcd restore: ${JSON.stringify(path.slice(0, 200))} is relative; give an absolute path on the coordinator host, or the name of a snapshot in ${snapshotDir ?? '<data-dir>/etcd-snapshots'}`,
  );
}

/** Reads the whole file once: a regular file, within bounds, whose last 32 bytes are etcd's sha256 of the rest. */
export async function checkSnapshotFile(path: string): Promise<RestoreSnapshot> {
  let size: number;
  try {
    const st = await lstat(path);
    if (!st.isFile()) throw new PreconditionError(`etcd restore: ${path} is not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof PreconditionError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PreconditionError(`etcd restore: cannot read ${path} on the coordinator host (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`);
  }
  if (size <= SNAPSHOT_TRAILER_BYTES || size > MAX_SNAPSHOT_BYTES) throw new PreconditionError(`etcd restore: ${path} has ${size} bytes, not an etcd snapshot`);
  const verifier = new SnapshotVerifier();
  await readChunks(path, async (chunk) => {
    verifier.update(chunk);
    return true;
  });
  const check = verifier.finish();
  if (check.size !== size) throw new PreconditionError(`etcd restore: ${path} changed while it was read`);
  if (!check.trailerOk) {
    throw new PreconditionError(
      `etcd restore: ${path} does not end with etcd's sha256 of its content: not a snapshot from \`etcdctl snapshot save\` or \`coordinatorctl etcd snapshot\`, or corrupt (a copied member/snap/db has no trailer and is not accepted)`,
    );
  }
  const parsed = parseSnapshotFileName(basename(path));
  const stamp = parsed?.stamp;
  const takenAt = stamp
    ? new Date(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, -1)}Z`)
    : undefined;
  return {
    path,
    size,
    sha256: check.sha256,
    ...(parsed ? { revision: parsed.revision } : {}),
    ...(takenAt && !Number.isNaN(takenAt.getTime()) ? { takenAt } : {}),
  };
}

async function readChunks(path: string, onChunk: (chunk: Buffer, offset: number) => Promise<boolean>): Promise<number> {
  const handle = await open(path, 'r');
  try {
    let offset = 0;
    for (;;) {
      const buffer = Buffer.alloc(TASK_DATA_CHUNK_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return offset;
      const chunk = buffer.subarray(0, bytesRead);
      if (!(await onChunk(chunk, offset))) return offset + bytesRead;
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** The highest revision any member reports now; undefined when none answers (etcd down is why one restores). */
async function currentRevision(rt: CoordinatorRuntime, nodes: ReturnType<typeof members>, signal?: AbortSignal): Promise<number | undefined> {
  const reports = await etcdReports(agentGateway(rt.hub), nodes, 'etcd-restore', signal).catch(() => []);
  const revisions = reports.map((r) => r.endpoint?.revision ?? 0).filter((r) => r > 0);
  return revisions.length > 0 ? Math.max(...revisions) : undefined;
}

/**
 * Starts the restore (confirmed) or its dry run. The same command while the restore runs attaches to it; one a restart
 * cut off resumes with the token and snapshot it started with, and refuses a file that changed since.
 */
export async function startEtcdRestore(
  rt: CoordinatorRuntime,
  requestedPath: string,
  options: { confirmed: boolean; signal?: AbortSignal },
): Promise<Operation> {
  const path = resolveSnapshotPath(requestedPath, rt.settings.etcdSnapshotDir);
  let resumed: { restoreId: string; sha256: string } | undefined;
  if (options.confirmed) {
    const turn = await takeTurn(rt, 'etcd-restore', path);
    if (turn.kind === 'attach') return turn.op;
    if (turn.kind === 'resume') {
      if (!turn.record.restore) throw new PreconditionError('the interrupted etcd restore has no token recorded; it cannot resume');
      resumed = turn.record.restore;
    }
  }
  const spec = await storedSpec(rt);
  if (!spec) throw new PreconditionError('no cluster has been deployed yet: there is no etcd to restore');
  if (!stackedEtcd(spec)) throw new PreconditionError('the cluster uses an external etcd: restore it where it runs');
  const snapshot = await checkSnapshotFile(path);
  if (resumed && resumed.sha256 !== snapshot.sha256) {
    throw new PreconditionError(
      `${path} changed since the restore started (sha256 ${snapshot.sha256.slice(0, 16)}…, not ${resumed.sha256.slice(0, 16)}…): put the original file back to finish that restore`,
    );
  }
  const view = { spec };
  const nodes = members(view);
  if (options.confirmed && !resumed) {
    const connected = new Set(rt.hub.connectedAgents().map((a) => a.name));
    const missing = nodes.filter((n) => !connected.has(n.name)).map((n) => n.name);
    if (missing.length > 0) {
      throw new PreconditionError(
        `etcd restore rebuilds every member through its node's agent, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not connected; start kubeadm-ha-agent there first`,
      );
    }
  }
  // A restore of the same file that failed goes on under its token (the hint says to run it again): members it
  // already rebuilt are not rebuilt twice, and writes made since its apiservers came back are not thrown away.
  const last = (await rt.state.operation.get())?.value;
  const failedBefore =
    !resumed && last?.kind === 'etcd-restore' && last.key === path && last.status === 'failed' && last.restore?.sha256 === snapshot.sha256
      ? last.restore
      : undefined;
  const restoreId = resumed?.restoreId ?? failedBefore?.restoreId ?? newRestoreId(randomBytes(4).toString('hex'), new Date());
  const loss = describeLoss(snapshot as SnapshotFacts, await currentRevision(rt, nodes, options.signal));

  const work = async (emit: Parameters<typeof clusterContext>[2]) => {
    const base = clusterContext(rt, spec, emit, { component: 'etcd-restore', ...(options.signal ? { signal: options.signal } : {}) });
    const ctx: RestoreContext = {
      ...base,
      snapshot,
      restoreId,
      loss,
      restored: new Set<string>(),
      readSnapshot: async (onChunk) => {
        const verifier = new SnapshotVerifier();
        let complete = true;
        await readChunks(path, async (chunk, offset) => {
          verifier.update(chunk);
          const more = await onChunk(chunk, offset);
          if (!more) complete = false;
          return more;
        });
        if (!complete) return;
        const check = verifier.finish();
        if (check.sha256 !== snapshot.sha256 || check.size !== snapshot.size) throw new PreconditionError(`${path} changed since the restore started`);
      },
    };
    emit({ phase: 'etcd-restore', host: '', message: loss, level: 'LOG_LEVEL_WARN' });
    if (!options.confirmed) {
      await dryRunPhases(ETCD_RESTORE.phases, ctx);
      emit({
        phase: 'summary',
        host: '',
        message: `nothing changed. To restore, run it again with --yes: the API is down from restore-stop-apiservers until restore-start-control-plane (about a minute for a small database), and everything written since the snapshot is lost.`,
        level: 'LOG_LEVEL_INFO',
      });
      return;
    }
    if (resumed)
      emit({ phase: 'resume', host: '', message: `resuming etcd restore ${restoreId} of ${path} that a coordinator restart cut off`, level: 'LOG_LEVEL_INFO' });
    await runAction(ETCD_RESTORE, ctx, path);
    emit({
      phase: 'summary',
      host: '',
      message: `etcd restored from ${path} (cluster token ${restoreId}): ${nodes.length} members healthy, the API answers through the VIP. Each node keeps the data from before in <etcd data dir>.before-restore-<time>: delete it once you are satisfied. Restart the kubelets (systemctl restart kubelet) so that they drop what they cached from after the snapshot.`,
      level: 'LOG_LEVEL_INFO',
    });
  };
  return options.confirmed
    ? startRecorded(
        rt,
        { kind: 'etcd-restore', key: path, restore: { restoreId, sha256: snapshot.sha256 }, ...(options.signal ? { signal: options.signal } : {}) },
        work,
      )
    : rt.operations.dryRun('etcd-restore', path, work);
}
