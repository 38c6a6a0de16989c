/**
 * `systemctl` for a lab host: the grammar an agent uses (start/stop/restart/reload/try-restart/reload-or-restart,
 * is-active/is-enabled/is-failed/status, enable/disable [--now], daemon-reload, reset-failed), answered by the
 * stand-in's units with systemctl's output and exit codes. A stub script on the agent's PATH forwards its argv
 * over a unix socket to the test process.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export interface SystemctlResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a unit must answer to; units the stand-in does not run are "not found". */
export interface SystemctlUnit {
  start(): Promise<SystemctlResult>;
  stop(): Promise<SystemctlResult>;
  restart(): Promise<SystemctlResult>;
  reload(): Promise<SystemctlResult>;
  activeState(): 'inactive' | 'activating' | 'active' | 'deactivating' | 'failed';
  isEnabled(): boolean;
  setEnabled(enabled: boolean): void;
  resetFailed?(): void;
  describe?(): string;
}

export type UnitLookup = (name: string) => SystemctlUnit | undefined;

const VERBS = new Set([
  'start',
  'stop',
  'restart',
  'reload',
  'try-restart',
  'reload-or-restart',
  'is-active',
  'is-enabled',
  'is-failed',
  'status',
  'enable',
  'disable',
  'daemon-reload',
  'reset-failed',
  'mask',
  'unmask',
]);
const IGNORED_FLAGS = new Set(['--no-block', '--no-pager', '--no-legend', '--no-ask-password', '--system', '-l', '--full', '--plain', '--no-reload']);

function unitName(arg: string): string {
  return arg.endsWith('.service') ? arg.slice(0, -'.service'.length) : arg;
}

function combine(results: SystemctlResult[]): SystemctlResult {
  return {
    exitCode: results.find((r) => r.exitCode !== 0)?.exitCode ?? 0,
    stdout: results.map((r) => r.stdout).join(''),
    stderr: results.map((r) => r.stderr).join(''),
  };
}

export async function runSystemctl(argv: readonly string[], lookup: UnitLookup): Promise<SystemctlResult> {
  let quiet = false;
  let now = false;
  const positional: string[] = [];
  for (const arg of argv) {
    if (arg === '-q' || arg === '--quiet') quiet = true;
    else if (arg === '--now') now = true;
    else if (IGNORED_FLAGS.has(arg)) continue;
    else if (arg.startsWith('-')) return { exitCode: 1, stdout: '', stderr: `systemctl: unrecognized option '${arg}'\n` };
    else positional.push(arg);
  }
  const [verb, ...units] = positional;
  if (!verb) return { exitCode: 1, stdout: '', stderr: 'systemctl (stand-in): a verb is required\n' };
  if (!VERBS.has(verb)) return { exitCode: 1, stdout: '', stderr: `Unknown command verb ${verb}.\n` };
  if (verb === 'daemon-reload') return { exitCode: 0, stdout: '', stderr: '' };
  if (units.length === 0) return { exitCode: 1, stdout: '', stderr: `Too few arguments.\n` };

  const results: SystemctlResult[] = [];
  for (const raw of units) {
    const name = unitName(raw);
    const unit = lookup(name);
    const say = (text: string): string => (quiet ? '' : text);
    if (!unit) {
      if (verb === 'is-active' || verb === 'is-failed') results.push({ exitCode: 4, stdout: say('inactive\n'), stderr: '' });
      else if (verb === 'status') results.push({ exitCode: 4, stdout: '', stderr: `Unit ${name}.service could not be found.\n` });
      else results.push({ exitCode: 5, stdout: '', stderr: `Failed to ${verb} ${name}.service: Unit ${name}.service not found.\n` });
      continue;
    }
    switch (verb) {
      case 'start':
        results.push(await unit.start());
        break;
      case 'stop':
        results.push(await unit.stop());
        break;
      case 'restart':
      case 'reload-or-restart':
        results.push(verb === 'reload-or-restart' && unit.activeState() === 'active' ? await unit.reload() : await unit.restart());
        break;
      case 'try-restart':
        results.push(unit.activeState() === 'active' ? await unit.restart() : { exitCode: 0, stdout: '', stderr: '' });
        break;
      case 'reload':
        results.push(await unit.reload());
        break;
      case 'is-active': {
        const state = unit.activeState();
        results.push({ exitCode: state === 'active' ? 0 : 3, stdout: say(`${state}\n`), stderr: '' });
        break;
      }
      case 'is-failed': {
        const state = unit.activeState();
        results.push({ exitCode: state === 'failed' ? 0 : 1, stdout: say(`${state}\n`), stderr: '' });
        break;
      }
      case 'is-enabled':
        results.push({ exitCode: unit.isEnabled() ? 0 : 1, stdout: say(unit.isEnabled() ? 'enabled\n' : 'disabled\n'), stderr: '' });
        break;
      case 'enable':
      case 'disable': {
        const enable = verb === 'enable';
        const changed = unit.isEnabled() !== enable;
        unit.setEnabled(enable);
        const link = `/etc/systemd/system/multi-user.target.wants/${name}.service`;
        const note = changed && !quiet ? (enable ? `Created symlink ${link} → /lib/systemd/system/${name}.service.\n` : `Removed "${link}".\n`) : '';
        const follow = now ? (enable ? await unit.start() : await unit.stop()) : { exitCode: 0, stdout: '', stderr: '' };
        results.push({ exitCode: follow.exitCode, stdout: follow.stdout, stderr: note + follow.stderr });
        break;
      }
      case 'status': {
        const state = unit.activeState();
        const head = `● ${name}.service\n     Loaded: loaded (/lib/systemd/system/${name}.service; ${unit.isEnabled() ? 'enabled' : 'disabled'})\n     Active: ${state}\n`;
        results.push({ exitCode: state === 'active' ? 0 : 3, stdout: say(head + (unit.describe?.() ?? '')), stderr: '' });
        break;
      }
      case 'reset-failed':
        unit.resetFailed?.();
        results.push({ exitCode: 0, stdout: '', stderr: '' });
        break;
      default:
        // mask/unmask: accepted and remembered by nobody; the product does not rely on them.
        results.push({ exitCode: 0, stdout: '', stderr: '' });
    }
  }
  return combine(results);
}

