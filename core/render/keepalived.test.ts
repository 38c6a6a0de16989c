/**
 * keepalived.conf and check_apiserver.sh against the real keepalived 2.2.7: `keepalived -t` on every rendered file
 * in a network namespace that has the `eth0` the files name, and a live keepalived + haproxy pair that shows the
 * VIP coming up, leaving on a track-file FAULT and when haproxy dies. Plus the failover arithmetic as a property,
 * read back from the rendered text.
 */
import { HAPROXY_CFG_PATH, KEEPALIVED_CONF_PATH } from '../host/paths.js';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LB_CASES, planFor, targetsFor } from '../../test/fixtures/golden/lb-cases.js';
import {
  type Daemon,
  HAPROXY,
  IP,
  IS_ROOT,
  KEEPALIVED,
  Netns,
  removeTree,
  scratchRoot,
  waitFor,
  writeRendered,
} from '../../test/fixtures/golden/lb-daemons.js';
import { effectivePriorityOnFailure, planCluster, vipCidr, type ClusterPlan } from '../plan.js';
import { specFromObject } from '../spec.js';
import { validateSpec } from '../validate.js';

import {
  FAST_PROFILE_VRRP_RT_PRIORITY,
  KEEPALIVED_CHECK_SCRIPT_PATH,
  KEEPALIVED_TRACK_FILE_PATH,
  formatAdvertInt,
  renderKeepalivedConf,
  renderKeepalivedFiles,
  trackFileKeywordFor,
  vrrpInstanceName,
} from './keepalived.js';
import { renderLoadBalancerFiles } from './load-balancer.js';
import type { RenderTarget, RenderedFile } from './types.js';

const keepalivedCases = LB_CASES.filter((c) => c.name !== 'kube-vip-init' && c.name !== 'kube-vip-steady');

