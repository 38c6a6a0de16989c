/**
 * Restoring stacked etcd from a snapshot, the pure part: what a host's etcd.yaml says about its member, the one-shot
 * static pod that runs etcd's own restore tool from the same image, the checks on what the coordinator sends, and the
 * words that tell an operator what a restore loses.
 *
 * The procedure is etcd's disaster recovery (etcd.io, op-guide/recovery) as Kubernetes' "Restoring an etcd cluster"
 * applies it to kubeadm: stop every apiserver (and the controllers, whose caches are newer than the snapshot), stop
 * every member, restore the same snapshot on every member with its own name and peer URL, the full member list and a
 * new cluster token, then start etcd, then the rest. From etcd 3.5.10 the restore bumps the revision and marks it
 * compacted, so that watches and informers holding resourceVersions newer than the snapshot are told to relist
 * instead of silently missing what changed.
 */
import { parse as parseYaml, stringify } from 'yaml';
import { clip } from '../clip.js';
import { PreconditionError } from '../errors.js';
import { dns1123LabelProblem } from '../validate.js';

/** kubeadm's control-plane static pods, in the order a restore stops them: the apiservers' clients first, etcd last. */
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
export type ControlPlaneComponent = (typeof CONTROL_PLANE_COMPONENTS)[number];
export const NON_ETCD_COMPONENTS: readonly ControlPlaneComponent[] = CONTROL_PLANE_COMPONENTS.filter((c) => c !== 'etcd');

export function isControlPlaneComponent(name: string): name is ControlPlaneComponent {
  return (CONTROL_PLANE_COMPONENTS as readonly string[]).includes(name);
}

/** The restore pod's manifest in /etc/kubernetes/manifests; removed as soon as its container has exited. */
export const RESTORE_MANIFEST_NAME = 'kubeadm-ha-etcd-restore.yaml';
/** Where the restore pod sees the work directory. */
export const RESTORE_MOUNT_PATH = '/var/lib/etcd-restore';
/** etcd's recovery guide's example bump: more revisions than a cluster writes between a snapshot and its restore. */
export const RESTORE_REVISION_BUMP = 1_000_000_000;
/** How long one member's restore may take: a 2 GiB database is copied and rewritten once. */
export const RESTORE_MEMBER_TIMEOUT_MS = 10 * 60_000;

/** The product's directory beside the data directory: the staged snapshot and the restored data, on the same filesystem. */
export function restoreWorkDir(dataDir: string): string {
  return `${dataDir}.kubeadm-ha-restore`;
}

/** Where the data from before a restore is kept: `/var/lib/etcd.before-restore-20261203T193000Z`. */
export function previousDataDir(dataDir: string, at: Date): string {
  return `${dataDir}.before-restore-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}`;
}

/** Directories a data dir must never be: the restore moves the data dir aside and puts another in its place. */
const SYSTEM_DIRS = new Set([
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/var',
  '/var/lib',
  '/var/log',
]);

