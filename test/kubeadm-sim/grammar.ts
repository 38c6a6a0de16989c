/**
 * A cobra/pflag-compatible command-line parser. kubeadm and kubectl are cobra programs; the product
 * must survive their exact grammar: interspersed flags, `--flag=value` and `--flag value`, bool
 * flags that never take a separate value, comma-separated string slices that accumulate, and
 * pflag's exact error texts. Pure: no I/O.
 */
import { formatGoDuration, parseGoDuration } from './duration.js';

export type FlagType = 'string' | 'bool' | 'int' | 'strings' | 'duration';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  /** Default as pflag would show it; strings for slices are the CSV default. */
  default?: string;
  usage: string;
}

export interface CommandSpec {
  name: string;
  use: string;
  short: string;
  /** Flags of this command only. */
  flags: FlagSpec[];
  /** Flags this command hands down to its subcommands (cobra persistent flags). */
  persistentFlags?: FlagSpec[];
  /** Positional-argument rule, as cobra.Args. */
  args: { kind: 'none' } | { kind: 'max'; max: number } | { kind: 'any' } | { kind: 'exact'; n: number };
  subcommands?: CommandSpec[];
  /** A command that only groups subcommands (cobra SubCmdRunE). */
  groupOnly?: boolean;
}

export type FlagValue = string | boolean | number | string[];

export interface ParsedCommand {
  /** Command names from the root, e.g. ['kubeadm', 'init', 'phase', 'upload-certs']. */
  path: string[];
  spec: CommandSpec;
  /** Every known flag with its value (defaults included). */
  values: Map<string, FlagValue>;
  /** Flags given on the command line, in lexicographic order (pflag's Visit order). */
  changed: string[];
  args: string[];
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function defaultValue(f: FlagSpec): FlagValue {
  switch (f.type) {
    case 'bool':
      return f.default === 'true';
    case 'int':
      return f.default === undefined ? 0 : Number(f.default);
    case 'strings':
      return f.default ? f.default.split(',') : [];
    case 'duration':
      return f.default === undefined ? 0 : (parseGoDuration(f.default) ?? 0);
    default:
      return f.default ?? '';
  }
}

/** pflag parses a slice value as one CSV record. */
function splitCsv(v: string): string[] {
  if (v === '') return [];
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '"') {
      quoted = !quoted;
      continue;
    }
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

function parseGoBool(v: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return null;
}

function flagLabel(f: FlagSpec, viaShort: boolean): string {
  return viaShort && f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
}

function convert(f: FlagSpec, raw: string, viaShort: boolean): FlagValue {
  const label = flagLabel(f, viaShort);
  switch (f.type) {
    case 'bool': {
      const b = parseGoBool(raw);
      if (b === null) throw new UsageError(`invalid argument "${raw}" for "${label}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return b;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) throw new UsageError(`invalid argument "${raw}" for "${label}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      const n = Number(raw);
      if (n > 2147483647 || n < -2147483648)
        throw new UsageError(`invalid argument "${raw}" for "${label}" flag: strconv.ParseInt: parsing "${raw}": value out of range`);
      return n;
    }
    case 'duration': {
      const d = parseGoDuration(raw);
      if (d === null) throw new UsageError(`invalid argument "${raw}" for "${label}" flag: time: invalid duration "${raw}"`);
      return d;
    }
    default:
      return raw;
  }
}

/** All flags visible on a command: its own plus the persistent flags of itself and its ancestors. */
export function visibleFlags(chain: CommandSpec[]): FlagSpec[] {
  const out: FlagSpec[] = [];
  const seen = new Set<string>();
  const last = chain[chain.length - 1];
  const add = (f: FlagSpec): void => {
    if (!seen.has(f.name)) {
      seen.add(f.name);
      out.push(f);
    }
  };
  if (last) for (const f of last.flags) add(f);
  for (let i = chain.length - 1; i >= 0; i--) for (const f of chain[i]?.persistentFlags ?? []) add(f);
  return out;
}

function resolveChain(root: CommandSpec, argv: string[]): CommandSpec[] {
  const chain = [root];
  let cur = root;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a.startsWith('-') && a.length > 1) {
      // A long flag without '=' that takes a value swallows the next word (cobra's stripFlags).
      if (a.startsWith('--') && !a.includes('=')) {
        const f = visibleFlags(chain).find((x) => x.name === a.slice(2));
        if (f && f.type !== 'bool') i++;
      } else if (!a.startsWith('--') && a.length === 2) {
        const f = visibleFlags(chain).find((x) => x.short === a.slice(1));
        if (f && f.type !== 'bool') i++;
      }
      continue;
    }
    const sub = cur.subcommands?.find((c) => c.name === a);
    if (!sub) break;
    chain.push(sub);
    cur = sub;
  }
  return chain;
}

