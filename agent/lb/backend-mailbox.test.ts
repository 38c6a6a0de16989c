import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendSet } from '../../core/backend-set.js';
import { silentLogger } from '../../lib/log.js';
import { createBackendSetMailbox, type BackendSetMailbox, type BackendSetMailboxOptions } from './backend-mailbox.js';

const set = (version: number): BackendSet => ({ cluster: 'prod', version, backends: [] });

/** A deliver that records each call and finishes only when the test says so. */
class Recorder {
  readonly calls: { version: number; signal: AbortSignal }[] = [];
  private readonly gates = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private failures = new Map<number, number>();

  /** The next `count` deliveries of `version` throw. */
  failNext(version: number, count: number): void {
    this.failures.set(version, count);
  }

  /** Deliveries of `version` wait for {@link release}. */
  hold(version: number): void {
    this.gates.set(version, { resolve: () => undefined, reject: () => undefined });
  }

  release(version: number): void {
    const gate = this.gates.get(version);
    this.gates.delete(version);
    gate?.resolve();
  }

  deliver = async (s: BackendSet, signal: AbortSignal): Promise<string> => {
    this.calls.push({ version: s.version, signal });
    if (this.gates.has(s.version)) {
      await new Promise<void>((resolve, reject) => this.gates.set(s.version, { resolve, reject }));
    }
    const left = this.failures.get(s.version) ?? 0;
    if (left > 0) {
      this.failures.set(s.version, left - 1);
      throw new Error(`haproxy -c failed for ${s.version}`);
    }
    return `applied ${s.version}`;
  };

  get versions(): number[] {
    return this.calls.map((c) => c.version);
  }
}

const open: BackendSetMailbox<string>[] = [];

function mailbox(recorder: Recorder, extra: Partial<BackendSetMailboxOptions<string>> = {}): BackendSetMailbox<string> {
  const m = createBackendSetMailbox<string>({ deliver: recorder.deliver, logger: silentLogger, backoff: { initialMs: 20, maxMs: 40 }, ...extra });
  open.push(m);
  return m;
}