/** What the restore needs from a host's etcd.yaml. */
export interface EtcdManifestFacts {
  readonly image: string;
  readonly dataDir: string;
  readonly name: string;
  readonly peerUrl: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads etcd.yaml as kubeadm writes it (container `etcd`, flags `--name=…` in its command). Throws naming `source`. */
export function etcdManifestFacts(text: string, source: string): EtcdManifestFacts {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    throw new PreconditionError(`${source} is not valid YAML`);
  }
  const containers = isObj(doc) && isObj(doc.spec) && Array.isArray(doc.spec.containers) ? doc.spec.containers : [];
  const etcd = containers.find((c): c is Obj => isObj(c) && c.name === 'etcd');
  if (!etcd) throw new PreconditionError(`${source} has no container named etcd`);
  const argv = [...(Array.isArray(etcd.command) ? etcd.command : []), ...(Array.isArray(etcd.args) ? etcd.args : [])].filter(
    (a): a is string => typeof a === 'string',
  );
  const flag = (name: string): string | undefined => {
    const prefix = `--${name}=`;
    const found = argv.find((a) => a.startsWith(prefix));
    return found?.slice(prefix.length);
  };
  const image = typeof etcd.image === 'string' ? etcd.image : '';
  const dataDir = flag('data-dir') ?? '';
  const name = flag('name') ?? '';
  const peerUrl = (flag('initial-advertise-peer-urls') ?? '').split(',')[0] ?? '';
  const missing = [!image && 'image', !dataDir && '--data-dir', !name && '--name', !peerUrl && '--initial-advertise-peer-urls'].filter(Boolean);
  if (missing.length > 0) throw new PreconditionError(`${source} does not give etcd's ${missing.join(', ')}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/:@]{0,254}$/.test(image))
    throw new PreconditionError(`${source}: image ${JSON.stringify(clip(image, 80))} is not an image reference`);
  checkDataDir(dataDir, source);
  return { image, dataDir, name, peerUrl };
}

/** An absolute, normal path below a top-level directory, not one of the system's own. */
export function checkDataDir(dir: string, source: string): string {
  const segments = dir.split('/');
  if (
    !dir.startsWith('/') ||
    dir.length > 255 ||
    dir.endsWith('/') ||
    segments.slice(1).some((s) => s === '' || s === '.' || s === '..' || !/^[A-Za-z0-9._-]+$/.test(s)) ||
    segments.length < 3 ||
    SYSTEM_DIRS.has(dir)
  ) {
    throw new PreconditionError(`${source}: etcd data directory ${JSON.stringify(clip(dir, 80))} is not a directory a restore may replace`);
  }
  return dir;
}

export interface EtcdVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** The etcd version of an image tag as registry.k8s.io tags it (`etcd:3.5.15-0`, `etcd:v3.5.9`); undefined when it says none. */
export function etcdImageVersion(image: string): EtcdVersion | undefined {
  const tag = /:v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.]+)?(?:@sha256:[0-9a-f]{64})?$/.exec(image);
  return tag ? { major: Number(tag[1]), minor: Number(tag[2]), patch: Number(tag[3]) } : undefined;
}

const atLeast = (v: EtcdVersion, major: number, minor: number, patch: number) =>
  v.major !== major ? v.major > major : v.minor !== minor ? v.minor > minor : v.patch >= patch;

export interface RestorePeer {
  readonly name: string;
  readonly peerUrl: string;
}

export interface RestoreMemberInput {
  /** The new cluster token; also names this restore on the hosts. */
  readonly restoreId: string;
  readonly name: string;
  readonly peerUrl: string;
  readonly initialCluster: readonly RestorePeer[];
}

const PEER_URL_RE = /^https:\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+):\d{1,5}$/;

export function checkRestoreId(id: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(id)) throw new PreconditionError(`restore id ${JSON.stringify(clip(id, 70))} is not [a-z0-9-], 63 at most`);
  return id;
}

/** What the coordinator sends, checked by the agent before anything is built from it. */
export function checkRestoreMemberInput(input: RestoreMemberInput): RestoreMemberInput {
  checkRestoreId(input.restoreId);
  if (input.initialCluster.length === 0 || input.initialCluster.length > 15)
    throw new PreconditionError(`a restored cluster has 1 to 15 members, not ${input.initialCluster.length}`);
  const names = new Set<string>();
  const urls = new Set<string>();
  for (const p of input.initialCluster) {
    // Member names are node names, which the spec keeps to DNS-1123 labels.
    const problem = dns1123LabelProblem(p.name);
    if (problem) throw new PreconditionError(`etcd member name: ${problem}`);
    if (!PEER_URL_RE.test(p.peerUrl)) throw new PreconditionError(`peer URL ${JSON.stringify(clip(p.peerUrl, 80))} is not https://ADDRESS:PORT`);
    if (names.has(p.name) || urls.has(p.peerUrl)) throw new PreconditionError(`etcd member ${p.name} (${p.peerUrl}) is listed twice`);
    names.add(p.name);
    urls.add(p.peerUrl);
  }
  if (!input.initialCluster.some((p) => p.name === input.name && p.peerUrl === input.peerUrl))
    throw new PreconditionError(`this member (${clip(input.name, 70)}, ${clip(input.peerUrl, 80)}) is not in the restored member list`);
  return input;
}

export interface RestoreCommand {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** --bump-revision and --mark-compacted are passed. */
  readonly bumped: boolean;
}

/**
 * The restore as the image's own tool runs it, into RESTORE_MOUNT_PATH/data (a directory that must not exist yet:
 * both tools refuse to restore over one). etcd 3.5 images carry etcdutl, 3.4 ones only etcdctl (API v3).
 */
