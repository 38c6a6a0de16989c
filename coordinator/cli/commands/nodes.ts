import { formatTable } from '../../../core/format/table.js';
import type { NodesResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/NodesResponse.js';
import { roleFromProto } from '../../../proto/index.js';
import { parseCommandArgs, type Command } from '../command.js';
import { CONNECTION_OPTIONS, connect, unary } from '../client.js';

export const nodesCommand: Command = {
  name: 'nodes',
  summary: 'Registered agents: role, session, joined, address, kubeadm/kubelet versions, applied backend set',
  usage: 'coordinatorctl nodes [-o json] [--admin-conf FILE]',
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, { output: { type: 'string', short: 'o' }, ...CONNECTION_OPTIONS });
    const client = await connect(values);
    try {
      const res = await unary<object, NodesResponse__Output>(client, 'nodes', {}, 'nodes');
      if (values.output === 'json') {
        io.out(JSON.stringify(res, null, 2) + '\n');
        return 0;
      }
      const rows = res.nodes.map((n) => [
        n.name,
        roleFromProto(n.role) ?? '?',
        n.connected ? 'connected' : `gone since ${n.lastSeen || '?'}`,
        n.joined ? 'yes' : 'no',
        n.facts?.addresses
          .filter((a) => a.interface !== 'lo')
          .map((a) => a.address)
          .join(',') ?? '',
        n.facts?.kubeadmVersion || '-',
        n.facts?.kubeletVersion || '-',
        n.appliedLbVersion ? `v${n.appliedLbVersion}` : '-',
      ]);
      io.out(formatTable(['NODE', 'ROLE', 'SESSION', 'JOINED', 'ADDRESSES', 'KUBEADM', 'KUBELET', 'LB'], rows) + '\n');
      return 0;
    } finally {
      client.close();
    }
  },
};