/** The stub: plain CommonJS run by this very node binary, so the agent's PATH needs nothing else. */
/** What each forwarded tool prints when the test process does not answer, as the real tool does without its daemon. */
const UNREACHABLE: Record<string, string> = {
  systemctl: "'System has not been booted with systemd as init system (PID 1). Can\\'t operate.\\nFailed to connect to bus: ' + e.message + '\\n'",
  crictl:
    "'time=\"' + new Date().toISOString() + '\" level=fatal msg=\"validate service connection: validate CRI v1 runtime API: rpc error: code = Unavailable desc = connection error: ' + e.message + '\"\\n'",
};

function stubScript(socketPath: string, host: string, tool: 'systemctl' | 'crictl'): string {
  return `#!${process.execPath}
// ${tool} of lab host ${host}: forwards to the kubelet/systemd stand-in of the test process (${socketPath}).
const http = require('node:http');
const req = http.request({ socketPath: ${JSON.stringify(socketPath)}, path: '/${tool}', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c) => { body += c; });
  res.on('end', () => {
    const r = JSON.parse(body);
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exitCode = r.exitCode;
  });
});
req.on('error', (e) => {
  process.stderr.write(${UNREACHABLE[tool]});
  process.exitCode = 1;
});
req.end(JSON.stringify({ argv: process.argv.slice(2) }));
`;
}

export interface SystemctlEndpoint {
  /** Directory holding the `systemctl` (and `crictl`) stubs; put it first on the agent's PATH. */
  readonly binDir: string;
  readonly socketPath: string;
  close(): Promise<void>;
}

/** `crictl` answered from the stand-in's pods; without it the endpoint serves systemctl only. */
export type CrictlRunner = (argv: readonly string[]) => SystemctlResult;

export async function serveSystemctl(dir: string, host: string, lookup: UnitLookup, crictl?: CrictlRunner): Promise<SystemctlEndpoint> {
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true, mode: 0o755 });
  const socketPath = join(dir, 'systemctl.sock');
  rmSync(socketPath, { force: true });
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const reply = (r: SystemctlResult): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r));
      };
      let argv: string[];
      try {
        argv = (JSON.parse(body) as { argv: string[] }).argv;
      } catch {
        reply({ exitCode: 1, stdout: '', stderr: 'systemctl stand-in: bad request\n' });
        return;
      }
      if (req.url === '/crictl' && crictl) {
        reply(crictl(argv));
        return;
      }
      runSystemctl(argv, lookup).then(reply, (err: Error) => reply({ exitCode: 1, stdout: '', stderr: `systemctl stand-in: ${err.message}\n` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  const stub = join(binDir, 'systemctl');
  writeFileSync(stub, stubScript(socketPath, host, 'systemctl'), { mode: 0o755 });
  if (crictl) writeFileSync(join(binDir, 'crictl'), stubScript(socketPath, host, 'crictl'), { mode: 0o755 });
  return {
    binDir,
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
