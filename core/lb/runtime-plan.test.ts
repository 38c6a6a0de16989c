import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend, BackendSet } from '../backend-set.js';
import { SRV_ADMF_FMAINT, type RuntimeServer } from './runtime-output.js';
import { isConverged, planRuntimeChanges, retireCommands } from './runtime-plan.js';

const addServerCommand = (b: Backend) =>
  `add server kube-apiserver/${b.name} ${b.address.includes(':') ? `ipv6@${b.address}` : b.address}:${b.port} check check-ssl verify none inter 1s fall 2 rise 2${b.state === 'draining' ? ' disabled' : ''}`;
const options = { addServerCommand };

function backend(name: string, address: string, state: Backend['state'] = 'active', port = 6443): Backend {
  return { name, address, port, state };
}
function set(version: number, ...backends: Backend[]): BackendSet {
  return { cluster: 'prod', version, backends };
}
function server(name: string, address: string, admin: RuntimeServer['admin'] = 'ready', more: Partial<RuntimeServer> = {}): RuntimeServer {
  return {
    backend: 'kube-apiserver',
    id: 1,
    name,
    address,
    port: 6443,
    operational: admin === 'maint' ? 'stopped' : 'running',
    admin,
    adminFlags: admin === 'maint' ? SRV_ADMF_FMAINT : admin === 'drain' ? 0x08 : 0,
    checkConfigured: true,
    checkEnabled: true,
    secondsSinceChange: 0,
    ...more,
  };
}

describe('planRuntimeChanges', () => {
  it('adds a new backend, starts its check and enables it', () => {
    const plan = planRuntimeChanges([server('m0', '198.18.0.11')], set(2, backend('m0', '198.18.0.11'), backend('m1', '198.18.0.12')), options);
    expect(plan.steps.map((s) => s.command)).toEqual([
      'add server kube-apiserver/m1 198.18.0.12:6443 check check-ssl verify none inter 1s fall 2 rise 2',
      'enable health kube-apiserver/m1',
      'enable server kube-apiserver/m1',
    ]);
    expect(plan.retire).toEqual([]);
  });

  it('a backend that is draining from the start is only added: a dynamic server starts in maintenance', () => {
    const plan = planRuntimeChanges([], set(1, backend('m1', '198.18.0.12', 'draining')), options);
    expect(plan.steps.map((s) => s.kind)).toEqual(['add']);
    expect(plan.steps[0]!.command).toMatch(/ disabled$/);
  });

  it('draining puts the server in maintenance; reactivation makes it ready with its check on', () => {
    const live = [server('m0', '198.18.0.11'), server('m1', '198.18.0.12', 'maint', { checkEnabled: false })];
    const plan = planRuntimeChanges(live, set(3, backend('m0', '198.18.0.11', 'draining'), backend('m1', '198.18.0.12')), options);
    expect(plan.steps.map((s) => s.command)).toEqual([
      'enable health kube-apiserver/m1',
      'set server kube-apiserver/m1 state ready',
      'set server kube-apiserver/m0 state maint',
    ]);
  });

  it('a server forced into drain by hand is made ready again', () => {
    const plan = planRuntimeChanges([server('m0', '198.18.0.11', 'drain')], set(3, backend('m0', '198.18.0.11')), options);
    expect(plan.steps.map((s) => s.command)).toEqual(['set server kube-apiserver/m0 state ready']);
  });

  it('a removed server goes to maintenance and is listed for retirement; one already there only retires', () => {
    const live = [server('m0', '198.18.0.11'), server('m1', '198.18.0.12'), server('m2', '198.18.0.13', 'maint')];
    const plan = planRuntimeChanges(live, set(4, backend('m0', '198.18.0.11')), options);
    expect(plan.steps.map((s) => s.command)).toEqual(['set server kube-apiserver/m1 state maint']);
    expect(plan.retire).toEqual(['m1', 'm2']);
  });

  it('an address or port change retires the old server; the new one is added once the name is free', () => {
    const live = [server('m0', '198.18.0.11'), server('m1', '198.18.0.12')];
    const next = set(5, backend('m0', '198.18.0.11', 'active', 16443), backend('m1', '198.18.0.99'));
    const plan = planRuntimeChanges(live, next, options);
    expect(plan.steps.map((s) => s.command)).toEqual(['set server kube-apiserver/m0 state maint', 'set server kube-apiserver/m1 state maint']);
    expect(plan.retire).toEqual(['m0', 'm1']);
    const after = planRuntimeChanges([], next, options);
    expect(after.steps.filter((s) => s.kind === 'add').map((s) => s.command.split(' ')[3])).toEqual(['198.18.0.11:16443', '198.18.0.99:6443']);
  });

  it('new servers come before the ones that stop taking connections', () => {
    const live = [server('a', '198.18.0.11'), server('z', '198.18.0.12')];
    const plan = planRuntimeChanges(live, set(6, backend('a', '198.18.0.11', 'draining'), backend('m', '198.18.0.13')), options);
    expect(plan.steps.map((s) => `${s.kind}:${s.server}`)).toEqual(['add:m', 'enable-health:m', 'activate:m', 'drain:a', 'retire:z']);
  });

  it('IPv6 addresses compare by value, not spelling', () => {
    const plan = planRuntimeChanges([server('m0', '2001:db8::b')], set(1, backend('m0', '2001:0db8:0:0::B')), options);
    expect(isConverged(plan)).toBe(true);
  });

  it('ignores servers of other backends', () => {
    const plan = planRuntimeChanges([server('m0', '198.18.0.11', 'ready', { backend: 'stats' })], set(1), options);
    expect(isConverged(plan)).toBe(true);
  });

  it('nothing to do when haproxy runs the set', () => {
    const live = [server('m0', '198.18.0.11'), server('m1', '198.18.0.12', 'maint')];
    expect(isConverged(planRuntimeChanges(live, set(7, backend('m0', '198.18.0.11'), backend('m1', '198.18.0.12', 'draining')), options))).toBe(true);
  });
});

