/**
 * The host side of `coordinatorctl etcd restore`: stage the snapshot, park and unpark kubeadm's control-plane static
 * pods, and restore this node's member with etcd's own tool from the image its etcd.yaml names.
 *
 * Who may cause them: the coordinator, over the session this agent opened to the CA it pinned, and only in a restore
 * an operator confirmed with --yes (EtcdStageSnapshot, ParkControlPlane, EtcdRestoreMember).
 * What they can reach, and nothing else:
 * - kubeadm's control-plane manifests (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), moved whole
 *   between /etc/kubernetes/manifests and /etc/kubeadm-ha/stopped-manifests, never edited;
 * - the etcd data directory that this host's own etcd.yaml names (never one the coordinator names), moved aside and
 *   replaced by the restored one; the old one is kept;
 * - the product's work directory beside it, <data-dir>.kubeadm-ha-restore (0700): the staged snapshot, the restored
 *   data before it moves, and the marker of the restore that finished;
 * - one static pod manifest, kubeadm-ha-etcd-restore.yaml, which runs `etcdutl snapshot restore` once and is removed
 *   when it has; its command line is built here (core/etcd/restore.ts) from checked values.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { clip } from '../../core/clip.js';
import { KubeadmHaError, PreconditionError, TimeoutError } from '../../core/errors.js';
import { MAX_SNAPSHOT_BYTES } from '../../core/etcd/gateway.js';
import {
  checkRestoreId,
  checkRestoreMemberInput,
  etcdManifestFacts,
  isControlPlaneComponent,
  previousDataDir,
  renderRestorePod,
  restoreCommand,
  restoreContainerName,
  restoreWorkDir,
  RESTORE_MANIFEST_NAME,
  RESTORE_MEMBER_TIMEOUT_MS,
  type EtcdManifestFacts,
  type RestoreMemberInput,
} from '../../core/etcd/restore.js';
import { SnapshotVerifier, SNAPSHOT_TRAILER_BYTES } from '../../core/etcd/snapshot.js';
import { allContainersArgv, containerLogsArgv, inspectContainerArgv, parseContainerIds, parseContainerInspect } from '../../core/host/crictl.js';
import { ETCD_DATA_DIR, STATIC_POD_MANIFESTS_DIR, STOPPED_MANIFESTS_DIR } from '../../core/host/paths.js';
import { TASK_DATA_CHUNK_BYTES } from '../../lib/grpc/limits.js';
import type { TaskResultInput } from '../../proto/index.js';
import type { HostOps } from '../hostops.js';
import { waitForContainersGone } from './load-balancer.js';

const manifestPath = (component: string) => `${STATIC_POD_MANIFESTS_DIR}/${component}.yaml`;
const parkedPath = (component: string) => `${STOPPED_MANIFESTS_DIR}/${component}.yaml`;
const markerPath = (workDir: string) => `${workDir}/restored`;
const MANIFEST_MODE = 0o600;

/** This host's etcd.yaml, where it runs or where a restore parked it; a node without one is not a stacked control-plane node. */
export async function hostEtcdManifest(host: HostOps): Promise<{ facts: EtcdManifestFacts; parked: boolean }> {
  for (const [path, parked] of [
    [manifestPath('etcd'), false],
    [parkedPath('etcd'), true],
  ] as const) {
    const text = await host.readFile(path);
    if (text !== undefined) return { facts: etcdManifestFacts(text, path), parked };
  }
  throw new PreconditionError(`no etcd.yaml in ${STATIC_POD_MANIFESTS_DIR} or ${STOPPED_MANIFESTS_DIR}: not a control-plane node with stacked etcd`);
}

async function restoredUnder(host: HostOps, workDir: string): Promise<string | undefined> {
  return (await host.readFile(markerPath(workDir)))?.trim() || undefined;
}

/** The snapshot being received, between its chunks (one restore at a time per host). */
export interface StagingState {
  current?: { restoreId: string; path: string; received: number; verifier: SnapshotVerifier };
}

/** Room for the snapshot and the database restored from it, with a margin for etcd's WAL. */
const spaceNeeded = (snapshotBytes: number) => 2 * snapshotBytes + 256 * 1024 * 1024;