/**
 * Parses argv (without the program name) against the command tree. Throws UsageError with pflag's
 * or cobra's own message.
 */
export function parseCommandLine(root: CommandSpec, argv: string[]): ParsedCommand {
  const chain = resolveChain(root, argv);
  const spec = chain[chain.length - 1] as CommandSpec;
  const flags = visibleFlags(chain);
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short as string, f]));
  const values = new Map<string, FlagValue>(flags.map((f) => [f.name, defaultValue(f)]));
  const changed = new Set<string>();
  const positional: string[] = [];
  let help = false;

  const set = (f: FlagSpec, raw: string, viaShort: boolean): void => {
    const v = convert(f, raw, viaShort);
    if (f.type === 'strings') {
      const prev = changed.has(f.name) ? (values.get(f.name) as string[]) : [];
      values.set(f.name, [...prev, ...splitCsv(raw)]);
    } else {
      values.set(f.name, v);
    }
    changed.add(f.name);
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      if (name === 'help') {
        help = true;
        continue;
      }
      const f = byName.get(name);
      if (!f) throw new UsageError(`unknown flag: --${name}`);
      if (eq !== -1) set(f, a.slice(eq + 1), false);
      else if (f.type === 'bool') set(f, 'true', false);
      else {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        set(f, argv[++i] as string, false);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && a !== '-') {
      let rest = a.slice(1);
      while (rest.length > 0) {
        const c = rest[0] as string;
        if (c === 'h' && !byShort.has('h')) {
          help = true;
          rest = rest.slice(1);
          continue;
        }
        const f = byShort.get(c);
        if (!f) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
        if (rest.length > 1 && rest[1] === '=') {
          set(f, rest.slice(2), true);
          rest = '';
        } else if (f.type === 'bool') {
          set(f, 'true', true);
          rest = rest.slice(1);
        } else if (rest.length > 1) {
          set(f, rest.slice(1), true);
          rest = '';
        } else {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${c}' in -${c}`);
          set(f, argv[++i] as string, true);
          rest = '';
        }
      }
      continue;
    }
    positional.push(a);
  }

  // The words that selected the subcommand are not arguments.
  const args = positional.slice(chain.length - 1);
  const path = chain.map((c) => c.name);
  const parsed: ParsedCommand = { path, spec, values, changed: [...changed].sort(), args, help };
  if (help) return parsed;
  checkArgs(spec, path, args);
  return parsed;
}

function checkArgs(spec: CommandSpec, path: string[], args: string[]): void {
  if (spec.groupOnly) {
    // cmdutil.SubCmdRunE
    if (args.length === 0) throw new UsageError(`missing subcommand; ${JSON.stringify(spec.name)} is not meant to be run on its own`);
    throw new UsageError(`invalid subcommand: ${JSON.stringify(args[0])}`);
  }
  const rule = spec.args;
  if (rule.kind === 'none' && args.length > 0) {
    throw new UsageError(`unknown command ${JSON.stringify(args[0])} for ${JSON.stringify(path.join(' '))}`);
  }
  if (rule.kind === 'max' && args.length > rule.max) {
    throw new UsageError(`accepts at most ${rule.max} arg(s), received ${args.length}`);
  }
  if (rule.kind === 'exact' && args.length !== rule.n) {
    throw new UsageError(`accepts ${rule.n} arg(s), received ${args.length}`);
  }
}

/**
 * The flags kubeadm lets through next to --config (validation.isAllowedFlag, kubeadm v1.31):
 * everything else set on the command line is rejected, with --config itself allowed.
 */
export const ALLOWED_WITH_CONFIG: readonly string[] = [
  'config',
  'ignore-preflight-errors',
  'dry-run',
  'kubeconfig',
  'node-name',
  'kubeconfig-dir',
  'upload-certs',
  'print-join-command',
  'rootfs',
  'v',
  'log-file',
  'yes',
];

export function isAllowedWithConfig(flagName: string): boolean {
  return ALLOWED_WITH_CONFIG.includes(flagName) || flagName.startsWith('skip-');
}

/**
 * validation.ValidateMixedArguments: returns kubeadm's error text, or null when the mix is legal.
 * `changed` must be in pflag's Visit order (lexicographic), as ParsedCommand.changed is.
 */
