import { UsageError } from '../../../core/errors.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, followEvents } from '../client.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = { to: { type: 'string' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, ...CONNECTION_OPTIONS } satisfies CommandOptions;

export const upgradeCommand: Command = {
  name: 'upgrade',
  summary: 'Upgrade the cluster to a Kubernetes version: control-plane nodes one at a time behind their drain, then workers in batches',
  usage:
    'coordinatorctl upgrade --to vX.Y.Z [--dry-run] [--force]\n  --dry-run  only ask the hosts and say what would be done\n  --force    go on although etcd is unhealthy (the gate says what it skipped)',
  options: OPTIONS,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(this, args, OPTIONS, true);
    if (positionals.length > 0) throw new UsageError(`upgrade: unexpected ${JSON.stringify(positionals[0])}\nusage: ${this.usage}`);
    if (!values.to) throw new UsageError(`upgrade: --to vX.Y.Z is required\nusage: ${this.usage}`);
    if (!/^v\d+\.\d+\.\d+$/.test(values.to))
      throw new UsageError(`upgrade: --to ${JSON.stringify(values.to.slice(0, 40))} is not a release version; write it like v1.32.0\nusage: ${this.usage}`);
    const client = await connect(values);
    try {
      return await followEvents(client.upgrade({ version: values.to, dryRun: values['dry-run'] === true, force: values.force === true }), io, 'upgrade');
    } finally {
      client.close();
    }
  },
};
