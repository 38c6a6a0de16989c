/**
 * The agent's journal of running tasks, `tasks-running.json` in its state dir (0600, written atomically): a task is
 * recorded before its handler starts and removed once it answered. An entry still there when the agent starts is a
 * task that was killed with the agent (SIGKILL after TimeoutStopSec, a crash, a power loss): the agent logs it and
 * tells the coordinator in Hello. Only the agent writes it; it names task kinds and ids, never arguments or secrets.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeUnfinished, parseJournal, type JournalEntry } from '../core/agent-stop.js';
import { readFileIfExists, writeFileAtomic } from '../lib/fs.js';

export const TASK_JOURNAL_FILE = 'tasks-running.json';

export class TaskJournal {
  private readonly path: string;
  private readonly entries = new Map<string, JournalEntry>();
  /** Writes one after another, so an older list never lands after a newer one. */
  private writes: Promise<void> = Promise.resolve();
  /**
   * The write queued behind the one in flight, not started yet: it takes its snapshot when it starts, so every change
   * made meanwhile rides on it instead of queuing a write of its own (a hundred tasks at once were 200 writes in a row).
   */
  private queued: Promise<void> | undefined;

  constructor(stateDir: string) {
    this.path = join(stateDir, TASK_JOURNAL_FILE);
  }

  /** What an earlier run left ('' when nothing), and forgets it: it is reported once, by this start. */
  async takeLeftover(): Promise<string> {
    const text = await readFileIfExists(this.path);
    if (text === undefined) return '';
    await rm(this.path, { force: true });
    const entries = parseJournal(text);
    return entries.length > 0 ? describeUnfinished(entries) : '';
  }

  /** Rejects when the write failed: the task is then not started, so its entry goes too (no later list names it). */
  async started(taskId: string, kind: string): Promise<void> {
    this.entries.set(taskId, { taskId, kind, startedAt: new Date().toISOString() });
    try {
      await this.flush();
    } catch (err) {
      this.entries.delete(taskId);
      throw err;
    }
  }

  finished(taskId: string): Promise<void> {
    this.entries.delete(taskId);
    return this.flush();
  }

  private flush(): Promise<void> {
    if (this.queued) return this.queued;
    const write = async () => {
      this.queued = undefined;
      const snapshot = [...this.entries.values()];
      if (snapshot.length === 0) await rm(this.path, { force: true });
      else await writeFileAtomic(this.path, `${JSON.stringify(snapshot)}\n`, 0o600);
    };
    const next = this.writes.then(write, write);
    this.queued = next;
    this.writes = next;
    return next;
  }
}
