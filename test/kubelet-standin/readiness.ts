/**
 * When a started keepalived or haproxy is actually working: both fork after their configuration parsed (keepalived
 * its VRRP/checker children, haproxy -W its worker), so a live main process with a live child is the signal. A
 * configuration error ends the main process before that.
 */
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
