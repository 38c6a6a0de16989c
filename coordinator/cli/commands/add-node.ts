import { parseCommandArgs, requireOption, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, followEvents } from '../client.js';
import { loadSpecFile } from '../spec-file.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  file: { type: 'string', short: 'f' },
  node: { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  ...CONNECTION_OPTIONS,
} satisfies CommandOptions;

export const addNodeCommand: Command = {
  name: 'add-node',
  summary: 'Join one node listed in cluster.yaml (a control-plane node gets its load balancer and joins every backend set)',
  usage:
    'coordinatorctl add-node -f cluster.yaml --node NAME [--dry-run] [--force]\n  --force  join a control-plane node although etcd is unhealthy (the health gate says what it skipped)',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    const path = requireOption(this, values.file, '-f');
    const node = requireOption(this, values.node, '--node');
    const loaded = await loadSpecFile(path);
    const client = await connect(values);
    try {
      return await followEvents(
        client.addNode({ specYaml: loaded.text, nodeName: node, dryRun: values['dry-run'] === true, force: values.force === true }),
        io,
        'add-node',
      );
    } finally {
      client.close();
    }
  },
};
