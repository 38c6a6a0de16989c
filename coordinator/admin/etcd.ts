/**
 * `coordinatorctl etcd status` and `etcd snapshot`, and the scheduled snapshots of spec.kubernetes.etcd.snapshots.
 * Read-only for the cluster, so they run beside an operation. Every question goes through a control-plane node's
 * agent (workflow/etcd.ts); the coordinator has no etcd credentials.
 *
 * A snapshot streams from one healthy member's agent (EtcdSnapshot, TaskProgress.data chunks) into a 0600 temp file
 * under <data-dir>/etcd-snapshots/, is checked (etcd's sha256 trailer over the content, the agent's sha256 of the
 * whole stream, its size, a revision above 0), and only then renamed to `<cluster>-<UTC time>-rev<revision>.db`; the
 * oldest of this cluster's snapshots beyond the retention count are deleted, and no other file there is touched.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PreconditionError, KubeadmHaError } from '../../core/errors.js';
import { MAX_SNAPSHOT_BYTES } from '../../core/etcd/gateway.js';
import { assessEtcd, healthyReporters, type EtcdAssessment } from '../../core/etcd/health.js';
import { DEFAULT_SNAPSHOT_KEEP, newestSnapshotTime, SnapshotVerifier, snapshotFileName, snapshotsToPrune } from '../../core/etcd/snapshot.js';
import { controlPlaneNodes } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import { agentGateway } from '../actions/cluster-context.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import { etcdReports, stackedEtcd } from '../workflow/etcd.js';

/** How long a snapshot may stream: 2 GiB at a slow 5 MiB/s takes ~7 minutes. */
export const SNAPSHOT_TIMEOUT_MS = 30 * 60_000;

async function deployedSpec(rt: CoordinatorRuntime): Promise<ClusterSpec> {
  const spec = await storedSpec(rt);
  if (!spec) throw new PreconditionError('no cluster has been deployed yet: run coordinatorctl deploy -f cluster.yaml first');
  return spec;
}

export interface EtcdStatusAnswer {
  readonly assessment: EtcdAssessment;
  /** Why the checks were skipped ('' when they ran). */
  readonly skipped: string;
}

/** etcd as every control-plane node's agent sees it, judged. */
export async function etcdStatus(rt: CoordinatorRuntime, signal?: AbortSignal): Promise<EtcdStatusAnswer> {
  const spec = await deployedSpec(rt);
  if (!stackedEtcd(spec))
    return { assessment: { problems: [], warnings: [], members: [], quorum: true, healthy: true }, skipped: 'external etcd: not checked' };
  const nodes = controlPlaneNodes(spec).map((n) => ({ name: n.name, address: n.address }));
  const reports = await etcdReports(agentGateway(rt.hub), nodes, 'etcd status', signal);
  return { assessment: assessEtcd(nodes, reports), skipped: '' };
}

export interface SnapshotTaken {
  readonly path: string;
  readonly size: number;
  readonly revision: number;
  readonly sha256: string;
  readonly node: string;
  readonly pruned: readonly string[];
}

/** One snapshot at a time: a second request waits for the first instead of reading the database twice at once. */
let snapshotting: Promise<unknown> = Promise.resolve();

export function takeSnapshot(rt: CoordinatorRuntime, options: { keep?: number; signal?: AbortSignal } = {}): Promise<SnapshotTaken> {
  const run = snapshotting.then(
    () => takeSnapshotNow(rt, options),
    () => takeSnapshotNow(rt, options),
  );
  snapshotting = run.catch(() => undefined);
  return run;
}

