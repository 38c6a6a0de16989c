import { UsageError } from '../../../core/errors.js';
import { formatTable } from '../../../core/format/table.js';
import type { ForgetNodeResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/ForgetNodeResponse.js';
import type { NodesResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/NodesResponse.js';
import { roleFromProto } from '../../../proto/index.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, followEvents, unary } from '../client.js';

const USAGE = [
  'coordinatorctl nodes [-o json]',
  '       coordinatorctl nodes approve NAME   join a pending host with the role its token admitted',
  '       coordinatorctl nodes forget NAME    revoke a host that is gone: its certificate, NATS user and registration',
].join('\n');

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = { output: { type: 'string', short: 'o' }, ...CONNECTION_OPTIONS } satisfies CommandOptions;

export const nodesCommand: Command = {
  name: 'nodes',
  summary: 'Registered agents (role, session, joined, pending, addresses, versions, applied backend set); nodes approve NAME; nodes forget NAME',
  usage: USAGE,
  options: OPTIONS,
  subcommands: ['approve', 'forget'],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(this, args, OPTIONS, true);
    const [sub, ...rest] = positionals;
    if (sub !== undefined && !((sub === 'approve' || sub === 'forget') && rest.length === 1)) {
      throw new UsageError(`nodes: expected no argument, approve NAME or forget NAME\nusage: ${this.usage}`);
    }
    const client = await connect(values);
    try {
      if (sub === 'approve') return await followEvents(client.approveNode({ nodeName: rest[0]! }), io, 'nodes approve');
      if (sub === 'forget') {
        const res = await unary<object, ForgetNodeResponse__Output>(client, 'forgetNode', { nodeName: rest[0]! }, 'nodes forget');
        io.out(
          `${rest[0]} ${res.forgotten ? 'revoked' : 'was not registered; a tombstone now refuses it'}: only a token created from now on can register it again\n`,
        );
        return 0;
      }
      const res = await unary<object, NodesResponse__Output>(client, 'nodes', {}, 'nodes');
      if (values.output === 'json') {
        io.out(JSON.stringify(res, null, 2) + '\n');
        return 0;
      }
      const rows = res.nodes.map((n) => [
        n.name,
        roleFromProto(n.role) ?? '?',
        n.connected ? 'connected' : `gone since ${n.lastSeen || '?'}`,
        n.joined ? 'yes' : n.pending ? 'pending' : 'no',
        n.facts?.addresses
          .filter((a) => a.interface !== 'lo')
          .map((a) => a.address)
          .join(',') ?? '',
        n.facts?.kubeadmVersion || '-',
        n.facts?.kubeletVersion || '-',
        n.appliedLbVersion ? `v${n.appliedLbVersion}` : '-',
        certExpiryCell(n.certNotAfter, n.certExpiringSoon),
      ]);
      io.out(formatTable(['NODE', 'ROLE', 'SESSION', 'JOINED', 'ADDRESSES', 'KUBEADM', 'KUBELET', 'LB', 'CERT EXPIRES'], rows) + '\n');
      for (const n of res.nodes.filter((x) => x.pending)) io.err(`${n.name} is pending: ${n.pendingReason}\n`);
      for (const n of res.nodes.filter((x) => x.certExpiringSoon)) io.err(agentCertWarning(n.name, n.certNotAfter) + '\n');
      return 0;
    } finally {
      client.close();
    }
  },
};

/** An expiry for a table: the instant, flagged when it is within 30 days (the coordinator decides). */
export function certExpiryCell(notAfter: string, expiringSoon: boolean): string {
  if (!notAfter) return '-';
  return expiringSoon ? `${notAfter} EXPIRING` : notAfter;
}

export function agentCertWarning(name: string, notAfter: string): string {
  return Date.parse(notAfter) <= Date.now()
    ? `${name}: its agent certificate expired at ${notAfter}; the agent says in its log how to register it again with a token bound to ${name}`
    : `${name}: its agent certificate expires at ${notAfter}, within 30 days: agents renew theirs over their session, so check that its agent runs and its log`;
}
