/**
 * A long-running process inside a lab host: started through `ip netns exec`, optionally in its own mount
 * namespace with bind mounts (so a daemon sees a host root's files at their real paths) and its own pid
 * namespace under a minimal init (its death takes every process it started with it, as in a container).
 * Output goes to a log file, so it survives the test process.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { IP, pathWithSbin, systemTool } from './command.js';
import { childrenOf, descendantsOf, isAlive, signalQuietly, sleep } from './proc.js';

export interface BindMount {
  /** Path on the real filesystem, e.g. `<host root>/etc/keepalived`. */
  readonly source: string;
  /** Where the process sees it, e.g. `/etc/keepalived`. Must exist (on the real filesystem or inside an earlier bind). */
  readonly target: string;
  readonly readOnly?: boolean;
  /**
   * Instead of a bind: a writable overlay over `target` (lower), with `source`/upper and `source`/work as its upper and
   * work dirs, like a container image's writable layer. Mount points created in `source`/upper beforehand let later
   * binds land on paths that do not exist on this machine (`/etc/kubernetes/pki/etcd`).
   */
  readonly overlay?: boolean;
}

export interface LabSpawnOptions {
  /** Names the log file and appears in errors; default the command's basename. */
  name?: string;
  env?: Record<string, string>;
  /** Replace the environment instead of extending the test process's one. */
  cleanEnv?: boolean;
  cwd?: string;
  /** Applied in order inside a private mount namespace; later targets may lie inside earlier ones. */
  binds?: readonly BindMount[];
  /**
   * Run in a new pid namespace with its own /proc, under a minimal init that records its exit status: the
   * container model (when the command dies, everything it started dies with it).
   */
  pidNamespace?: boolean;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LabProcess {
  readonly host: string;
  readonly name: string;
  /** The pid we spawned (`ip`, which execs into unshare, sh and the command). */
  readonly spawnedPid: number;
  readonly logPath: string;
  readonly exited: Promise<ExitInfo>;
  /** Set once the process has exited. */
  exitInfo(): ExitInfo | undefined;
  running(): boolean;
  /** The command's own pid on the host: the spawned pid, or in a pid namespace the command under the namespace's init. */
  mainPid(): Promise<number | undefined>;
  /** Sends a signal to the command itself (not to a wrapper). */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** `signal` (default SIGTERM), then after `graceMs` (default 5000) SIGKILL to the command and all its descendants. */
  stop(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ExitInfo>;
  readLog(): string;
}

/**
 * Inside the mount namespace: bind each (source, target, ro|rw) triple, then run the command. `set -e` makes a
 * bind that fails (missing target) end the process with mount's message in the log instead of running on the
 * real paths. In pid-namespace mode the shell stays as pid 1, like a container's init, and exits with the
 * command's status (128+n when killed by signal n: unshare does not pass a child's death by signal on
 * faithfully, but it does pass an exit code); when it exits the kernel kills whatever the command left in the
 * namespace. Otherwise it execs the command.
 */
const BIND_LAUNCHER = `set -eu
mode=$1
shift
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  if [ "$3" = overlay ]; then
    mount -t overlay overlay -o "lowerdir=$2,upperdir=$1/upper,workdir=$1/work" "$2"
  else
    mount --bind "$1" "$2"
    if [ "$3" = ro ]; then mount -o remount,bind,ro "$2"; fi
  fi
  shift 3
done
shift
if [ "$mode" = exec ]; then exec "$@"; fi
set +e
"$@" &
wait $!
exit $?`;

export function wrappedArgv(netns: string, cmd: string, args: readonly string[], opts: LabSpawnOptions): string[] {
  const argv = [IP, 'netns', 'exec', netns];
  const binds = opts.binds ?? [];
  if (binds.length > 0 || opts.pidNamespace) {
    argv.push(systemTool('unshare'), '--mount', '--propagation', 'private');
    if (opts.pidNamespace) argv.push('--pid', '--fork', '--kill-child=SIGKILL', '--mount-proc');
    argv.push('--', '/bin/sh', '-c', BIND_LAUNCHER, 'bind-launcher', opts.pidNamespace ? 'init' : 'exec');
    for (const b of binds) argv.push(b.source, b.target, b.overlay ? 'overlay' : b.readOnly ? 'ro' : 'rw');
    argv.push('--');
  }
  argv.push(cmd, ...args);
  return argv;
}

/** An exit status as a shell reports it: 128+n means killed by signal n. */
function fromShellStatus(n: number): ExitInfo {
  if (n > 128 && n < 128 + 65) {
    const name = Object.entries(constants.signals).find(([, v]) => v === n - 128)?.[0];
    if (name) return { code: null, signal: name as NodeJS.Signals };
  }
  return { code: n, signal: null };
}

export function spawnLabProcess(host: string, netns: string, logPath: string, cmd: string, args: readonly string[], opts: LabSpawnOptions = {}): LabProcess {
  const name = opts.name ?? cmd.split('/').pop() ?? cmd;
  const [file, ...argv] = wrappedArgv(netns, cmd, args, opts);
  const fd = openSync(logPath, 'a');
  const env = { ...(opts.cleanEnv ? {} : process.env), PATH: pathWithSbin(opts.env?.PATH ?? process.env.PATH), ...opts.env };
  const child = spawn(file!, argv, { stdio: ['ignore', fd, fd], env, cwd: opts.cwd, detached: true });
  closeSync(fd);
  child.unref();
  let exit: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = opts.pidNamespace && code !== null ? fromShellStatus(code) : { code, signal };
      resolve(exit);
    });
    child.once('error', () => {
      exit = { code: null, signal: null };
      resolve(exit);
    });
  });
  const spawnedPid = child.pid ?? -1;

  let main: number | undefined = opts.pidNamespace ? undefined : spawnedPid;
  // What the kernel shows as the command's name: the file's basename, cut to 15 characters.
  const commName = (cmd.split('/').pop() ?? cmd).slice(0, 15);
  const mainPid = async (): Promise<number | undefined> => {
    // unshare forks the namespace's pid 1 (the launcher shell), which mounts and then forks the command.
    for (let i = 0; main === undefined && i < 250 && !exit; i++) {
      // The init's first children are the mount commands; the command is the child with its name.
      const init = childrenOf(spawnedPid)[0]?.pid;
      main = init === undefined ? undefined : childrenOf(init).find((c) => c.comm === commName)?.pid;
      if (main === undefined) await sleep(20);
    }
    return exit ? undefined : main;
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const pid = await mainPid();
    if (pid !== undefined) signalQuietly(pid, sig);
  };

  const stop = async (o: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<ExitInfo> => {
    if (exit) return exit;
    const pid = await mainPid();
    if (pid !== undefined) signalQuietly(pid, o.signal ?? 'SIGTERM');
    const timer = sleep(o.graceMs ?? 5000).then(() => undefined);
    const done = await Promise.race([exited, timer]);
    if (done) return done;
    const root = pid ?? spawnedPid;
    for (const p of [...descendantsOf(root).map((d) => d.pid), root, spawnedPid]) signalQuietly(p, 'SIGKILL');
    return exited;
  };

  return {
    host,
    name,
    spawnedPid,
    logPath,
    exited,
    exitInfo: () => exit,
    running: () => !exit && isAlive(spawnedPid),
    mainPid,
    signal,
    stop,
    readLog: () => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    },
  };
}
