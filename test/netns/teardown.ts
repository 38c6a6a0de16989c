/**
 * The last line of defence: a lab whose test crashed, or whose process is interrupted, still takes its
 * namespaces, processes and temp directories with it. Everything here is synchronous because an 'exit'
 * handler cannot wait; `lab.destroy()` is the normal, graceful path and unregisters the lab.
 */
import { rmSync } from 'node:fs';
import { IP, runSyncQuiet } from './command.js';
import { signalQuietly } from './proc.js';

export interface TeardownTarget {
  readonly namespaces: readonly string[];
  readonly dirs: readonly string[];
  /** Pids started by the lab that may have left their namespace (none normally; kept for completeness). */
  readonly pids: () => readonly number[];
}

const live = new Set<TeardownTarget>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let exitHookInstalled = false;

/** Kills every process in the namespaces (SIGKILL: there is no time for grace), deletes them and the dirs. */
export function teardownSync(target: TeardownTarget): void {
  for (const pid of target.pids()) signalQuietly(pid, 'SIGKILL');
  for (const ns of target.namespaces) {
    const pids = runSyncQuiet(IP, ['netns', 'pids', ns]) ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean)) signalQuietly(Number(pid), 'SIGKILL');
  }
  for (const ns of target.namespaces) runSyncQuiet(IP, ['netns', 'del', ns]);
  for (const dir of target.dirs) rmSync(dir, { recursive: true, force: true });
}

function teardownAll(): void {
  for (const target of [...live]) {
    teardownSync(target);
    live.delete(target);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  teardownAll();
  // Let the signal do what it would have done without us, unless someone else also listens for it.
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

export function registerForTeardown(target: TeardownTarget): void {
  if (!exitHookInstalled) {
    process.on('exit', teardownAll);
    exitHookInstalled = true;
  }
  if (live.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  live.add(target);
}

export function unregisterFromTeardown(target: TeardownTarget): void {
  live.delete(target);
  if (live.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
}
