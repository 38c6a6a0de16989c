import { parseDurationMs } from '../../../core/duration.js';
import { UsageError } from '../../../core/errors.js';
import type { JoinCommandResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/JoinCommandResponse.js';
import { roleToProto } from '../../../proto/index.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, unary } from '../client.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  role: { type: 'string' },
  'node-name': { type: 'string' },
  ttl: { type: 'string', default: '1h' },
  ...CONNECTION_OPTIONS,
} satisfies CommandOptions;

export const joinCommandCommand: Command = {
  name: 'join-command',
  summary: 'A shell snippet that installs agent.yaml (0600) on a new host and starts its agent',
  usage: 'coordinatorctl join-command [--role worker|control-plane] [--node-name NAME] [--ttl 1h]',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    const ttlMs = parseDurationMs(values.ttl!);
    if (!ttlMs) throw new UsageError(`join-command: --ttl "${values.ttl}" is not a duration such as 1h or 30m`);
    if (values.role && values.role !== 'worker' && values.role !== 'control-plane')
      throw new UsageError('join-command: --role must be worker or control-plane');
    const client = await connect(values);
    try {
      const res = await unary<object, JoinCommandResponse__Output>(
        client,
        'joinCommand',
        { role: roleToProto(values.role as 'worker' | 'control-plane' | undefined), ttlSeconds: Math.ceil(ttlMs / 1000), nodeName: values['node-name'] ?? '' },
        'join-command',
      );
      io.err(`# run as root on the new host; the token expires ${res.expires}\n`);
      io.out(`${res.command}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