async function takeSnapshotNow(rt: CoordinatorRuntime, options: { keep?: number; signal?: AbortSignal }): Promise<SnapshotTaken> {
  // A restore stops etcd, and its snapshot may be one of the files pruning would delete.
  if (rt.operations.running()?.kind === 'etcd-restore')
    throw new PreconditionError('an etcd restore is running: take a snapshot once it has finished (coordinatorctl status)');
  const dir = rt.settings.etcdSnapshotDir;
  if (!dir) throw new KubeadmHaError('this coordinator has no snapshot directory configured');
  const spec = await deployedSpec(rt);
  if (!stackedEtcd(spec)) throw new PreconditionError('the cluster uses an external etcd: take its snapshots where it runs');
  const keep = options.keep && options.keep > 0 ? options.keep : (spec.kubernetes.etcd?.snapshots?.keep ?? DEFAULT_SNAPSHOT_KEEP);
  const nodes = controlPlaneNodes(spec).map((n) => ({ name: n.name, address: n.address }));
  const agents = agentGateway(rt.hub);
  const reports = await etcdReports(agents, nodes, 'etcd snapshot', options.signal);
  const assessment = assessEtcd(nodes, reports);
  const healthy = healthyReporters(reports);
  // A follower spares the leader the read; any healthy member will do.
  const source = healthy.find((r) => r.endpoint!.memberId !== assessment.leaderId) ?? healthy[0];
  if (!source) {
    throw new PreconditionError(
      `no healthy etcd member to take a snapshot from:\n${assessment.problems.map((p) => `  - ${p}`).join('\n')}\nFix etcd first (\`coordinatorctl etcd status\`)`,
    );
  }
  const address = nodes.find((n) => n.name === source.node)!.address;

  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const temp = join(dir, `.${spec.name}-${process.pid}-${Date.now()}.partial`);
  const fd = openSync(temp, 'wx', 0o600);
  const verifier = new SnapshotVerifier();
  let written = 0;
  let closed = false;
  const close = () => {
    if (!closed) closeSync(fd);
    closed = true;
  };
  try {
    const result = await agents.runTask(
      source.node,
      'etcdSnapshot',
      { address },
      {
        timeoutMs: SNAPSHOT_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
        onData: (chunk) => {
          written += chunk.length;
          if (written > MAX_SNAPSHOT_BYTES) throw new KubeadmHaError(`the snapshot from ${source.node} is over the ${MAX_SNAPSHOT_BYTES}-byte bound; refused`);
          verifier.update(chunk);
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
        },
      },
    );
    fsyncSync(fd);
    close();
    const check = verifier.finish();
    const problems: string[] = [];
    if (Number(result.size) !== written) problems.push(`the agent sent ${written} bytes but reports ${result.size}`);
    if (result.sha256 !== check.sha256) problems.push(`sha256 ${check.sha256} of what arrived differs from the agent's ${result.sha256}`);
    if (!check.trailerOk) problems.push("etcd's sha256 trailer does not match the snapshot's content (corrupt or truncated)");
    if (!(Number(result.revision) > 0)) problems.push(`the member reported revision ${result.revision}`);
    if (problems.length > 0)
      throw new KubeadmHaError(`the snapshot from ${source.node} failed its integrity check: ${problems.join('; ')}`, { host: source.node });
    const name = snapshotFileName(spec.name, new Date(), Number(result.revision));
    const path = join(dir, name);
    await rename(temp, path);
    const pruned = snapshotsToPrune(await readdir(dir), spec.name, keep);
    for (const old of pruned) await rm(join(dir, old), { force: true });
    rt.logger.info({ host: source.node, path, size: written, revision: Number(result.revision), pruned }, 'etcd snapshot taken');
    return { path, size: written, revision: Number(result.revision), sha256: check.sha256, node: source.node, pruned };
  } catch (err) {
    close();
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * spec.kubernetes.etcd.snapshots: every minute, the stored spec's schedule is compared with the newest snapshot of the
 * cluster in the directory (its time is in its name); one older than `every` (or none) starts the next. A failure is
 * logged and retried at the next tick after a backoff of `every`/6 at least ten minutes, so a cluster down for hours
 * is not asked every minute.
 */
export function startSnapshotSchedule(rt: CoordinatorRuntime, tickMs = 60_000): { stop(): void } {
  const abort = new AbortController();
  let retryAfter = 0;
  let busy = false;
  const tick = async () => {
    if (busy || abort.signal.aborted) return;
    busy = true;
    try {
      const spec = await storedSpec(rt);
      const schedule = spec?.kubernetes.etcd?.snapshots;
      const dir = rt.settings.etcdSnapshotDir;
      if (!spec || !schedule || !dir || Date.now() < retryAfter) return;
      const names = await readdir(dir).catch(() => [] as string[]);
      const newest = newestSnapshotTime(names, spec.name);
      if (Date.now() - newest < schedule.everyMs) return;
      try {
        const taken = await takeSnapshot(rt, { keep: schedule.keep, signal: abort.signal });
        rt.logger.info({ path: taken.path, revision: taken.revision, host: taken.node }, 'scheduled etcd snapshot taken');
      } catch (err) {
        retryAfter = Date.now() + Math.max(10 * 60_000, schedule.everyMs / 6);
        rt.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'scheduled etcd snapshot failed; retrying later');
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), tickMs);
  timer.unref();
  return {
    stop() {
      abort.abort(new KubeadmHaError('the coordinator is stopping'));
      clearInterval(timer);
    },
  };
}