describe('keepalived.conf', () => {
  const plan = planFor(LB_CASES[0]!);
  const [m0, m1] = targetsFor(plan);

  it('formats advert_int in seconds with decimals and no float noise', () => {
    expect(formatAdvertInt(200)).toBe('0.2');
    expect(formatAdvertInt(10)).toBe('0.01');
    expect(formatAdvertInt(1000)).toBe('1');
    expect(formatAdvertInt(1050)).toBe('1.05');
    expect(formatAdvertInt(40950)).toBe('40.95');
    expect(() => formatAdvertInt(0)).toThrow();
  });

  it('is VRRPv3 BACKUP with nopreempt, the plan priority and router id, the VIP on the target interface', () => {
    const conf = renderKeepalivedConf({ ...m1!, interface: 'ens5' });
    expect(conf).toContain('    router_id master-1\n');
    expect(conf).toContain('    vrrp_version 3\n');
    // Two simultaneous masters after a backup's keepalived dies: the winner refreshes the clients' ARP caches.
    expect(conf).toContain('    vrrp_higher_prio_send_advert true\n');
    expect(conf).toContain('    vrrp_garp_master_delay 1\n');
    expect(conf).toContain(`vrrp_instance ${vrrpInstanceName(plan.spec)} {\n`);
    expect(conf).toContain('    state BACKUP\n');
    expect(conf).not.toContain('state MASTER');
    expect(conf).toContain('    interface ens5\n');
    expect(conf).toContain(`    virtual_router_id ${plan.virtualRouterId}\n`);
    expect(conf).toContain('    priority 98\n');
    expect(conf).toContain('    advert_int 0.2\n');
    expect(conf).toContain('    nopreempt\n');
    expect(conf).toContain(`        ${vipCidr(plan.spec)} dev ens5\n`);
    expect(conf).not.toContain('unicast');
  });

  it('the standard profile (the default) has 200 ms adverts and no real-time VRRP process', () => {
    expect(plan.spec.controlPlaneEndpoint.keepalived.profile).toBe('standard');
    const conf = renderKeepalivedConf(m0!);
    expect(conf).toContain('    advert_int 0.2\n');
    expect(conf).not.toContain('vrrp_rt_priority');
  });

  it('the fast profile has 100 ms adverts and a real-time VRRP process, declared in global_defs', () => {
    const fast = planFor(LB_CASES.find((c) => c.name === 'fast')!);
    expect(fast.spec.controlPlaneEndpoint.keepalived).toMatchObject({ profile: 'fast', advertIntervalMs: 100 });
    for (const t of targetsFor(fast).filter((t) => t.node.role === 'control-plane')) {
      const conf = renderKeepalivedConf(t);
      const globals = /^global_defs \{([\s\S]*?)\n\}/m.exec(conf)?.[1] ?? '';
      expect(globals).toMatch(new RegExp(`^    vrrp_rt_priority ${FAST_PROFILE_VRRP_RT_PRIORITY}$`, 'm'));
      expect(conf.match(/vrrp_rt_priority/g)).toHaveLength(1);
      expect(conf).toContain('    advert_int 0.1\n');
    }
  });

  it('an explicit advertIntervalMs wins over the profile; the real-time priority stays with fast', () => {
    const custom = planFor({
      name: 'fast-150',
      mutate: (d) => Object.assign(d.spec.controlPlaneEndpoint, { keepalived: { profile: 'fast', advertIntervalMs: 150 } }),
    });
    const conf = renderKeepalivedConf(targetsFor(custom)[0]!);
    expect(conf).toContain('    advert_int 0.15\n');
    expect(conf).toContain(`    vrrp_rt_priority ${FAST_PROFILE_VRRP_RT_PRIORITY}\n`);
    const slow = planFor({ name: 'standard-1000', mutate: (d) => Object.assign(d.spec.controlPlaneEndpoint, { keepalived: { advertIntervalMs: 1000 } }) });
    expect(renderKeepalivedConf(targetsFor(slow)[0]!)).toContain('    advert_int 1\n');
  });

  it('refuses a profile it does not know', () => {
    expect(() => planFor({ name: 'turbo', mutate: (d) => Object.assign(d.spec.controlPlaneEndpoint, { keepalived: { profile: 'turbo' } }) })).toThrow(
      /profile.*must be "standard" or "fast"/s,
    );
  });

  it('never renders authentication under VRRPv3, nor the password anywhere', () => {
    for (const c of keepalivedCases) {
      const p = planFor(c);
      for (const t of targetsFor(p).filter((t) => t.node.role === 'control-plane')) {
        for (const f of renderKeepalivedFiles(t)) {
          expect(f.content).not.toMatch(/^\s*(authentication|auth_type|auth_pass)\b/m);
          expect(f.content).not.toContain(p.authPass);
        }
      }
    }
  });

  it('unicast lists every other control-plane node and uses the node address as source', () => {
    const unicast = planFor(LB_CASES.find((c) => c.name === 'unicast')!);
    const conf = renderKeepalivedConf(targetsFor(unicast)[1]!);
    expect(conf).toContain('    unicast_src_ip 198.18.0.12\n    unicast_peer {\n        198.18.0.11\n        198.18.0.13\n    }\n');
  });

  it('spells the track file for the keepalived that reads it', () => {
    expect(trackFileKeywordFor(plan.spec)).toBe('vrrp_track_file');
    expect(renderKeepalivedConf(m0!)).toMatch(/^vrrp_track_file kubeadm_ha_track \{$/m);
    const systemd = planFor(LB_CASES.find((c) => c.name === 'systemd')!);
    expect(renderKeepalivedConf(targetsFor(systemd)[0]!)).toMatch(/^track_file kubeadm_ha_track \{$/m);
  });

  it('refuses workers and interface names Linux would not accept', () => {
    const worker = targetsFor(plan).find((t) => t.node.role === 'worker')!;
    expect(() => renderKeepalivedConf(worker)).toThrow(/control-plane/);
    expect(() => renderKeepalivedConf({ ...m0!, interface: '' })).toThrow(/interface/);
    expect(() => renderKeepalivedConf({ ...m0!, interface: 'eth0 dev lo' })).toThrow(/interface/);
  });
});

/** The rendered numbers, read back from the text: the instance priority and the vrrp_script weight. */
function parseRendered(conf: string): { priority: number; weight: number } {
  const script = /vrrp_script chk_haproxy \{([\s\S]*?)\n\}/.exec(conf)?.[1] ?? '';
  const instance = /vrrp_instance \S+ \{([\s\S]*?)\n\}/.exec(conf)?.[1] ?? '';
  const weight = /^\s*weight (-?\d+)$/m.exec(script)?.[1];
  const priority = /^\s*priority (\d+)$/m.exec(instance)?.[1];
  if (weight === undefined || priority === undefined) throw new Error(`no priority/weight in:\n${conf}`);
  return { priority: Number(priority), weight: Number(weight) };
}

/** Generous: the property parses, validates and renders up to 1800 files, and test machines are shared. */
const PROPERTY_TIMEOUT_MS = 180_000;

describe('failover arithmetic, as rendered', () => {
  it(
    'whichever node holds the VIP, once its check fails it ranks below every healthy node',
    () => {
      const scenario = fc.record({
        controlPlanes: fc.integer({ min: 1, max: 9 }),
        trackWeight: fc.oneof(fc.constant(0), fc.integer({ min: -60, max: -1 })),
        preempt: fc.boolean(),
        overrides: fc.option(fc.array(fc.option(fc.integer({ min: 1, max: 254 }), { nil: undefined }), { minLength: 9, maxLength: 9 }), {
          nil: undefined,
          freq: 4,
        }),
      });
      let checked = 0;
      fc.assert(
        fc.property(scenario, ({ controlPlanes, trackWeight, preempt, overrides }) => {
          const doc = {
            apiVersion: 'kubeadm-ha.io/v1alpha1',
            kind: 'Cluster',
            metadata: { name: 'prop' },
            spec: {
              kubernetes: { version: 'v1.31.4' },
              controlPlaneEndpoint: { vip: '198.18.0.100/24', keepalived: { trackWeight, preempt } },
              nodes: Array.from({ length: controlPlanes }, (_, i) => ({
                name: `master-${i}`,
                address: `198.18.0.${11 + i}`,
                role: 'control-plane',
                ...(overrides?.[i] !== undefined ? { keepalivedPriority: overrides[i] } : {}),
              })),
            },
          };
          const spec = specFromObject(doc);
          fc.pre(validateSpec(spec).errors.length === 0);
          const plan = planCluster(spec, { authPass: 'prop' });
          const rendered = plan.controlPlane.map((node) => parseRendered(renderKeepalivedConf({ plan, node, interface: 'eth0' })));
          rendered.forEach((r, i) => {
            expect(r.priority).toBe(plan.controlPlane[i]!.priority);
            expect(r.weight).toBe(trackWeight);
          });
          for (const [h, holder] of rendered.entries()) {
            const failed = effectivePriorityOnFailure(holder.priority, holder.weight);
            for (const [o, other] of rendered.entries()) if (o !== h) expect(failed, `holder master-${h} vs master-${o}`).toBeLessThan(other.priority);
          }
          checked++;
        }),
        { numRuns: 200 },
      );
      // numRuns counts the scenarios that passed the precondition: all of them were rendered and checked.
      expect(checked).toBe(200);
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/** Every keepalived.conf of every case, for keepalived -t; each with the files it names, under its own root. */
function allKeepalivedConfs(): { label: string; target: RenderTarget; files: RenderedFile[] }[] {
  const out: { label: string; target: RenderTarget; files: RenderedFile[] }[] = [];
  for (const c of keepalivedCases) {
    for (const t of targetsFor(planFor(c)).filter((t) => t.node.role === 'control-plane'))
      out.push({ label: `${c.name}/${t.node.name}`, target: t, files: renderKeepalivedFiles(t) });
  }
  const single = planFor({ name: 'single', mutate: (d) => Object.assign(d.spec.controlPlaneEndpoint, { keepalived: { unicast: true } }) });
  const alone: ClusterPlan = { ...single, controlPlane: single.controlPlane.slice(0, 1) };
  out.push({ label: 'single control-plane node, unicast', target: targetsFor(alone)[0]!, files: renderKeepalivedFiles(targetsFor(alone)[0]!) });
  return out;
}

const canNetns = IS_ROOT && Boolean(IP);

describe.skipIf(!KEEPALIVED || !canNetns)('keepalived -t on every rendered keepalived.conf (root, keepalived, ip)', () => {
  const netns = new Netns('kat');
  const roots: string[] = [];

  beforeAll(() => netns.create('198.18.0.11'));
  afterAll(() => {
    netns.destroy();
    for (const r of roots) removeTree(r);
  });

  it.each(allKeepalivedConfs().map((c) => [c.label, c] as const))('%s: exit 0 and not a single complaint', (_label, { files }) => {
    const root = scratchRoot('katest');
    roots.push(root);
    const written = writeRendered(root, files);
    const r = netns.exec(KEEPALIVED!, ['-t', '-f', written.get(KEEPALIVED_CONF_PATH)!]);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('the checker itself is live: a script in a world-writable directory, or a missing interface, fails -t', () => {
    const root = scratchRoot('kabad');
    roots.push(root);
    const target = targetsFor(planFor(LB_CASES[0]!))[0]!;
    const written = writeRendered(root, renderKeepalivedFiles({ ...target, interface: 'nosuch0' }));
    const r = netns.exec(KEEPALIVED!, ['-t', '-f', written.get(KEEPALIVED_CONF_PATH)!]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/interface nosuch0/);
  });
});

describe.skipIf(!KEEPALIVED || !HAPROXY || !canNetns)('live keepalived + haproxy in a namespace (root, keepalived, haproxy, ip)', () => {
  const netns = new Netns('kalive');
  const plan = planFor(LB_CASES.find((c) => c.name === 'systemd')!);
  const target = targetsFor(plan)[0]!;
  const vip = vipCidr(plan.spec);
  let root = '';
  let haproxy: Daemon | undefined;
  let keepalived: Daemon | undefined;
  let trackFile = '';
  let checkScript = '';
  const hasVip = () => netns.addresses().includes(vip);
  // keepalived's console log reaches the pipe in blocks, after the fact it reports.
  const logged = (pattern: RegExp) => waitFor(() => pattern.test(keepalived!.output), 5000);

  const startHaproxy = () => netns.spawn(HAPROXY!, ['-W', '-db', '-f', `${root}${HAPROXY_CFG_PATH}`]);

  beforeAll(async () => {
    root = scratchRoot('kalive');
    netns.create(target.node.address);
    writeRendered(root, renderLoadBalancerFiles(target));
    trackFile = `${root}${KEEPALIVED_TRACK_FILE_PATH}`;
    checkScript = `${root}${KEEPALIVED_CHECK_SCRIPT_PATH}`;
    haproxy = startHaproxy();
    expect(await waitFor(() => netns.exec(checkScript, []).status === 0, 10_000), haproxy.output).toBe(true);
    keepalived = netns.spawn(KEEPALIVED!, [
      '--dont-fork',
      '--log-console',
      '--log-detail',
      '--vrrp',
      '-f',
      `${root}${KEEPALIVED_CONF_PATH}`,
      '-p',
      `${root}/keepalived.pid`,
      '-r',
      `${root}/vrrp.pid`,
    ]);
  });

  afterAll(async () => {
    await keepalived?.stop();
    await haproxy?.stop();
    netns.destroy();
    if (root) removeTree(root);
  });

  it('takes the VIP when alone, and init_file has created the track file with 0', async () => {
    expect(await waitFor(hasVip, 10_000), keepalived!.output).toBe(true);
    expect(existsSync(trackFile)).toBe(true);
    expect(readFileSync(trackFile, 'utf8').trim()).toBe('0');
  });

  it('the check script passes while haproxy answers on its monitor endpoint', () => {
    const r = netns.exec(checkScript, []);
    expect(r.status).toBe(0);
    expect(r.output).toBe('');
  });

  it('a non-zero track file is a FAULT: the VIP leaves at once, and comes back with 0', async () => {
    writeFileSync(trackFile, '1\n');
    expect(await waitFor(() => !hasVip(), 2000), keepalived!.output).toBe(true);
    expect(await logged(/tracked file kubeadm_ha_track now FAULT state/), keepalived!.output).toBe(true);
    writeFileSync(trackFile, '0\n');
    expect(await waitFor(hasVip, 5000), keepalived!.output).toBe(true);
  });

  it('haproxy gone: the check fails with a reason and the VIP leaves within fall × interval', async () => {
    await haproxy!.stop();
    const r = netns.exec(checkScript, []);
    expect(r.status).toBe(1);
    expect(r.output).toBe('check_apiserver.sh: haproxy is not listening on 127.0.0.1:8404\n');
    expect(await waitFor(() => !hasVip(), 6000), keepalived!.output).toBe(true);
    expect(await logged(/VRRP_Script\(chk_haproxy\) failed/), keepalived!.output).toBe(true);
    haproxy = startHaproxy();
    expect(await waitFor(hasVip, 10_000), keepalived!.output).toBe(true);
  });

  it('logged no warning, error or unknown keyword about the configuration', () => {
    const complaints = keepalived!.output
      .split('\n')
      .filter((l) => /warning|error|unknown|deprecated|insecure|not found|ignoring/i.test(l))
      .filter((l) => !/Receive advertisement timeout/.test(l));
    expect(complaints).toEqual([]);
  });
});

describe.skipIf(!KEEPALIVED || !canNetns)('the static-pod keepalived.conf on keepalived 2.2.7 (root, keepalived, ip)', () => {
  const netns = new Netns('kasp');
  const target = targetsFor(planFor(LB_CASES[0]!))[0]!;
  let root = '';
  let keepalived: Daemon | undefined;

  beforeAll(() => {
    root = scratchRoot('kasp');
    netns.create(target.node.address);
  });
  afterAll(async () => {
    await keepalived?.stop();
    netns.destroy();
    if (root) removeTree(root);
  });

  it('starts, and its only remark is the deprecation of the 2.0-compatible vrrp_track_file spelling', async () => {
    const written = writeRendered(root, renderKeepalivedFiles(target));
    keepalived = netns.spawn(KEEPALIVED!, [
      '--dont-fork',
      '--log-console',
      '--vrrp',
      '-f',
      written.get(KEEPALIVED_CONF_PATH)!,
      '-p',
      `${root}/k.pid`,
      '-r',
      `${root}/v.pid`,
    ]);
    expect(await waitFor(() => /VRRP_Script\(chk_haproxy\)/.test(keepalived!.output), 10_000), keepalived.output).toBe(true);
    await keepalived.stop();
    const complaints = keepalived.output.split('\n').filter((l) => /warning|error|unknown|deprecated|insecure|not found|ignoring/i.test(l));
    expect(complaints.map((l) => l.replace(/^.*?: /, ''))).toEqual(['"vrrp_track_file" is deprecated, please use "track_file"']);
  });
});

/** Scheduling policy (0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR) and real-time priority of a process, from /proc/<pid>/stat. */
function schedOf(stat: string): { ppid: number; policy: number; rtPriority: number } {
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, ppid 4, rt_priority 40, policy 41.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(rest[1]), rtPriority: Number(rest[37]), policy: Number(rest[38]) };
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (schedOf(readFileSync(`/proc/${entry}/stat`, 'utf8')).ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe.skipIf(!KEEPALIVED || !canNetns)('the fast profile on keepalived 2.2.7 (root, keepalived, ip)', () => {
  const netns = new Netns('kafast');
  const plan = planFor({
    name: 'fast-systemd',
    mutate: (d) => Object.assign(d.spec.controlPlaneEndpoint, { runAs: 'systemd', keepalived: { profile: 'fast' } }),
  });
  const target = targetsFor(plan)[0]!;
  let root = '';
  let keepalived: Daemon | undefined;
  let scriptStat = '';

  beforeAll(() => {
    root = scratchRoot('kafast');
    netns.create(target.node.address);
    writeRendered(root, renderKeepalivedFiles(target));
    // The check script is swapped for one that records how keepalived ran it (same path, owner and mode).
    scriptStat = `${root}/check-script.stat`;
    writeFileSync(`${root}${KEEPALIVED_CHECK_SCRIPT_PATH}`, `#!/bin/bash\ncat /proc/$$/stat > ${scriptStat}.tmp && mv ${scriptStat}.tmp ${scriptStat}\n`);
    keepalived = netns.spawn(KEEPALIVED!, [
      '--dont-fork',
      '--log-console',
      '--log-detail',
      '--vrrp',
      '-f',
      `${root}${KEEPALIVED_CONF_PATH}`,
      '-p',
      `${root}/keepalived.pid`,
      '-r',
      `${root}/vrrp.pid`,
    ]);
  });

  afterAll(async () => {
    await keepalived?.stop();
    netns.destroy();
    if (root) removeTree(root);
  });

  it('runs the VRRP process SCHED_RR at the rendered priority, and the main process and the check script as normal processes', async () => {
    expect(await waitFor(() => existsSync(scriptStat), 10_000), keepalived!.output).toBe(true);
    const main = keepalived!.child.pid!;
    const [vrrp] = childrenOf(main);
    expect(vrrp, keepalived!.output).toBeDefined();
    expect(schedOf(readFileSync(`/proc/${vrrp}/stat`, 'utf8'))).toMatchObject({ policy: 2, rtPriority: FAST_PROFILE_VRRP_RT_PRIORITY });
    expect(schedOf(readFileSync(`/proc/${main}/stat`, 'utf8'))).toMatchObject({ policy: 0, rtPriority: 0 });
    expect(schedOf(readFileSync(scriptStat, 'utf8'))).toMatchObject({ policy: 0, rtPriority: 0 });
  });

  it('takes the VIP alone with 100 ms adverts, and logged no warning, error or unknown keyword', async () => {
    expect(await waitFor(() => netns.addresses().includes(vipCidr(plan.spec)), 10_000), keepalived!.output).toBe(true);
    await keepalived!.stop();
    const complaints = keepalived!.output
      .split('\n')
      .filter((l) => /warning|error|unknown|deprecated|insecure|not found|ignoring|cannot|too much CPU/i.test(l))
      .filter((l) => !/Receive advertisement timeout/.test(l));
    expect(complaints).toEqual([]);
  });
});
