import { UsageError } from '../../../core/errors.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, followEvents } from '../client.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = { 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, ...CONNECTION_OPTIONS } satisfies CommandOptions;

export const removeNodeCommand: Command = {
  name: 'remove-node',
  summary: 'Remove a node: move the VIP, drain and drop its backend everywhere, kubectl drain/delete, kubeadm reset, clean and verify the host',
  usage: 'coordinatorctl remove-node NAME [--dry-run] [--force]\n  --force  go on although etcd is unhealthy (the health gate says what it skipped)',
  options: OPTIONS,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(this, args, OPTIONS, true);
    if (positionals.length !== 1) throw new UsageError(`${this.name}: exactly one node name is required\nusage: ${this.usage}`);
    const client = await connect(values);
    try {
      return await followEvents(
        client.removeNode({ nodeName: positionals[0]!, dryRun: values['dry-run'] === true, force: values.force === true }),
        io,
        'remove-node',
      );
    } finally {
      client.close();
    }
  },
};
