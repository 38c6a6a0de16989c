/**
 * An etcd snapshot's integrity and how the coordinator names and keeps them. Pure (hashing is deterministic).
 *
 * etcd's Maintenance.Snapshot streams the backend database and then, as the last 32 bytes, the sha256 of every byte
 * before them (etcdserver/api/v3rpc/maintenance.go); `etcdctl snapshot restore` checks that trailer. The verifier
 * hashes a stream as it arrives, holding back the last 32 bytes, so a snapshot of gigabytes is checked without ever
 * being in memory.
 */
import { createHash, type Hash } from 'node:crypto';

export const SNAPSHOT_TRAILER_BYTES = 32;
export const DEFAULT_SNAPSHOT_KEEP = 8;
export const SNAPSHOT_DIR_NAME = 'etcd-snapshots';

export interface SnapshotCheck {
  readonly size: number;
  /** sha256 of the whole stream, trailer included (what the agent reports), hex. */
  readonly sha256: string;
  /** The trailer matches the hash of the bytes before it. */
  readonly trailerOk: boolean;
}

export class SnapshotVerifier {
  private readonly whole: Hash = createHash('sha256');
  private readonly content: Hash = createHash('sha256');
  private tail: Buffer = Buffer.alloc(0);
  private size = 0;

  update(chunk: Uint8Array): void {
    this.whole.update(chunk);
    this.size += chunk.length;
    const joined = Buffer.concat([this.tail, chunk]);
    const keep = Math.min(SNAPSHOT_TRAILER_BYTES, joined.length);
    if (joined.length > keep) this.content.update(joined.subarray(0, joined.length - keep));
    this.tail = Buffer.from(joined.subarray(joined.length - keep));
  }

  finish(): SnapshotCheck {
    const sha256 = this.whole.digest('hex');
    if (this.tail.length < SNAPSHOT_TRAILER_BYTES) return { size: this.size, sha256, trailerOk: false };
    return { size: this.size, sha256, trailerOk: this.content.digest().equals(this.tail) };
  }
}

/** Whether a whole snapshot in memory ends with the sha256 of the rest (tests, small snapshots). */
export function snapshotTrailerOk(bytes: Uint8Array): boolean {
  const v = new SnapshotVerifier();
  v.update(bytes);
  return v.finish().trailerOk;
}

/**
 * `prod-20261203T163000.123Z-rev12345.db`: the cluster, the time (UTC, sortable, to the millisecond: two snapshots of
 * an idle cluster have the same revision, and one a second apart must not replace the other) and the revision.
 */
export function snapshotFileName(cluster: string, at: Date, revision: number): string {
  const stamp = at.toISOString().replace(/[-:]/g, '');
  return `${cluster}-${stamp}-rev${revision}.db`;
}

/** Also reads the stamps without milliseconds that the first version wrote. */
const NAME_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-(\d{8}T\d{6}(?:\.\d{3})?Z)-rev(\d+)\.db$/;

/** The cluster, time stamp and revision of a snapshot file this module named; undefined for any other file. */
export function parseSnapshotFileName(name: string): { cluster: string; stamp: string; revision: number } | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  return { cluster: m[1]!, stamp: m[3]!, revision: Number(m[4]) };
}

/** When the newest snapshot of `cluster` among `names` was taken (ms since the epoch), 0 when there is none. */
export function newestSnapshotTime(names: readonly string[], cluster: string): number {
  let newest = 0;
  for (const name of names) {
    const parsed = parseSnapshotFileName(name);
    if (parsed?.cluster !== cluster) continue;
    const s = parsed.stamp;
    const at = Date.parse(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, -1)}Z`);
    if (at > newest) newest = at;
  }
  return newest;
}

/** The snapshot files of `cluster` among `names` to delete so that the newest `keep` remain; other files are never touched. */
export function snapshotsToPrune(names: readonly string[], cluster: string, keep: number): string[] {
  const ours = names
    .map((name) => ({ name, parsed: parseSnapshotFileName(name) }))
    .filter((f) => f.parsed?.cluster === cluster)
    .sort((a, b) => (a.parsed!.stamp === b.parsed!.stamp ? a.parsed!.revision - b.parsed!.revision : a.parsed!.stamp < b.parsed!.stamp ? -1 : 1));
  const excess = ours.length - Math.max(1, Math.floor(keep));
  return excess > 0 ? ours.slice(0, excess).map((f) => f.name) : [];
}
