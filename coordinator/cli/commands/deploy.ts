import { parseCommandArgs, requireOption, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, followEvents } from '../client.js';
import { loadSpecFile } from '../spec-file.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  file: { type: 'string', short: 'f' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  ...CONNECTION_OPTIONS,
} satisfies CommandOptions;

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'Deploy (or reconcile) the cluster: init, control-plane joins one at a time, workers in parallel',
  usage:
    'coordinatorctl deploy -f cluster.yaml [--dry-run] [--force]\n  --force  go on with control-plane joins although etcd is unhealthy (the health gate says what it skipped)',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    const path = requireOption(this, values.file, '-f');
    // Validated here too, so a bad spec is refused before anything is sent, with the same messages as `validate`.
    const loaded = await loadSpecFile(path);
    const registry = loaded.registryConfigJson !== undefined ? Buffer.from(loaded.registryConfigJson, 'utf8') : undefined;
    const client = await connect(values);
    try {
      return await followEvents(
        client.deploy({
          specYaml: loaded.text,
          ...(registry ? { registryConfigJson: registry } : {}),
          dryRun: values['dry-run'] === true,
          force: values.force === true,
        }),
        io,
        'deploy',
      );
    } finally {
      client.close();
    }
  },
};
