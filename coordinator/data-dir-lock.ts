/**
 * One coordinator per data directory. Two would both supervise a nats-server on the same JetStream store, overwrite
 * each other's config and fight over ports; the second must exit at once, naming the one that holds the directory.
 *
 * Node has no flock(2), and a native addon for one system call is a dependency to maintain on every architecture we
 * ship. A pid file created with O_EXCL does the same job here: it names the holder by pid and by the start time the
 * kernel gives that process (/proc/<pid>/stat), so a file left by a coordinator that was SIGKILLed, or by one that ran
 * before a reboot whose pid now belongs to another process, is recognised as stale and taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PreconditionError } from '../core/errors.js';

export const LOCK_FILE = 'coordinator.pid';

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** The kernel's start time of `pid` (clock ticks since boot), or undefined when it does not run (or no /proc). */
async function startTimeOf(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: the fields after it start after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function parseHolder(text: string): { pid: number; startTime: string } | undefined {
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 && startTime ? { pid, startTime } : undefined;
}

export async function lockDataDir(dataDir: string, pid: number = process.pid): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  const ours = `${pid} ${(await startTimeOf(pid)) ?? '?'}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(ours);
      } finally {
        await handle.close();
      }
      return {
        path,
        async release() {
          if ((await readFile(path, 'utf8').catch(() => '')) === ours) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(path, 'utf8').catch(() => '');
    const holder = parseHolder(text);
    if (holder && (await startTimeOf(holder.pid)) === holder.startTime) {
      throw new PreconditionError(
        `${dataDir} is in use by the kubeadm-ha-coordinator with pid ${holder.pid}; stop it first (systemctl stop kubeadm-ha-coordinator), or start this one with another --data-dir`,
      );
    }
    // Stale (its process is gone) or half-written: removed only if it still says what was read, then try again.
    if ((await readFile(path, 'utf8').catch(() => undefined)) === text) await rm(path, { force: true });
  }
  throw new PreconditionError(`cannot take the lock ${path}: other coordinators keep starting on ${dataDir}`);
}
