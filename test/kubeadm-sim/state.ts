/**
 * The simulated cluster's shared state: one JSON document under $KUBEADM_SIM_STATE, replaced by
 * atomic rename and mutated only under an O_EXCL lock file, so parallel joins on several simulated
 * hosts serialise the way the real apiserver would serialise their writes.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TokenState {
  id: string;
  secret: string;
  /** null: never expires. */
  expiresAtMs: number | null;
  usages: string[];
  groups: string[];
  description: string;
  createdAtMs: number;
}

export interface KubeadmCertsState {
  /** Secret data: file name (with '/' as '-') → base64 of the AES-GCM envelope. */
  data: Record<string, string>;
  expiresAtMs: number;
  ownerTokenId: string;
}

export interface NodeState {
  name: string;
  role: 'control-plane' | 'worker';
  /** The simulated host's root directory. */
  root: string;
  address: string;
  /** The local apiserver port (control-plane nodes). */
  bindPort: number;
  joinedAtMs: number;
  unschedulable: boolean;
  /** Set by reset: the kubelet is gone, the Node object stays (NotReady) until deleted. */
  kubeletStopped: boolean;
  kubeletVersion: string;
  criSocket: string;
}

export interface EtcdMemberState {
  /** Hex; with KUBEADM_SIM_ETCD=real the real member ID from etcd's member list. */
  id: string;
  name: string;
  peerURL: string;
  clientURL: string;
  /** KUBEADM_SIM_ETCD=real only: a learner not promoted yet. */
  isLearner?: boolean;
}

export interface ClusterState {
  clusterName: string;
  controlPlaneEndpoint: string;
  certSANs: string[];
  kubernetesVersion: string;
  imageRepository: string;
  serviceSubnet: string;
  podSubnet: string;
  dnsDomain: string;
  certificatesDir: string;
  encryptionAlgorithm: string;
  etcdExternal: boolean;
  etcdDataDir: string;
  caCertHash: string;
  /** /var/lib/kubelet/config.yaml content (the kubelet-config ConfigMap). */
  kubeletConfig: string;
  createdAtMs: number;
  tokens: TokenState[];
  kubeadmCerts: KubeadmCertsState | null;
  nodes: NodeState[];
  etcdMembers: EtcdMemberState[];
  /**
   * KUBEADM_SIM_ETCD=real: the highest etcd revision the stand-in apiservers saw after writing the objects. An etcd
   * found below it was restored from a snapshot, and its objects replace the state's.
   */
  etcdRevision?: string;
}

export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  get file(): string {
    return join(this.dir, 'cluster.json');
  }

  /** The shared CA material (what the kubeadm-certs Secret carries), kept 0600. */
  get pkiDir(): string {
    return join(this.dir, 'pki');
  }

  /** A consistent snapshot without locking (writers rename atomically). */
  read(): ClusterState | null {
    if (!existsSync(this.file)) return null;
    for (let attempt = 0; ; attempt++) {
      try {
        return JSON.parse(readFileSync(this.file, 'utf8')) as ClusterState;
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  }

  private write(s: ClusterState): void {
    const tmp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(s, null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /**
   * Runs `fn` with the current state under the lock; what it returns (a state or null to delete
   * the cluster) is written back unless it returns undefined.
   */
  async update<T>(fn: (s: ClusterState | null) => { next?: ClusterState | null; result: T }): Promise<T> {
    const release = await this.lock();
    try {
      const { next, result } = fn(this.read());
      if (next !== undefined) {
        if (next === null) {
          if (existsSync(this.file)) unlinkSync(this.file);
        } else this.write(next);
      }
      return result;
    } finally {
      release();
    }
  }

  private async lock(): Promise<() => void> {
    const path = join(this.dir, '.lock');
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return () => {
          try {
            unlinkSync(path);
          } catch {
            // already stolen as stale; nothing to release
          }
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (this.lockIsStale(path)) {
          try {
            unlinkSync(path);
          } catch {
            // another waiter removed it first
          }
          continue;
        }
        if (Date.now() > deadline) throw new Error(`kubeadm-sim: timed out waiting for the state lock ${path}`);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    }
  }

  private lockIsStale(path: string): boolean {
    try {
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
        } catch {
          return true;
        }
      }
      return Date.now() - statSync(path).mtimeMs > 30_000;
    } catch {
      return false;
    }
  }
}

/** Drops expired tokens, and the kubeadm-certs Secret whose owner token expired (the tokencleaner and the GC). */
export function collectGarbage(s: ClusterState, nowMs: number): ClusterState {
  const tokens = s.tokens.filter((t) => t.expiresAtMs === null || t.expiresAtMs > nowMs);
  let kubeadmCerts = s.kubeadmCerts;
  if (kubeadmCerts && (kubeadmCerts.expiresAtMs <= nowMs || !tokens.some((t) => t.id === kubeadmCerts?.ownerTokenId))) kubeadmCerts = null;
  return { ...s, tokens, kubeadmCerts };
}

/**
 * The version a node's kubelet runs: what the kubelet stand-in recorded when it was last (re)started
 * (`$ROOT/run/kubeadm-sim/kubelet-version`, from the installed package), else the version it joined with.
 */
export function runningKubeletVersion(n: Pick<NodeState, 'root' | 'kubeletVersion'>): string {
  try {
    const text = readFileSync(join(n.root, 'run/kubeadm-sim/kubelet-version'), 'utf8').trim();
    return text || n.kubeletVersion;
  } catch {
    return n.kubeletVersion;
  }
}

/** Where the kubelet stand-in marks a stopped kubelet (`systemctl stop kubelet`); a start removes it. */
export const KUBELET_STOPPED_MARKER = 'run/kubeadm-sim/kubelet-stopped';

/**
 * Whether a node's kubelet posts its status: not reset away, and not stopped on its host. A real node goes NotReady
 * (Ready=Unknown, "Kubelet stopped posting node status.") once its lease runs out, 40 s after the kubelet stops; here
 * at once, so tests need not wait out the grace period.
 */
export function kubeletPosting(n: Pick<NodeState, 'root' | 'kubeletStopped'>): boolean {
  return !n.kubeletStopped && !existsSync(join(n.root, KUBELET_STOPPED_MARKER));
}