async function until(what: string, probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

afterEach(async () => {
  for (const m of open.splice(0)) await m.close();
});

describe('backend-set mailbox', () => {
  it('delivers one set at a time, and of the sets offered meanwhile only the newest', async () => {
    const r = new Recorder();
    const m = mailbox(r);
    r.hold(1);
    const first = m.offer(set(1));
    const skipped = [m.offer(set(2)), m.offer(set(3))];
    const newest = m.offer(set(4));
    expect(r.versions).toEqual([1]);
    r.release(1);
    expect(await first).toBe('applied 1');
    expect(await Promise.all(skipped)).toEqual(['stale', 'stale']);
    expect(await newest).toBe('applied 4');
    expect(r.versions).toEqual([1, 4]);
    expect(m.lastDelivered()).toBe(4);
  });

  it('ignores versions older than, or equal to, what was delivered or is queued', async () => {
    const r = new Recorder();
    const m = mailbox(r, { appliedVersion: 5 });
    expect(await m.offer(set(5))).toBe('stale');
    expect(await m.offer(set(3))).toBe('stale');
    expect(r.versions).toEqual([]);
    r.hold(7);
    const seven = m.offer(set(7));
    expect(await m.offer(set(6))).toBe('stale');
    expect(await m.offer(set(2))).toBe('stale');
    r.release(7);
    expect(await seven).toBe('applied 7');
    expect(await m.offer(set(7))).toBe('stale');
    expect(r.versions).toEqual([7]);
  });

  it('joins an offer of the version being delivered or queued', async () => {
    const r = new Recorder();
    const m = mailbox(r);
    r.hold(1);
    const first = [m.offer(set(1)), m.offer(set(1))];
    const queued = [m.offer(set(2)), m.offer(set(2))];
    const again = m.offer(set(1));
    r.release(1);
    expect(await Promise.all([...first, again])).toEqual(['applied 1', 'applied 1', 'applied 1']);
    expect(await Promise.all(queued)).toEqual(['applied 2', 'applied 2']);
    expect(r.versions).toEqual([1, 2]);
  });

  it('aborts the superseded signal of the delivery in progress when a newer set is offered', async () => {
    const r = new Recorder();
    const m = mailbox(r);
    r.hold(1);
    const first = m.offer(set(1));
    await until('delivery of 1', () => r.calls.length === 1);
    const signal = r.calls[0]!.signal;
    expect(signal.aborted).toBe(false);
    void m.offer(set(1));
    expect(signal.aborted).toBe(false);
    const second = m.offer(set(2));
    expect(signal.aborted).toBe(true);
    r.release(1);
    await Promise.all([first, second]);
    expect(r.calls[1]!.signal.aborted).toBe(false);
  });

  it('retries a failed set with backoff until it is applied; its offer learns of the first failure', async () => {
    const r = new Recorder();
    const m = mailbox(r);
    r.failNext(1, 2);
    await expect(m.offer(set(1))).rejects.toThrow(/haproxy -c failed for 1/);
    await until('applied after the retries', () => m.lastDelivered() === 1);
    expect(r.versions).toEqual([1, 1, 1]);
  });

  it('backs off exponentially between retries, up to the maximum', async () => {
    const at: number[] = [];
    let failuresLeft = 3;
    const m = createBackendSetMailbox<string>({
      deliver: () => {
        at.push(performance.now());
        if (failuresLeft-- > 0) throw new Error('haproxy is down');
        return 'applied';
      },
      logger: silentLogger,
      backoff: { initialMs: 40, maxMs: 80 },
    });
    open.push(m);
    await expect(m.offer(set(1))).rejects.toThrow(/down/);
    await until('applied', () => m.lastDelivered() === 1);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Jittered into [half, full] of 40, 80 (doubled) and 80 (the maximum) ms.
    expect(gaps).toHaveLength(3);
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeLessThan(80 + 60);
  });

  it('a newer set starts its own backoff: it does not inherit the long wait of the set it replaced', async () => {
    const at: { version: number; t: number }[] = [];
    const failuresLeft = new Map([
      [1, 1_000],
      [2, 1],
    ]);
    const m = createBackendSetMailbox<string>({
      deliver: (s) => {
        at.push({ version: s.version, t: performance.now() });
        const left = failuresLeft.get(s.version) ?? 0;
        failuresLeft.set(s.version, left - 1);
        if (left > 0) throw new Error(`haproxy -c failed for ${s.version}`);
        return 'applied';
      },
      logger: silentLogger,
      backoff: { initialMs: 40, maxMs: 10_000 },
    });
    open.push(m);
    await expect(m.offer(set(1))).rejects.toThrow(/for 1/);
    // Five failures of v1: its next wait is already 16 x 40 ms or more.
    await until('v1 tried five times', () => at.length >= 5, 5_000);
    await expect(m.offer(set(2))).rejects.toThrow(/for 2/);
    await until('v2 applied', () => m.lastDelivered() === 2, 5_000);
    const v2 = at.filter((a) => a.version === 2).map((a) => a.t);
    expect(v2).toHaveLength(2);
    // Its first retry waits its own first backoff (jittered into [20, 40] ms), not v1's grown one (>= 640 ms).
    expect(v2[1]! - v2[0]!).toBeLessThan(300);
  });

  it('a newer set replaces the one being retried, without waiting for the backoff', async () => {
    const r = new Recorder();
    const m = mailbox(r, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    r.failNext(1, 1);
    const failed = m.offer(set(1));
    await expect(failed).rejects.toThrow();
    const started = Date.now();
    expect(await m.offer(set(2))).toBe('applied 2');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.versions).toEqual([1, 2]);
    expect(m.lastDelivered()).toBe(2);
  });

  it('an offer of the set being retried joins the retry and starts it at once', async () => {
    const r = new Recorder();
    const m = mailbox(r, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    r.failNext(1, 1);
    await expect(m.offer(set(1))).rejects.toThrow();
    expect(await m.offer(set(1))).toBe('applied 1');
    expect(r.versions).toEqual([1, 1]);
  });

  it('a set that failed while a newer one was offered is not retried: the newer one goes next', async () => {
    const r = new Recorder();
    const m = mailbox(r, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    r.hold(1);
    r.failNext(1, 1);
    const first = m.offer(set(1));
    const second = m.offer(set(2));
    r.release(1);
    await expect(first).rejects.toThrow();
    expect(await second).toBe('applied 2');
    expect(r.versions).toEqual([1, 2]);
  });

  it('after forget(), any version is taken again, and the queued one is dropped', async () => {
    const r = new Recorder();
    const m = mailbox(r, { appliedVersion: 7 });
    r.hold(8);
    const eight = m.offer(set(8));
    const nine = m.offer(set(9));
    m.forget();
    expect(await nine).toBe('stale');
    r.release(8);
    expect(await eight).toBe('applied 8');
    expect(m.lastDelivered()).toBeUndefined();
    expect(await m.offer(set(1))).toBe('applied 1');
    expect(r.versions).toEqual([8, 1]);
  });

  it('close() waits for the delivery in progress, aborts its signal, and delivers or retries nothing afterwards', async () => {
    const r = new Recorder();
    const m = mailbox(r);
    r.hold(1);
    const first = m.offer(set(1));
    const queued = m.offer(set(2));
    await until('delivery of 1', () => r.calls.length === 1);
    let closed = false;
    const closing = m.close().then(() => {
      closed = true;
    });
    expect(r.calls[0]!.signal.aborted).toBe(true);
    await sleep(20);
    expect(closed).toBe(false);
    r.release(1);
    await closing;
    expect(await first).toBe('applied 1');
    expect(await queued).toBe('stale');
    expect(await m.offer(set(3))).toBe('stale');
    expect(r.versions).toEqual([1]);

    const failing = new Recorder();
    const m2 = mailbox(failing);
    failing.failNext(1, 100);
    await expect(m2.offer(set(1))).rejects.toThrow();
    await m2.close();
    const calls = failing.calls.length;
    await sleep(100);
    expect(failing.calls.length).toBe(calls);
  });
});
