/** What /proc says about processes: liveness, parentage and names. Linux only, like everything in the lab. */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** Clock ticks since boot: with the pid, identifies a process across pid reuse. */
  readonly startTime: number;
}

/** `/proc/<pid>/stat`; the comm field may hold spaces and parentheses, so it is cut at the last `)`. */
export function procInfo(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is the state, rest[1] the ppid, rest[19] the start time (fields 3, 4 and 22 of stat).
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  return { pid, ppid: Number(rest[1]), comm: text.slice(open + 1, close), startTime: Number(rest[19]) };
}

export function isAlive(pid: number): boolean {
  return procInfo(pid) !== undefined;
}

export function allProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = procInfo(Number(entry));
    if (info) out.push(info);
  }
  return out;
}

/** Every live descendant of `pid`, parents before children. */
export function descendantsOf(pid: number): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of allProcesses()) {
    const siblings = byParent.get(p.ppid) ?? [];
    siblings.push(p);
    byParent.set(p.ppid, siblings);
  }
  const out: ProcInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

export function childrenOf(pid: number): ProcInfo[] {
  return allProcesses().filter((p) => p.ppid === pid);
}

/** Signals a process, ignoring one that is already gone. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
