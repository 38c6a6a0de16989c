/** Removes what a crashed earlier run left behind: its namespaces (and their processes) and temp directories. */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IP, run } from './command.js';
import { checkPrefix, DEFAULT_LAB_PREFIX, parseLabName } from './names.js';
import { isAlive } from './proc.js';
import { teardownSync } from './teardown.js';

export interface StaleCleanupOptions {
  /** Where labs put their temp directories; default os.tmpdir(). */
  baseDir?: string;
  /** Also remove labs whose owner process is still alive. Default false: that would break a parallel run. */
  includeLive?: boolean;
}

export interface StaleCleanupReport {
  readonly namespaces: string[];
  readonly dirs: string[];
}

/** `ip netns list` prints `name` or `name (id: 3)`. */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run(IP, ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

export async function cleanupStaleLabs(prefix = DEFAULT_LAB_PREFIX, options: StaleCleanupOptions = {}): Promise<StaleCleanupReport> {
  checkPrefix(prefix);
  const stale = (name: string): boolean => {
    const id = parseLabName(prefix, name);
    return id !== undefined && (options.includeLive === true || (id.ownerPid !== process.pid && !isAlive(id.ownerPid)));
  };
  const namespaces = (await listNamespaces()).filter(stale);
  const baseDir = options.baseDir ?? tmpdir();
  let dirs: string[] = [];
  try {
    dirs = readdirSync(baseDir)
      .filter(stale)
      .map((d) => join(baseDir, d));
  } catch {
    dirs = [];
  }
  teardownSync({ namespaces, dirs, pids: () => [] });
  return { namespaces, dirs };
}
