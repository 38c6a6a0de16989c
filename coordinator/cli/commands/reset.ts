import { UsageError } from '../../../core/errors.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, followEvents } from '../client.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = { yes: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, ...CONNECTION_OPTIONS } satisfies CommandOptions;

export const resetCommand: Command = {
  name: 'reset',
  summary:
    'Tear the whole cluster down: kubeadm reset, load balancers, our files and the VIP on every node and revoke every agent (deploying again takes new tokens)',
  usage: 'coordinatorctl reset --yes | --dry-run',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    // Destroys etcd with every workload's state: never on a mistyped command alone.
    const dryRun = values['dry-run'] === true;
    if (!values.yes && !dryRun)
      throw new UsageError(
        `${this.name}: this destroys the cluster and its etcd data; add --yes to confirm (or --dry-run to see what it would do)\nusage: ${this.usage}`,
      );
    const client = await connect(values);
    try {
      return await followEvents(client.reset({ dryRun }), io, 'reset');
    } finally {
      client.close();
    }
  },
};
