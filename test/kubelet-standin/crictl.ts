/**
 * `crictl` for a lab host, answered from the kubelet stand-in's static pods: the part of cri-tools' grammar an agent
 * uses (`[--runtime-endpoint|-r E] [--timeout|-t D] ps [-q] [-a] [--state|-s S] [--name RE] [--label K=V]...
 * [--namespace RE]`), with its output (`-q`: full 64-hex ids, one per line; else a table) and its usage errors.
 * A container runs while its daemon's process lives; a terminating pod's container runs until the process exits.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SystemctlResult } from './systemctl.js';

export interface CrictlContainer {
  /** Container name from the manifest (`haproxy`). */
  readonly name: string;
  /** The pod as kubelet names a static pod: `<metadata.name>-<node name>`. */
  readonly podName: string;
  readonly namespace: string;
  readonly running: boolean;
  /** Distinguishes restarts: a new process is a new container. */
  readonly instance: string;
  /** Set once it exited. */
  readonly exitCode?: number;
  /** What it printed (stdout and stderr together), for `crictl logs`. */
  readonly logPath?: string;
}

const STATES = new Set(['created', 'running', 'exited', 'unknown']);

function usage(message: string): SystemctlResult {
  return { exitCode: 1, stdout: '', stderr: `Incorrect Usage: ${message}\n\nNAME:\n   crictl ps - List containers\n` };
}

export function containerId(c: CrictlContainer): string {
  return createHash('sha256').update(`${c.namespace}/${c.podName}/${c.name}/${c.instance}`).digest('hex');
}

export function runCrictl(argv: readonly string[], containers: readonly CrictlContainer[]): SystemctlResult {
  const args = [...argv];
  const value = (flag: string): string | undefined => {
    const eq = flag.indexOf('=');
    if (eq > 0) return flag.slice(eq + 1);
    return args.shift();
  };
  // Global options, then the command.
  let command: string | undefined;
  while (args.length > 0) {
    const a = args.shift()!;
    const name = a.split('=')[0]!;
    if (['--runtime-endpoint', '-r', '--image-endpoint', '-i', '--timeout', '-t', '--config', '-c'].includes(name)) {
      if (value(a) === undefined) return usage(`flag needs an argument: ${name}`);
    } else if (name === '--debug' || name === '-D') {
      // accepted, no effect
    } else if (a.startsWith('-')) {
      return usage(`flag provided but not defined: ${name}`);
    } else {
      command = a;
      break;
    }
  }
  if (command === 'inspect' || command === 'logs') return inspectOrLogs(command, args, containers);
  if (command !== 'ps')
    return { exitCode: 1, stdout: '', stderr: `crictl stand-in: only ps, inspect and logs are simulated, got ${JSON.stringify(command ?? '')}\n` };
  let quiet = false;
  let all = false;
  let state: string | undefined;
  let nameRe: RegExp | undefined;
  let namespaceRe: RegExp | undefined;
  const labels: [string, string][] = [];
  while (args.length > 0) {
    const a = args.shift()!;
    const name = a.split('=')[0]!;
    if (name === '-q' || name === '--quiet') quiet = true;
    else if (name === '-a' || name === '--all') all = true;
    else if (['--state', '-s', '--name', '--label', '--namespace'].includes(name)) {
      const v = value(a);
      if (v === undefined) return usage(`flag needs an argument: ${name}`);
      try {
        if (name === '--name') nameRe = new RegExp(v);
        else if (name === '--namespace') namespaceRe = new RegExp(v);
        else if (name === '--label') {
          const eq = v.indexOf('=');
          if (eq <= 0) return { exitCode: 1, stdout: '', stderr: `crictl: incorrectly specified label: ${v}\n` };
          labels.push([v.slice(0, eq), v.slice(eq + 1)]);
        } else {
          if (!STATES.has(v.toLowerCase())) return { exitCode: 1, stdout: '', stderr: `crictl: state should be one of created, running, exited, unknown\n` };
          state = v.toLowerCase();
        }
      } catch (err) {
        return { exitCode: 1, stdout: '', stderr: `crictl: ${(err as Error).message}\n` };
      }
    } else return usage(`flag provided but not defined: ${name}`);
  }
  const wantState = state ?? (all ? undefined : 'running');
  const matching = containers.filter((c) => {
    const cState = c.running ? 'running' : 'exited';
    const cLabels: Record<string, string> = {
      'io.kubernetes.pod.namespace': c.namespace,
      'io.kubernetes.pod.name': c.podName,
      'io.kubernetes.container.name': c.name,
    };
    return (
      (!wantState || cState === wantState) &&
      (!nameRe || nameRe.test(c.name)) &&
      (!namespaceRe || namespaceRe.test(c.namespace)) &&
      labels.every(([k, v]) => cLabels[k] === v)
    );
  });
  if (quiet) return { exitCode: 0, stdout: matching.map((c) => `${containerId(c)}\n`).join(''), stderr: '' };
  const rows = matching.map((c) => [containerId(c).slice(0, 13), c.running ? 'Running' : 'Exited', c.name, c.podName].join('\t'));
  return { exitCode: 0, stdout: ['CONTAINER\tSTATE\tNAME\tPOD', ...rows].join('\n') + '\n', stderr: '' };
}

/**
 * `crictl inspect [-o json] ID` (the CRI ContainerStatus as JSON: `status.state`, `status.exitCode`) and `crictl logs
 * [--tail N] ID`. An unknown id is cri-tools' NotFound error.
 */
function inspectOrLogs(command: 'inspect' | 'logs', args: string[], containers: readonly CrictlContainer[]): SystemctlResult {
  let tail = -1;
  const ids: string[] = [];
  while (args.length > 0) {
    const a = args.shift()!;
    const [name, inline] = a.split('=', 2) as [string, string | undefined];
    if (command === 'inspect' && (name === '-o' || name === '--output')) {
      const v = inline ?? args.shift();
      if (v !== 'json') return { exitCode: 1, stdout: '', stderr: `crictl: the stand-in prints only -o json, not ${JSON.stringify(v)}\n` };
    } else if (command === 'logs' && name === '--tail') {
      const v = Number(inline ?? args.shift());
      if (!Number.isInteger(v)) return { exitCode: 1, stdout: '', stderr: 'crictl: invalid value for --tail\n' };
      tail = v;
    } else if (a.startsWith('-')) return usage(`flag provided but not defined: ${name}`);
    else ids.push(a);
  }
  if (ids.length !== 1) return { exitCode: 1, stdout: '', stderr: `crictl: ID cannot be empty\n` };
  const c = containers.find((x) => containerId(x).startsWith(ids[0]!));
  if (!c)
    return {
      exitCode: 1,
      stdout: '',
      stderr: `crictl: rpc error: code = NotFound desc = an error occurred when try to find container "${ids[0]}": not found\n`,
    };
  if (command === 'inspect') {
    const status = {
      id: containerId(c),
      metadata: { name: c.name },
      state: c.running ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED',
      exitCode: c.running ? 0 : (c.exitCode ?? 0),
    };
    return { exitCode: 0, stdout: `${JSON.stringify({ status }, null, 2)}\n`, stderr: '' };
  }
  let text = '';
  try {
    text = c.logPath ? readFileSync(c.logPath, 'utf8') : '';
  } catch {
    text = '';
  }
  const lines = text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  return { exitCode: 0, stdout: `${(tail >= 0 ? lines.slice(-tail) : lines).join('\n')}\n`, stderr: '' };
}
