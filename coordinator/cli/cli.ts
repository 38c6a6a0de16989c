import { KubeadmHaError, UsageError } from '../../core/errors.js';
import { versionLine } from '../../core/version.js';
import type { CliIo, Command } from './command.js';
import { planCommand } from './commands/plan.js';
import { renderCommand } from './commands/render.js';
import { validateCommand } from './commands/validate.js';
import { deployCommand } from './commands/deploy.js';
import { statusCommand } from './commands/status.js';
import { tokenCommand } from './commands/token.js';
import { nodesCommand } from './commands/nodes.js';
import { joinCommandCommand } from './commands/join-command.js';
import { verifyCommand } from './commands/verify.js';
import { addNodeCommand } from './commands/add-node.js';
import { removeNodeCommand } from './commands/remove-node.js';
import { resetCommand } from './commands/reset.js';
import { certsCommand } from './commands/certs.js';
import { upgradeCommand } from './commands/upgrade.js';
import { etcdCommand } from './commands/etcd.js';

const COMMANDS: readonly Command[] = [
  validateCommand,
  renderCommand,
  planCommand,
  deployCommand,
  addNodeCommand,
  removeNodeCommand,
  resetCommand,
  statusCommand,
  nodesCommand,
  tokenCommand,
  joinCommandCommand,
  verifyCommand,
  etcdCommand,
  certsCommand,
  upgradeCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'coordinatorctl: deploy and operate highly-available kubeadm clusters',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `coordinatorctl <command> --help` for a command's flags.",
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; every error becomes a message, never a stack trace. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    io.out(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    io.out(`${versionLine('coordinatorctl')}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`coordinatorctl: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.out(`${command.summary}\n\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`coordinatorctl ${err.message}\n`);
      return 2;
    }
    // SpecError is a KubeadmHaError: its message already lists every issue.
    if (err instanceof KubeadmHaError) {
      io.err(`coordinatorctl ${command.name}: ${err.message}\n`);
      return 1;
    }
    io.err(`coordinatorctl ${command.name}: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
