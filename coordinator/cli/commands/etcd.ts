import { UsageError } from '../../../core/errors.js';
import { formatTable } from '../../../core/format/table.js';
import type { EtcdSnapshotResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/EtcdSnapshotResponse.js';
import type { EtcdStatusResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/EtcdStatusResponse.js';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseCommandArgs, type CliIo, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, followEvents, unary } from '../client.js';

const USAGE = [
  'coordinatorctl etcd status [-o json]               the member table; exits 1 when etcd is unhealthy',
  '       coordinatorctl etcd snapshot [--keep N]            a checked snapshot from a healthy member, stored',
  '                                                          on the coordinator host (<data-dir>/etcd-snapshots, 0600);',
  "                                                          keeps the newest N of this cluster (default: the spec's, or 8)",
  '       coordinatorctl etcd restore --from FILE [--yes]    every member rebuilt from FILE (a path on the coordinator host,',
  '                                                          or a snapshot name from etcd snapshot); the API is down meanwhile',
  '                                                          and writes since the snapshot are lost. Without --yes it only',
  '                                                          says what it would do and exits 1',
].join('\n');

/** The same deadline as the coordinator's own bound on a snapshot, plus a margin. */
const SNAPSHOT_CALL_TIMEOUT_MS = 31 * 60_000;

function size(bytes: number): string {
  if (!bytes) return '-';
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * A relative path is the operator's, on this host: made absolute here, since the coordinator resolves paths on its own
 * host (the usual place for coordinatorctl). A bare name that is no file here names a snapshot in the coordinator's
 * snapshot directory.
 */
function snapshotArgument(from: string): string {
  if (isAbsolute(from)) return from;
  if (from.includes('/') || existsSync(from)) return resolve(from);
  return from;
}

async function restore(values: { from?: string; yes?: boolean; output?: string } & Parameters<typeof connect>[0], io: CliIo, usage: string): Promise<number> {
  if (!values.from) throw new UsageError(`etcd restore: --from FILE is required\nusage: ${usage}`);
  if (values.output !== undefined) throw new UsageError(`etcd restore: -o is for etcd status and snapshot\nusage: ${usage}`);
  const confirmed = values.yes === true;
  const client = await connect(values);
  try {
    const code = await followEvents(client.etcdRestore({ path: snapshotArgument(values.from), confirmed }), io, 'etcd restore');
    if (code !== 0 || confirmed) return code;
    io.err('refusing to restore without --yes: read the above, then run the same command with --yes\n');
    return 1;
  } finally {
    client.close();
  }
}

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  output: { type: 'string', short: 'o' },
  keep: { type: 'string' },
  from: { type: 'string' },
  yes: { type: 'boolean' },
  ...CONNECTION_OPTIONS,
} satisfies CommandOptions;

export const etcdCommand: Command = {
  name: 'etcd',
  summary: 'etcd through the control-plane agents: status (member table, health), snapshot (checked, stored, pruned), restore',
  usage: USAGE,
  options: OPTIONS,
  subcommands: ['status', 'snapshot', 'restore'],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(this, args, OPTIONS, true);
    const [sub, ...rest] = positionals;
    if ((sub !== 'status' && sub !== 'snapshot' && sub !== 'restore') || rest.length > 0)
      throw new UsageError(`etcd: expected status, snapshot or restore\nusage: ${this.usage}`);
    if (sub === 'restore') return restore(values, io, this.usage);
    if (values.from !== undefined || values.yes !== undefined) throw new UsageError(`etcd ${sub}: --from and --yes are for etcd restore\nusage: ${this.usage}`);
    if (values.output !== undefined && values.output !== 'json') throw new UsageError(`etcd: -o takes only json\nusage: ${this.usage}`);
    let keep = 0;
    if (values.keep !== undefined) {
      if (sub !== 'snapshot') throw new UsageError(`etcd status: --keep is for etcd snapshot\nusage: ${this.usage}`);
      if (!/^\d{1,4}$/.test(values.keep) || Number(values.keep) < 1 || Number(values.keep) > 1000) {
        throw new UsageError(`etcd snapshot: --keep ${JSON.stringify(values.keep.slice(0, 20))} is not a count from 1 to 1000\nusage: ${this.usage}`);
      }
      keep = Number(values.keep);
    }
    const client = await connect(values);
    try {
      if (sub === 'snapshot') {
        const r = await unary<object, EtcdSnapshotResponse__Output>(client, 'etcdSnapshot', { keep }, 'etcd snapshot', SNAPSHOT_CALL_TIMEOUT_MS);
        if (values.output === 'json') io.out(`${JSON.stringify(r, null, 2)}\n`);
        else {
          io.out(
            `snapshot of revision ${r.revision} from ${r.node}: ${r.path} (${size(Number(r.size))}, sha256 ${r.sha256}; etcd's own sha256 trailer checked)\n`,
          );
          for (const p of r.pruned) io.out(`pruned ${p}\n`);
        }
        return 0;
      }
      const r = await unary<object, EtcdStatusResponse__Output>(client, 'etcdStatus', {}, 'etcd status');
      if (values.output === 'json') {
        io.out(`${JSON.stringify(r, null, 2)}\n`);
        return r.healthy ? 0 : 1;
      }
      if (r.skipped) {
        io.out(`${r.skipped}\n`);
        return 0;
      }
      io.out(
        `${formatTable(
          ['NAME', 'ID', 'PEER URL', 'LEADER', 'LEARNER', 'DB SIZE/QUOTA', 'HEALTH', 'ALARMS'],
          r.members.map((m) => [
            m.name || '(never started)',
            m.id,
            m.peerUrl,
            m.leader ? 'yes' : 'no',
            m.learner ? 'yes' : 'no',
            m.dbQuota ? `${size(Number(m.dbSize))}/${size(Number(m.dbQuota))}` : '-',
            m.health,
            m.alarms.join(',') || '-',
          ]),
        )}\n`,
      );
      for (const w of r.warnings) io.err(`warning: ${w}\n`);
      for (const p of r.problems) io.err(`problem: ${p}\n`);
      io.out(
        r.healthy ? `\netcd healthy: ${r.members.length} members\n` : `\netcd UNHEALTHY: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`,
      );
      return r.healthy ? 0 : 1;
    } finally {
      client.close();
    }
  },
};
