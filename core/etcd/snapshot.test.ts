import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newestSnapshotTime, parseSnapshotFileName, SnapshotVerifier, snapshotFileName, snapshotsToPrune, snapshotTrailerOk } from './snapshot.js';

function withTrailer(content: Buffer): Buffer {
  return Buffer.concat([content, createHash('sha256').update(content).digest()]);
}

describe('etcd snapshot integrity', () => {
  it('accepts a stream whose last 32 bytes are the sha256 of the rest, however it is chunked', () => {
    const snap = withTrailer(Buffer.from('a'.repeat(1000)));
    expect(snapshotTrailerOk(snap)).toBe(true);
    for (const size of [1, 7, 31, 32, 33, 500, 2000]) {
      const v = new SnapshotVerifier();
      for (let i = 0; i < snap.length; i += size) v.update(snap.subarray(i, i + size));
      expect(v.finish()).toEqual({ size: snap.length, sha256: createHash('sha256').update(snap).digest('hex'), trailerOk: true });
    }
  });

  it('refuses a flipped byte, a truncated stream and one shorter than the trailer', () => {
    const snap = withTrailer(Buffer.from('content'));
    const flipped = Buffer.from(snap);
    flipped[2] = flipped[2]! ^ 1;
    expect(snapshotTrailerOk(flipped)).toBe(false);
    expect(snapshotTrailerOk(snap.subarray(0, snap.length - 1))).toBe(false);
    expect(snapshotTrailerOk(Buffer.alloc(10))).toBe(false);
  });
});

describe('snapshot files', () => {
  it('are named with the cluster, the UTC time and the revision, and parse back', () => {
    const name = snapshotFileName('prod', new Date('2026-12-03T16:30:05.123Z'), 1234);
    expect(name).toBe('prod-20261203T163005.123Z-rev1234.db');
    expect(parseSnapshotFileName(name)).toEqual({ cluster: 'prod', stamp: '20261203T163005.123Z', revision: 1234 });
    // One a second later of the same revision (an idle cluster) gets its own name.
    expect(snapshotFileName('prod', new Date('2026-12-03T16:30:05.456Z'), 1234)).not.toBe(name);
    expect(parseSnapshotFileName('prod-20261203T163005Z-rev1234.db')).toEqual({ cluster: 'prod', stamp: '20261203T163005Z', revision: 1234 });
    expect(parseSnapshotFileName('prod-x.db')).toBeUndefined();
    expect(newestSnapshotTime([name, 'prod-20261203T150000Z-rev1.db', 'other-20271203T150000Z-rev1.db'], 'prod')).toBe(Date.parse('2026-12-03T16:30:05.123Z'));
    expect(newestSnapshotTime([], 'prod')).toBe(0);
  });

  it('retention deletes the oldest of this cluster only, never another file', () => {
    const names = [
      'prod-20261203T100000Z-rev10.db',
      'prod-20261203T120000Z-rev12.db',
      'prod-20261203T110000Z-rev11.db',
      'staging-20251203T100000Z-rev1.db',
      'notes.txt',
      'prod-east-20200101T000000Z-rev1.db',
    ];
    expect(snapshotsToPrune(names, 'prod', 1)).toEqual(['prod-20261203T100000Z-rev10.db', 'prod-20261203T110000Z-rev11.db']);
    expect(snapshotsToPrune(names, 'prod', 8)).toEqual([]);
    expect(snapshotsToPrune(names, 'prod', 0)).toHaveLength(2);
  });
});
