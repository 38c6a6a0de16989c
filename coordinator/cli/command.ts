import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../../core/errors.js';

/** Where a command writes: stdout for results, stderr for warnings and progress. Tests pass buffers. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** A command's flags, as node:util parseArgs takes them. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** The usage lines `--help` prints (and the man page): every flag in `options` appears in them. */
  readonly usage: string;
  /** Every flag `run` accepts: the parser, the help check and shell completion read the same object. */
  readonly options: CommandOptions;
  /** The words that may come first after the command (`token create|list|delete`), for completion. */
  readonly subcommands?: readonly string[];
  run(args: readonly string[], io: CliIo): Promise<number>;
}

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: Pick<Command, 'name' | 'usage'>,
  args: readonly string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`${command.name}: ${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\nusage: ${command.usage}`);
  }
}

export function requireOption(command: Pick<Command, 'name' | 'usage'>, value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${command.name}: ${flag} is required\nusage: ${command.usage}`);
  return value;
}
