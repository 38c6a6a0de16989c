import { describe, expect, it } from 'vitest';
import { EXPIRY_WARNING_MS, expiresWithin, renewalDueAt } from './cert-lifetime.js';

describe('certificate lifetime', () => {
  it('renews past two thirds of the lifetime, measured from notBefore', () => {
    const notBefore = new Date('2025-01-01T00:00:00Z');
    const year = new Date('2026-01-01T00:00:00Z');
    expect(new Date(renewalDueAt(notBefore, year)).toISOString()).toBe('2025-09-01T08:00:00.000Z');
    expect(renewalDueAt(new Date(0), new Date(6_000))).toBe(4_000);
    // A certificate that is not valid at all is due at once.
    expect(renewalDueAt(year, notBefore)).toBe(year.getTime());
  });

  it('flags what expires within 30 days, or has expired; not what expires later', () => {
    const now = new Date('2025-06-01T00:00:00Z');
    expect(expiresWithin(new Date(now.getTime() + EXPIRY_WARNING_MS), now)).toBe(true);
    expect(expiresWithin(new Date(now.getTime() + EXPIRY_WARNING_MS + 1000).toISOString(), now)).toBe(false);
    expect(expiresWithin('2025-05-01T00:00:00Z', now)).toBe(true);
    expect(expiresWithin('2026-05-01T00:00:00Z', now)).toBe(false);
    expect(expiresWithin('', now)).toBe(false);
  });
});