describe('retireCommands', () => {
  it('deletes; after the drain timeout it shuts the sessions down first', () => {
    expect(retireCommands('m1', { force: false })).toEqual(['del server kube-apiserver/m1']);
    expect(retireCommands('m1', { force: true })).toEqual(['shutdown sessions server kube-apiserver/m1', 'del server kube-apiserver/m1']);
  });
});

/**
 * A model of haproxy's runtime API with the rules that matter here: names are unique, a dynamic server starts in
 * maintenance with its check stopped, only a server in maintenance can be deleted.
 */
class HaproxyModel {
  readonly servers = new Map<string, { address: string; port: number; admin: RuntimeServer['admin']; checkEnabled: boolean }>();

  run(command: string): void {
    const words = command.split(' ');
    const name = (words.find((w) => w.startsWith('kube-apiserver/')) ?? '').split('/')[1]!;
    const s = this.servers.get(name);
    if (command.startsWith('add server ')) {
      if (s) throw new Error(`${name} exists`);
      const endpoint = words[3]!.replace(/^ipv6@/, '');
      const i = endpoint.lastIndexOf(':');
      this.servers.set(name, { address: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)), admin: 'maint', checkEnabled: false });
      return;
    }
    if (!s) throw new Error(`no such server ${name}`);
    if (command.startsWith('enable health ')) s.checkEnabled = true;
    else if (command.startsWith('enable server ') || command.endsWith(' state ready')) s.admin = 'ready';
    else if (command.endsWith(' state maint')) s.admin = 'maint';
    else if (command.startsWith('del server ')) {
      if (s.admin !== 'maint') throw new Error(`${name} not in maintenance`);
      this.servers.delete(name);
    } else if (!command.startsWith('shutdown sessions ')) throw new Error(`unexpected ${command}`);
  }

  live(): RuntimeServer[] {
    return [...this.servers].map(([name, s]) => server(name, s.address, s.admin, { port: s.port, checkEnabled: s.checkEnabled }));
  }
}

describe('plans applied to a model of haproxy', () => {
  const names = fc.constantFrom('m0', 'm1', 'm2', 'm3', 'm4');
  const arbBackend = fc.record({
    name: names,
    address: fc.constantFrom('198.18.0.11', '198.18.0.12', '2001:db8::1'),
    port: fc.constantFrom(6443, 16443),
    state: fc.constantFrom<Backend['state']>('active', 'draining'),
  });
  const arbList = fc.uniqueArray(arbBackend, { selector: (b) => b.name, maxLength: 5 });
  const arbLive = fc.uniqueArray(
    fc.record({ backend: arbBackend, admin: fc.constantFrom<RuntimeServer['admin']>('ready', 'drain', 'maint'), checkEnabled: fc.boolean() }),
    { selector: (x) => x.backend.name, maxLength: 5 },
  );

  it('plan, retire and plan again ends exactly at the set; within a round the ready count never falls below both its start and its end', () => {
    fc.assert(
      fc.property(arbLive, arbList, (start, wanted) => {
        const model = new HaproxyModel();
        for (const x of start)
          model.servers.set(x.backend.name, { address: x.backend.address, port: x.backend.port, admin: x.admin, checkEnabled: x.checkEnabled });
        const next = set(1, ...wanted);
        for (let round = 0; round < 3; round++) {
          const plan = planRuntimeChanges(model.live(), next, options);
          if (isConverged(plan)) break;
          const ready = () => [...model.servers.values()].filter((s) => s.admin === 'ready').length;
          const trajectory = [ready()];
          for (const step of plan.steps) {
            model.run(step.command);
            trajectory.push(ready());
          }
          // Capacity first, then removal: the count rises then falls, so it never goes below where it starts and ends.
          expect(Math.min(...trajectory)).toBeGreaterThanOrEqual(Math.min(trajectory[0]!, trajectory.at(-1)!));
          for (const name of plan.retire) for (const c of retireCommands(name, { force: round > 0 })) model.run(c);
        }
        expect(isConverged(planRuntimeChanges(model.live(), next, options))).toBe(true);
        const expected = wanted.map((b) => [b.name, b.address, b.port, b.state === 'active' ? 'ready' : 'maint']).sort();
        const actual = [...model.servers].map(([n, s]) => [n, s.address, s.port, s.admin]).sort();
        expect(actual).toEqual(expected);
        for (const b of wanted.filter((w) => w.state === 'active')) expect(model.servers.get(b.name)?.checkEnabled).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
