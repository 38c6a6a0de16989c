/**
 * How an agent stops without cutting the work it runs. systemd (KillMode=mixed) sends SIGTERM to the agent alone; the
 * agent then takes no new task, waits for the tasks that must not be cut, aborts the others, sends their results and
 * only then closes its session. The unit's TimeoutStopSec must cover the longest wait (packaging/units.test.ts
 * checks it against these numbers).
 */
/**
 * Task kinds (proto Task.kind) that, cut half-way, would leave the host in a state only `kubeadm reset` repairs: a join with kubelet.conf written but no
 * etcd member, an init without its bootstrap tokens, a reset that removed the etcd member but not the manifests; or
 * one that needs hand repair: an upgrade with some static pods at the new version and some at the old, a dpkg or
 * rpm transaction cut in the middle (`dpkg --configure -a`).
 */
export const UNCUT_TASKS: ReadonlySet<string> = new Set(['kubeadmInit', 'kubeadmJoin', 'kubeadmReset', 'kubeadmUpgrade', 'installPackages']);

/**
 * The longest a stopping agent waits for an uncut task: the coordinator's init and join timeouts (15 min each,
 * coordinator/workflow/ports.ts DEFAULT_TIMEOUTS), which the task carries and the agent enforces itself. A task sent
 * without a timeout, or with a longer one, is aborted after this much.
 */
export const MAX_STOP_WAIT_MS = 15 * 60_000;

/** What a stopping agent does with a running task: wait for it, or abort it now. */
export function stopDisposition(kind: string | undefined): 'wait' | 'abort' {
  return kind !== undefined && UNCUT_TASKS.has(kind) ? 'wait' : 'abort';
}

/** The agent's journal of started tasks (in its state dir): one line per task, written before it runs. */
export interface JournalEntry {
  readonly taskId: string;
  readonly kind: string;
  readonly startedAt: string;
}

/** How Hello and the agent's log name a task that was never finished. */
export function describeUnfinished(entries: readonly JournalEntry[]): string {
  return entries.map((e) => `${e.kind} (${e.taskId}), started ${e.startedAt}`).join('; ');
}

/** Reads the journal's JSON; a damaged one (a crash mid-write cannot happen, it is written atomically) counts as one unknown task. */
export function parseJournal(text: string): JournalEntry[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error('not a list');
    return parsed.map((e: Partial<JournalEntry>) => ({ taskId: String(e.taskId ?? '?'), kind: String(e.kind ?? '?'), startedAt: String(e.startedAt ?? '?') }));
  } catch {
    return [{ taskId: '?', kind: 'unknown (damaged journal)', startedAt: '?' }];
  }
}
