import { renderAgentConfig } from '../../../core/agent-config.js';
import { parseDurationMs } from '../../../core/duration.js';
import { UsageError } from '../../../core/errors.js';
import type { CreateTokenResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/CreateTokenResponse.js';
import { roleToProto } from '../../../proto/index.js';
import { parseCommandArgs, type Command } from '../command.js';
import { CONNECTION_OPTIONS, connect, unary } from '../client.js';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'token create: a bootstrap token, printed as a ready-to-paste /etc/kubeadm-ha/agent.yaml',
  usage: 'coordinatorctl token create [--ttl 24h] [--role worker|control-plane] [--node-name NAME] [--description TEXT]',
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      this,
      args,
      {
        ttl: { type: 'string', default: '24h' },
        role: { type: 'string' },
        'node-name': { type: 'string' },
        description: { type: 'string' },
        ...CONNECTION_OPTIONS,
      },
      true,
    );
    if (positionals[0] !== 'create' || positionals.length !== 1) throw new UsageError(`token: expected "create"\nusage: ${this.usage}`);
    const ttlMs = parseDurationMs(values.ttl!);
    if (!ttlMs) throw new UsageError(`token create: --ttl "${values.ttl}" is not a duration such as 24h or 30m`);
    if (values.role && values.role !== 'worker' && values.role !== 'control-plane')
      throw new UsageError('token create: --role must be worker or control-plane');
    const role = values.role as 'worker' | 'control-plane' | undefined;
    const client = await connect(values);
    try {
      const res = await unary<object, CreateTokenResponse__Output>(
        client,
        'createToken',
        { ttlSeconds: Math.ceil(ttlMs / 1000), role: roleToProto(role), description: values.description ?? '' },
        'token create',
      );
      io.err(`# token expires ${res.expires}; install this as /etc/kubeadm-ha/agent.yaml (mode 0600) on the new host\n`);
      io.out(
        renderAgentConfig({
          coordinator: res.coordinatorAddress,
          token: res.token,
          caCertHash: res.caPin,
          ...(role ? { role } : {}),
          ...(values['node-name'] ? { nodeName: values['node-name'] } : {}),
        }),
      );
      return 0;
    } finally {
      client.close();
    }
  },
};
