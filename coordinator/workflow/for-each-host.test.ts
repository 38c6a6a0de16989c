import { describe, expect, it } from 'vitest';
import { CommandError, HostsFailedError } from '../../core/errors.js';
import { forEachHost } from './for-each-host.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `h${i}` }));
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('forEachHost', () => {
  it('never runs more than the limit at once, and runs them all', async () => {
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    await forEachHost(hosts(12), { limit: 3, phase: 'p' }, async (h) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      seen.push(h.name);
      running--;
    });
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual(
      hosts(12)
        .map((h) => h.name)
        .sort(),
    );
  });

  it('limit 1 is strictly sequential, in order', async () => {
    const order: string[] = [];
    await forEachHost(hosts(4), { limit: 1, phase: 'p' }, async (h) => {
      order.push(`start ${h.name}`);
      await tick();
      order.push(`end ${h.name}`);
    });
    expect(order).toEqual(['start h0', 'end h0', 'start h1', 'end h1', 'start h2', 'end h2', 'start h3', 'end h3']);
  });

  it('reports every failed host with phase and host context, and finishes the healthy ones', async () => {
    const done: string[] = [];
    const run = forEachHost(hosts(5), { limit: 2, phase: 'join-workers' }, async (h) => {
      await tick();
      if (h.name === 'h1' || h.name === 'h3') throw new CommandError('kubeadm join', 1, 'boom');
      done.push(h.name);
    });
    await expect(run).rejects.toBeInstanceOf(HostsFailedError);
    const err = (await run.catch((e: unknown) => e)) as HostsFailedError;
    expect(err.message).toMatch(/^join-workers: 2 of 5 hosts failed:\n {2}h1: kubeadm join exited 1: boom\n {2}h3: kubeadm join exited 1: boom$/);
    expect(done.sort()).toEqual(['h0', 'h2', 'h4']);
  });

  it('a single failure keeps its class and gains phase and host once', async () => {
    const err = await forEachHost(hosts(1), { limit: 1, phase: 'init' }, async () => {
      throw new CommandError('kubeadm init', 1, 'x');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as Error).message).toBe('init: h0: kubeadm init exited 1: x');
  });

  it('stops starting hosts after the first failure when asked', async () => {
    const started: string[] = [];
    await forEachHost(hosts(4), { limit: 1, phase: 'join-control-plane', stopOnFirstFailure: true }, async (h) => {
      started.push(h.name);
      if (h.name === 'h1') throw new Error('etcd learner not promoted');
    }).catch(() => undefined);
    expect(started).toEqual(['h0', 'h1']);
  });
});