export async function etcdStageSnapshot(
  host: HostOps,
  input: { restoreId: string; offset: number; data: Uint8Array; totalSize: number; sha256: string; last: boolean; name?: string; peerUrl?: string },
  staging: StagingState,
  progress: (line: string) => void,
): Promise<TaskResultInput['etcdStageSnapshot']> {
  checkRestoreId(input.restoreId);
  if (input.data.length > TASK_DATA_CHUNK_BYTES) throw new PreconditionError(`a snapshot chunk of ${input.data.length} bytes is over ${TASK_DATA_CHUNK_BYTES}`);
  if (!(input.totalSize > SNAPSHOT_TRAILER_BYTES && input.totalSize <= MAX_SNAPSHOT_BYTES))
    throw new PreconditionError(`a snapshot of ${input.totalSize} bytes is outside 33..${MAX_SNAPSHOT_BYTES}`);
  if (input.offset + input.data.length > input.totalSize)
    throw new PreconditionError(`chunk at ${input.offset} runs past the snapshot's ${input.totalSize} bytes`);
  const { facts } = await hostEtcdManifest(host);
  const workDir = restoreWorkDir(facts.dataDir);
  if ((await restoredUnder(host, workDir)) === input.restoreId) return { received: 0, staged: false, alreadyRestored: true };
  const partial = `${workDir}/snapshot.db.partial`;
  if (input.offset === 0) {
    await checkRestorable(host, facts, input);
    const free = await host.freeBytes(workDir);
    if (free < spaceNeeded(input.totalSize)) {
      throw new PreconditionError(
        `${workDir}: ${Math.floor(free / 1024 ** 2)} MiB free, a restore of a ${Math.ceil(input.totalSize / 1024 ** 2)} MiB snapshot needs ${Math.ceil(spaceNeeded(input.totalSize) / 1024 ** 2)} MiB there (the snapshot and the restored database); free some space`,
      );
    }
    await host.makeDir(workDir, 0o700);
    staging.current = { restoreId: input.restoreId, path: partial, received: 0, verifier: new SnapshotVerifier() };
    progress(`staging a ${input.totalSize}-byte snapshot in ${workDir}`);
  }
  const current = staging.current;
  if (!current || current.restoreId !== input.restoreId || current.path !== partial || current.received !== input.offset) {
    throw new PreconditionError(
      `the staged snapshot is at ${current?.restoreId === input.restoreId ? current.received : 0} bytes, not ${input.offset}: send it again from offset 0`,
    );
  }
  current.received = await host.appendAt(partial, input.offset, input.data, 0o600);
  current.verifier.update(input.data);
  if (!input.last) return { received: current.received, staged: false, alreadyRestored: false };

  staging.current = undefined;
  const check = current.verifier.finish();
  const problems = [
    check.size !== input.totalSize ? `${check.size} bytes arrived, not ${input.totalSize}` : '',
    check.sha256 !== input.sha256 ? `sha256 ${check.sha256} differs from the coordinator's ${clip(input.sha256, 70)}` : '',
    check.trailerOk ? '' : "etcd's sha256 trailer does not match the content (corrupt or truncated)",
  ].filter(Boolean);
  if (problems.length > 0) {
    await host.remove(partial);
    throw new PreconditionError(`the staged snapshot failed its check: ${problems.join('; ')}`);
  }
  await host.remove(`${workDir}/snapshot.db`);
  await host.rename(partial, `${workDir}/snapshot.db`);
  progress(`snapshot staged at ${workDir}/snapshot.db (${check.size} bytes, sha256 and etcd's trailer checked)`);
  return { received: current.received, staged: true, alreadyRestored: false };
}

/**
 * What would make EtcdRestoreMember fail after the downtime has begun, checked while everything still runs: the
 * member's identity against this node's etcd.yaml, an etcd image the restore supports, and a data directory that can
 * be moved aside and replaced by a rename (no symbolic link on the way, on the same filesystem as its parent and the
 * work directory: not its own mount point).
 */
async function checkRestorable(host: HostOps, facts: EtcdManifestFacts, input: { restoreId: string; name?: string; peerUrl?: string }): Promise<void> {
  if (input.name !== undefined && input.name !== '') {
    const peerUrl = input.peerUrl ?? '';
    if (facts.name !== input.name || facts.peerUrl !== peerUrl) {
      throw new PreconditionError(
        `this node's etcd.yaml names its member ${facts.name} at ${facts.peerUrl}, not ${input.name} at ${peerUrl}: the restore would not rebuild it`,
      );
    }
    restoreCommand(
      facts.image,
      checkRestoreMemberInput({ restoreId: input.restoreId, name: input.name, peerUrl, initialCluster: [{ name: input.name, peerUrl }] }),
    );
  }
  await host.checkMutable(facts.dataDir);
  const parent = facts.dataDir.slice(0, facts.dataDir.lastIndexOf('/')) || '/';
  const [data, up] = await Promise.all([host.deviceOf(facts.dataDir), host.deviceOf(parent)]);
  if (data !== undefined && up !== undefined && data !== up) {
    throw new PreconditionError(`${facts.dataDir} is a mount point of its own: a restore renames it aside, which cannot cross filesystems; restore it by hand`);
  }
}

