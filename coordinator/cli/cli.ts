import { KubeadmHaError, UsageError } from '../../core/errors.js';
import { versionLine } from '../../core/version.js';
import type { CliIo, Command } from './command.js';

/**
 * Every command, loaded only when it runs (or for the list of summaries): all of them loaded at each start (gRPC and
 * the proto descriptors, zod, the renderers, the X.509 library) before coordinatorctl sent its first byte.
 */
const COMMANDS: readonly { readonly name: string; readonly load: () => Promise<Command> }[] = [
  { name: 'validate', load: async () => (await import('./commands/validate.js')).validateCommand },
  { name: 'render', load: async () => (await import('./commands/render.js')).renderCommand },
  { name: 'plan', load: async () => (await import('./commands/plan.js')).planCommand },
  { name: 'deploy', load: async () => (await import('./commands/deploy.js')).deployCommand },
  { name: 'add-node', load: async () => (await import('./commands/add-node.js')).addNodeCommand },
  { name: 'remove-node', load: async () => (await import('./commands/remove-node.js')).removeNodeCommand },
  { name: 'reset', load: async () => (await import('./commands/reset.js')).resetCommand },
  { name: 'status', load: async () => (await import('./commands/status.js')).statusCommand },
  { name: 'nodes', load: async () => (await import('./commands/nodes.js')).nodesCommand },
  { name: 'token', load: async () => (await import('./commands/token.js')).tokenCommand },
  { name: 'join-command', load: async () => (await import('./commands/join-command.js')).joinCommandCommand },
  { name: 'verify', load: async () => (await import('./commands/verify.js')).verifyCommand },
  { name: 'etcd', load: async () => (await import('./commands/etcd.js')).etcdCommand },
  { name: 'certs', load: async () => (await import('./commands/certs.js')).certsCommand },
  { name: 'upgrade', load: async () => (await import('./commands/upgrade.js')).upgradeCommand },
  { name: 'coordinators', load: async () => (await import('./commands/coordinators.js')).coordinatorsCommand },
];

const COMPLETION_SUMMARY = 'Print a shell completion script: coordinatorctl completion bash|zsh';
const COMPLETION_USAGE = [
  'coordinatorctl completion bash|zsh',
  '',
  '  bash: source <(coordinatorctl completion bash)   (the packages install it for bash-completion)',
  '  zsh:  source <(coordinatorctl completion zsh), or save it as _coordinatorctl in a directory on $fpath',
].join('\n');

/** Every command, loaded: the list `--help` prints and completion offers. */
export async function loadCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((c) => c.load()));
}

async function completion(rest: readonly string[], io: CliIo): Promise<number> {
  const shell = rest[0];
  if (rest.includes('-h') || rest.includes('--help')) {
    io.out(`${COMPLETION_SUMMARY}\n\nusage: ${COMPLETION_USAGE}\n`);
    return 0;
  }
  if (rest.length !== 1 || (shell !== 'bash' && shell !== 'zsh')) {
    io.err(`coordinatorctl completion: say bash or zsh\nusage: ${COMPLETION_USAGE}\n`);
    return 2;
  }
  const help = await import('./help.js');
  const commands = await loadCommands();
  io.out(shell === 'bash' ? help.bashCompletion(commands) : help.zshCompletion(commands));
  return 0;
}

async function usage(): Promise<string> {
  const commands = await loadCommands();
  const width = Math.max(...commands.map((c) => c.name.length), 'completion'.length);
  return [
    'coordinatorctl: deploy and operate highly-available kubeadm clusters',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'completion'.padEnd(width)}  ${COMPLETION_SUMMARY}`,
    '',
    "Run `coordinatorctl <command> --help` for a command's flags.",
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; every error becomes a message, never a stack trace. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    io.out((await usage()) + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    io.out(`${versionLine('coordinatorctl')}\n`);
    return 0;
  }
  if (name === 'completion') return completion(rest, io);
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`coordinatorctl: unknown command "${name}"\n\n${await usage()}\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('-h') || rest.includes('--help')) {
    io.out(`${(await import('./help.js')).commandHelp(command)}\n`);
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
