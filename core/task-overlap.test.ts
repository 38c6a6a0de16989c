import { describe, expect, it } from 'vitest';
import { decideOverlap, taskWork } from './task-overlap.js';

const running = (taskId: string, kind: string, args: unknown) => ({ taskId, kind, work: taskWork(kind, args) });

describe('decideOverlap', () => {
  it('attaches the same task (kind and arguments) to the one running', () => {
    const r = [running('t1', 'kubeadmUpgrade', { mode: 'node', version: 'v1.32.0' })];
    expect(decideOverlap({ kind: 'kubeadmUpgrade', work: taskWork('kubeadmUpgrade', { mode: 'node', version: 'v1.32.0' }) }, r)).toEqual({
      kind: 'attach',
      to: 't1',
    });
  });

  it('makes a different host-changing task wait for every host-changing task running, and only for those', () => {
    const r = [running('t1', 'kubeadmUpgrade', { mode: 'node', version: 'v1.32.0' }), running('t2', 'lbStatus', {}), running('t3', 'installPackages', {})];
    expect(decideOverlap({ kind: 'kubeadmUpgrade', work: taskWork('kubeadmUpgrade', { mode: 'node', version: 'v1.33.0' }) }, r)).toEqual({
      kind: 'wait-for',
      ids: ['t1', 't3'],
    });
  });

  it('runs reads and load-balancer tasks at once, and a host-changing task when nothing of its kind runs', () => {
    const r = [running('t1', 'kubeadmUpgrade', { mode: 'node' })];
    expect(decideOverlap({ kind: 'lbStatus', work: taskWork('lbStatus', {}) }, r)).toEqual({ kind: 'run' });
    expect(decideOverlap({ kind: 'kubeadmJoin', work: taskWork('kubeadmJoin', {}) }, [running('t2', 'nodeVersions', {})])).toEqual({ kind: 'run' });
  });

  it('never attaches a repeat of a read or a streamed snapshot (its data went to the first asker), nor of a kubelet restart', () => {
    const snap = [running('t1', 'etcdSnapshot', {})];
    expect(decideOverlap({ kind: 'etcdSnapshot', work: taskWork('etcdSnapshot', {}) }, snap)).toEqual({ kind: 'run' });
    const restart = [running('t1', 'restartKubelet', {})];
    expect(decideOverlap({ kind: 'restartKubelet', work: taskWork('restartKubelet', {}) }, restart)).toEqual({ kind: 'wait-for', ids: ['t1'] });
  });
});