export interface ContainerWait {
  readonly criSocket: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Moves control-plane manifests out of kubelet's directory (and waits until their containers stopped) or back in. */
export async function parkControlPlane(
  host: HostOps,
  input: { park: boolean; components: readonly string[] },
  progress: (line: string) => void,
  wait?: ContainerWait,
): Promise<TaskResultInput['parkControlPlane']> {
  if (input.components.length === 0) throw new PreconditionError('no control-plane component named');
  for (const c of input.components)
    if (!isControlPlaneComponent(c)) throw new PreconditionError(`${JSON.stringify(clip(c, 40))} is not a kubeadm control-plane component`);
  const actions: string[] = [];
  const say = (line: string) => {
    actions.push(line);
    progress(line);
  };
  for (const c of input.components) {
    const [from, to] = input.park ? [manifestPath(c), parkedPath(c)] : [parkedPath(c), manifestPath(c)];
    const content = await host.readFile(from);
    if (content === undefined) {
      if (await host.exists(to)) say(`${c}.yaml already ${input.park ? 'parked' : `in ${STATIC_POD_MANIFESTS_DIR}`}`);
      else if (c === 'etcd' || c === 'kube-apiserver')
        throw new PreconditionError(`no ${c}.yaml in ${STATIC_POD_MANIFESTS_DIR} or ${STOPPED_MANIFESTS_DIR}: not a kubeadm control-plane node`);
      else say(`no ${c}.yaml on this node`);
      continue;
    }
    await host.writeFile(to, content, MANIFEST_MODE);
    await host.remove(from);
    say(
      input.park
        ? `${c}.yaml parked in ${STOPPED_MANIFESTS_DIR}; kubelet stops the pod`
        : `${c}.yaml back in ${STATIC_POD_MANIFESTS_DIR}; kubelet starts the pod`,
    );
  }
  if (input.park && wait && wait.timeoutMs > 0) await waitForContainersGone(host, input.components, 'control-plane', progress, wait);
  return { actions };
}

const RESTORE_POLL_MS = 250;

/** The one-shot restore container's end: its exit code, from the runtime; a timeout names the container. */
async function waitForRestoreContainer(
  host: HostOps,
  name: string,
  wait: ContainerWait,
  progress: (line: string) => void,
): Promise<{ id: string; exitCode: number }> {
  const started = Date.now();
  let seen = '';
  for (;;) {
    wait.signal?.throwIfAborted();
    const ps = await host.exec('crictl', allContainersArgv(wait.criSocket, name), { timeoutMs: 10_000 });
    const id = parseContainerIds(ps.stdout)[0];
    // A container listed a moment ago may be gone by now (kubelet's garbage collection): then it is asked again.
    const inspected = id ? await host.exec('crictl', inspectContainerArgv(wait.criSocket, id), { timeoutMs: 10_000, allowFailure: true }) : undefined;
    if (id && inspected?.exitCode === 0) {
      const state = parseContainerInspect(inspected.stdout);
      if (state.state !== seen) {
        progress(`restore container ${name}: ${state.state}`);
        seen = state.state;
      }
      if (state.state === 'CONTAINER_EXITED') return { id, exitCode: state.exitCode };
    }
    if (Date.now() - started > wait.timeoutMs) {
      throw new TimeoutError(
        `the etcd restore container ${name} ${id ? 'has not exited' : 'never started'} after ${wait.timeoutMs} ms; is kubelet running, and is the etcd image present? (crictl ps -a --name ${name})`,
      );
    }
    await sleep(RESTORE_POLL_MS);
  }
}

export async function etcdRestoreMember(
  host: HostOps,
  input: RestoreMemberInput,
  wait: Omit<ContainerWait, 'timeoutMs'> & { timeoutMs?: number },
  progress: (line: string) => void,
  now: () => Date = () => new Date(),
): Promise<TaskResultInput['etcdRestoreMember']> {
  checkRestoreMemberInput(input);
  const { facts, parked } = await hostEtcdManifest(host);
  if (!parked) throw new PreconditionError(`etcd still runs on this node (${manifestPath('etcd')} is in place): park it before restoring its data`);
  if (facts.name !== input.name || facts.peerUrl !== input.peerUrl) {
    throw new PreconditionError(
      `this node's etcd.yaml names its member ${facts.name} at ${facts.peerUrl}, not ${input.name} at ${input.peerUrl}: refusing to restore another member's identity here`,
    );
  }
  const workDir = restoreWorkDir(facts.dataDir);
  const { bumped } = restoreCommand(facts.image, input);
  if ((await restoredUnder(host, workDir)) === input.restoreId) {
    return {
      alreadyRestored: true,
      dataDir: facts.dataDir,
      previousDataDir: '',
      revisionBumped: bumped,
      detail: `${facts.dataDir} was already restored by ${input.restoreId}`,
    };
  }
  if (!(await host.exists(`${workDir}/snapshot.db`))) throw new PreconditionError(`no staged snapshot in ${workDir}: stage it first`);
  // What an interrupted attempt left; both tools refuse to restore into an existing directory.
  await host.remove(`${workDir}/data`);

  const attempt = randomBytes(4).toString('hex');
  const container = restoreContainerName(attempt);
  const restorePod = `${STATIC_POD_MANIFESTS_DIR}/${RESTORE_MANIFEST_NAME}`;
  await host.writeFile(restorePod, renderRestorePod(facts, input, attempt), MANIFEST_MODE);
  progress(
    `restoring etcd member ${input.name} with ${facts.image}: ${restoreCommand(facts.image, input).command.slice(0, 3).join(' ')} (static pod ${RESTORE_MANIFEST_NAME})`,
  );
  try {
    const done = await waitForRestoreContainer(host, container, { ...wait, timeoutMs: wait.timeoutMs || RESTORE_MEMBER_TIMEOUT_MS }, progress);
    if (done.exitCode !== 0) {
      const logs = await host.exec('crictl', containerLogsArgv(wait.criSocket, done.id, 15), { allowFailure: true, timeoutMs: 10_000 });
      const said = clip(`${logs.stdout}\n${logs.stderr}`.trim(), 1500);
      throw new KubeadmHaError(`the etcd restore exited ${done.exitCode}${said ? `:\n${said}` : ''}`);
    }
  } finally {
    await host.remove(restorePod);
  }
  if (!(await host.exists(`${workDir}/data/member/snap/db`))) throw new KubeadmHaError(`the etcd restore exited 0 but left no ${workDir}/data/member/snap/db`);

  // Swap: the old data is kept, the restored data takes its place (same filesystem: both are renames).
  let previous = '';
  if (await host.exists(facts.dataDir)) {
    previous = previousDataDir(facts.dataDir, now());
    await host.rename(facts.dataDir, previous);
    progress(`kept the data from before the restore in ${previous}`);
  }
  await host.rename(`${workDir}/data`, facts.dataDir);
  await host.chmod(facts.dataDir, 0o700);
  await host.writeFile(markerPath(workDir), `${input.restoreId}\n`, 0o600);
  await host.remove(`${workDir}/snapshot.db`);
  const detail = `restored etcd member ${input.name} into ${facts.dataDir}${bumped ? ` (revision bumped by 1e9 and marked compacted)` : ' (etcd older than 3.5.10: revision not bumped; restart the kubelets and controllers)'}`;
  progress(detail);
  return { alreadyRestored: false, dataDir: facts.dataDir, previousDataDir: previous, revisionBumped: bumped, detail };
}

/**
 * After `kubeadm reset` emptied etcd's data directory: the copies a restore kept beside it (the data from before each
 * restore, the work directory) hold the same keys and secrets, and go too. kubeadm-ha never sets another data
 * directory than kubeadm's default, so that is where they are.
 */
export async function removeRestoreLeftovers(host: HostOps, progress: (line: string) => void): Promise<string[]> {
  const parent = ETCD_DATA_DIR.slice(0, ETCD_DATA_DIR.lastIndexOf('/'));
  const base = ETCD_DATA_DIR.slice(parent.length + 1);
  const ours = (await host.listDir(parent)).filter(
    (name) => name === `${base}.kubeadm-ha-restore` || (name.startsWith(`${base}.before-restore-`) && /\.before-restore-\d{8}T\d{6}Z$/.test(name)),
  );
  const removed: string[] = [];
  for (const name of ours) {
    const path = `${parent}/${name}`;
    if (await host.remove(path)) {
      removed.push(path);
      progress(`removed ${path} (an etcd restore's copy of the data)`);
    }
  }
  return removed;
}