export function validateMixedArguments(changed: readonly string[]): string | null {
  if (!changed.includes('config')) return null;
  const invalid = changed.filter((f) => !isAllowedWithConfig(f));
  if (invalid.length === 0) return null;
  return `can not mix '--config' with arguments [${invalid.join(' ')}]`;
}

/**
 * validation.ValidateIgnorePreflightErrors: lowercases, unions CLI and config lists, and rejects
 * 'all' mixed with individual checks.
 */
export function validateIgnorePreflightErrors(fromCli: readonly string[], fromConfig: readonly string[]): { set: Set<string>; error: string | null } {
  const set = new Set<string>();
  for (const s of fromConfig) set.add(s.toLowerCase());
  for (const s of fromCli) set.add(s.toLowerCase());
  if (set.has('all') && set.size > 1) {
    return {
      set,
      error: `ignore-preflight-errors: Invalid value: ${JSON.stringify([...set].sort().join(','))}: don't specify individual checks if 'all' is used`,
    };
  }
  return { set, error: null };
}

/** Renders cobra-style help for a command. */
export function renderHelp(chain: CommandSpec[]): string {
  const spec = chain[chain.length - 1] as CommandSpec;
  const prefix = chain
    .slice(0, -1)
    .map((c) => c.name)
    .join(' ');
  const full = (prefix ? prefix + ' ' : '') + spec.use;
  const lines: string[] = [spec.short, '', 'Usage:'];
  if (spec.groupOnly || spec.subcommands?.length) lines.push(`  ${(prefix ? prefix + ' ' : '') + spec.name} [command]`);
  if (!spec.groupOnly) lines.push(`  ${full}${spec.flags.length ? ' [flags]' : ''}`);
  if (spec.subcommands?.length) {
    lines.push('', 'Available Commands:');
    const w = Math.max(...spec.subcommands.map((c) => c.name.length));
    for (const c of spec.subcommands) lines.push(`  ${c.name.padEnd(w + 3)}${c.short}`);
  }
  const fmt = (fs: FlagSpec[]): string[] => {
    const rows = fs.map((f) => {
      const typeName = f.type === 'bool' ? '' : f.type === 'strings' ? ' strings' : f.type === 'int' ? ' int32' : ` ${f.type}`;
      const left = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${typeName}`;
      let def = '';
      if (f.default !== undefined && f.default !== '' && f.default !== 'false') {
        const shown =
          f.type === 'string'
            ? JSON.stringify(f.default)
            : f.type === 'strings'
              ? `[${f.default}]`
              : f.type === 'duration'
                ? formatGoDuration(parseGoDuration(f.default) ?? 0)
                : f.default;
        def = ` (default ${shown})`;
      }
      return { left, right: f.usage + def };
    });
    const w = Math.max(0, ...rows.map((r) => r.left.length));
    return rows.map((r) => `  ${r.left.padEnd(w)}   ${r.right}`);
  };
  const own = [...spec.flags, { name: 'help', short: 'h', type: 'bool' as const, usage: `help for ${spec.name}` }];
  lines.push('', 'Flags:', ...fmt(own));
  const inherited = visibleFlags(chain).filter((f) => !spec.flags.some((o) => o.name === f.name));
  if (inherited.length) lines.push('', 'Global Flags:', ...fmt(inherited));
  if (spec.subcommands?.length) lines.push('', `Use "${(prefix ? prefix + ' ' : '') + spec.name} [command] --help" for more information about a command.`);
  return lines.join('\n') + '\n';
}

/** The chain of specs for a parsed path (for help rendering). */
export function chainFor(root: CommandSpec, path: readonly string[]): CommandSpec[] {
  const chain = [root];
  let cur = root;
  for (const name of path.slice(1)) {
    const sub = cur.subcommands?.find((c) => c.name === name);
    if (!sub) break;
    chain.push(sub);
    cur = sub;
  }
  return chain;
}

export function getString(p: ParsedCommand, name: string): string {
  const v = p.values.get(name);
  return typeof v === 'string' ? v : '';
}

export function getBool(p: ParsedCommand, name: string): boolean {
  return p.values.get(name) === true;
}

export function getNumber(p: ParsedCommand, name: string): number {
  const v = p.values.get(name);
  return typeof v === 'number' ? v : 0;
}

export function getStrings(p: ParsedCommand, name: string): string[] {
  const v = p.values.get(name);
  return Array.isArray(v) ? v : [];
}

export function isChanged(p: ParsedCommand, name: string): boolean {
  return p.changed.includes(name);
}