export function restoreCommand(image: string, input: RestoreMemberInput): RestoreCommand {
  const version = etcdImageVersion(image);
  if (!version) throw new PreconditionError(`cannot tell the etcd version of image ${JSON.stringify(clip(image, 80))}: its tag is not X.Y.Z`);
  if (!atLeast(version, 3, 4, 0)) throw new PreconditionError(`etcd ${version.major}.${version.minor}.${version.patch} is older than 3.4: restore it by hand`);
  const etcdutl = atLeast(version, 3, 5, 0);
  const bumped = atLeast(version, 3, 5, 10);
  const command = [
    etcdutl ? 'etcdutl' : 'etcdctl',
    'snapshot',
    'restore',
    `${RESTORE_MOUNT_PATH}/snapshot.db`,
    `--data-dir=${RESTORE_MOUNT_PATH}/data`,
    `--name=${input.name}`,
    `--initial-cluster=${input.initialCluster.map((p) => `${p.name}=${p.peerUrl}`).join(',')}`,
    `--initial-cluster-token=${input.restoreId}`,
    `--initial-advertise-peer-urls=${input.peerUrl}`,
    ...(bumped ? [`--bump-revision=${RESTORE_REVISION_BUMP}`, '--mark-compacted'] : []),
  ];
  return { command, env: etcdutl ? {} : { ETCDCTL_API: '3' }, bumped };
}

/** The container's name, unique per attempt, so that the runtime's answer is about this run and no earlier one. */
export function restoreContainerName(attempt: string): string {
  if (!/^[a-z0-9]{1,12}$/.test(attempt)) throw new PreconditionError(`restore attempt ${JSON.stringify(clip(attempt, 20))} is not [a-z0-9]{1,12}`);
  return `etcd-restore-${attempt}`;
}

/**
 * The one-shot static pod: the etcd image this node already runs (so nothing is pulled), its work directory as the
 * only volume, host network (it needs none, and no CNI need be up), restartPolicy Never (kubelet runs it once).
 */
export function renderRestorePod(facts: Pick<EtcdManifestFacts, 'image' | 'dataDir'>, input: RestoreMemberInput, attempt: string): string {
  const { command, env } = restoreCommand(facts.image, input);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'etcd-restore',
      namespace: 'kube-system',
      labels: { component: 'etcd-restore', 'app.kubernetes.io/managed-by': 'kubeadm-ha' },
      annotations: { 'kubeadm-ha.io/restore-id': input.restoreId },
    },
    spec: {
      hostNetwork: true,
      restartPolicy: 'Never',
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: restoreContainerName(attempt),
          image: facts.image,
          imagePullPolicy: 'IfNotPresent',
          command: [...command],
          ...(Object.keys(env).length > 0 ? { env: Object.entries(env).map(([name, value]) => ({ name, value })) } : {}),
          volumeMounts: [{ name: 'etcd-restore', mountPath: RESTORE_MOUNT_PATH }],
        },
      ],
      volumes: [{ name: 'etcd-restore', hostPath: { path: restoreWorkDir(facts.dataDir), type: 'Directory' } }],
    },
  };
  return `# kubeadm-ha: one-shot restore of this node's etcd member (coordinatorctl etcd restore); removed when it has run\n${stringify(pod)}`;
}

export interface SnapshotFacts {
  readonly path: string;
  readonly size: number;
  /** From the file name when kubeadm-ha took it; undefined for another file. */
  readonly revision?: number;
  readonly takenAt?: Date;
}

/** What a restore throws away, said before it runs: every write after the snapshot, against the revision now. */
export function describeLoss(snapshot: SnapshotFacts, currentRevision: number | undefined): string {
  const when = snapshot.takenAt ? ` (taken ${snapshot.takenAt.toISOString()})` : '';
  const since = snapshot.takenAt ? `since ${snapshot.takenAt.toISOString()}` : 'since the snapshot was taken';
  const lost =
    snapshot.revision !== undefined && currentRevision !== undefined
      ? currentRevision > snapshot.revision
        ? `etcd is at revision ${currentRevision} and the snapshot at ${snapshot.revision}: ${currentRevision - snapshot.revision} revisions of writes are lost`
        : currentRevision === snapshot.revision
          ? `etcd is at the snapshot's revision ${currentRevision}: no write is lost`
          : `etcd is at revision ${currentRevision}, below the snapshot's ${snapshot.revision}: the snapshot is not from this cluster's history as it is now (another cluster, or taken before an earlier restore); make sure it is the file you mean`
      : currentRevision !== undefined
        ? `etcd is at revision ${currentRevision}; the snapshot's revision is not in its name`
        : 'etcd cannot say its current revision';
  return `restoring ${snapshot.path}${when}: ${lost}. Every object created, changed or deleted ${since} goes back to how it was (Deployments, Secrets, Nodes, leases, bootstrap tokens); workloads keep running, and their controllers reconcile to the restored objects.`;
}

/** A new cluster token: a restored cluster must not be mistaken for the old one by a member that missed the restore. */
export function newRestoreId(random: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, '')
    .toLowerCase();
  return checkRestoreId(
    `restore-${stamp}-${random
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 8)}`,
  );
}
