/**
 * When a started daemon is actually working. keepalived and haproxy: both fork after their configuration parsed (keepalived
 * its VRRP/checker children, haproxy -W its worker), so a live main process with a live child is the signal. A
 * configuration error ends the main process before that.
 */
import { readFileSync } from 'node:fs';
import { childrenOf, isAlive, sleep } from '../netns/proc.js';

export async function waitForChildProcess(mainPid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(mainPid)) return false;
    if (childrenOf(mainPid).length > 0) return true;
    await sleep(25);
  }
  return false;
}

/** True when a TCP socket in the process's network namespace listens on `port` (from /proc/<pid>/net/tcp{,6}). */
export function listensOn(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') return true;
    }
  }
  return false;
}

/** A daemon that does not fork (etcd) is working once it listens on its probe port. */
export async function waitForListener(mainPid: number, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(mainPid)) return false;
    if (listensOn(mainPid, port)) return true;
    await sleep(25);
  }
  return false;
}
