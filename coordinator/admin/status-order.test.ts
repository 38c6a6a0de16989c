import { describe, expect, it } from 'vitest';
import { DEPLOY } from '../actions/deploy.js';
import { REMOVE_NODE } from '../actions/remove-node.js';
import { VERIFY } from '../actions/verify.js';
import type { PhaseRecord } from '../state/records.js';
import { inRunOrder } from './service.js';

const record = (phase: string, startedAt = '2026-12-05T10:00:00.000Z'): PhaseRecord => ({ phase, status: 'done', attempts: 1, startedAt });

describe('status: phases in the order they run', () => {
  it("lists a deploy's records as the deploy runs them, not by name, the verify checks after deploy's verify", () => {
    const ids = ['deploy', ...DEPLOY.phases.map((p) => p.id), ...VERIFY.phases.map((p) => p.id)];
    // The store hands them over sorted by key: alphabetical.
    const listed = [...ids].sort().map((id) => record(id));
    expect(listed.map((r) => r.phase)).not.toEqual(ids);
    expect(inRunOrder(listed).map((r) => r.phase)).toEqual(ids);
    expect(ids.slice(0, 4)).toEqual(['deploy', 'validate', 'wait-agents', 'preflight']);
  });

  it("keeps each action's phases together, the action's own record first", () => {
    const ids = ['remove-node', ...REMOVE_NODE.phases.map((p) => p.id)];
    const mixed = [...ids, 'deploy', 'init'].sort().map((id) => record(id));
    const ordered = inRunOrder(mixed).map((r) => r.phase);
    expect(ordered.slice(0, 2)).toEqual(['deploy', 'init']);
    expect(ordered.slice(2)).toEqual(ids);
  });

  it('puts records no action names last, oldest first', () => {
    const ordered = inRunOrder([record('zz-later', '2026-12-05T11:00:00.000Z'), record('aa-earlier', '2026-12-05T10:30:00.000Z'), record('init')]);
    expect(ordered.map((r) => r.phase)).toEqual(['init', 'aa-earlier', 'zz-later']);
  });
});
