import { describe, expect, it } from 'vitest';
import { leaderMayAct, leaseTimings, standbyStep, type LeaseRecord } from './leader-lease.js';

const lease = (over: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holder: '198.18.0.2:9443',
  instance: 'instance-a',
  term: 4,
  ttlMs: 10_000,
  released: false,
  renewedAt: '2026-12-05T00:00:00.000Z',
  ...over,
});

describe('leader lease', () => {
  it('fences a leader well before a standby may take over', () => {
    const t = leaseTimings(10_000);
    expect(t).toEqual({ ttlMs: 10_000, renewEveryMs: 2_000, fenceAfterMs: 5_000, pollEveryMs: 1_000 });
    expect(leaderMayAct(4_999, t)).toBe(true);
    expect(leaderMayAct(5_000, t)).toBe(false);
    // The earliest a standby acquires, counted from the same renewal: a full TTL.
    expect(standbyStep(lease(), t.fenceAfterMs, '198.18.0.3:9443').kind).toBe('wait');
    expect(standbyStep(lease(), t.ttlMs, '198.18.0.3:9443')).toEqual({ kind: 'acquire', term: 5 });
  });

  it('bounds the TTL', () => {
    expect(leaseTimings(10).ttlMs).toBe(2_000);
    expect(leaseTimings(1e9).ttlMs).toBe(300_000);
  });

  it('waits for the holder TTL, not its own', () => {
    expect(standbyStep(lease({ ttlMs: 30_000 }), 12_000, 'b:1')).toEqual({ kind: 'wait', leader: '198.18.0.2:9443', expiresInMs: 18_000 });
    // A record claiming a tiny TTL cannot make standbys take over at once.
    expect(standbyStep(lease({ ttlMs: 1 }), 1_000, 'b:1').kind).toBe('wait');
  });

  it('takes a free, released or own lease at once, with the next term', () => {
    expect(standbyStep(undefined, 0, 'b:1')).toEqual({ kind: 'acquire', term: 1 });
    expect(standbyStep(lease({ released: true }), 0, 'b:1')).toEqual({ kind: 'acquire', term: 5 });
    expect(standbyStep(lease(), 0, 'instance-a')).toEqual({ kind: 'acquire', term: 5 });
    // The same address from another data dir is someone else: it waits.
    expect(standbyStep(lease(), 0, 'instance-b').kind).toBe('wait');
  });
});
