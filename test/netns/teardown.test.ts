import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startKubeletStandins } from '../kubelet-standin/standin.js';
import { describeE2E } from './describe-e2e.js';
import { cleanupStaleLabs, createLab, listNamespaces } from './harness.js';
import { selfSignedCertificate, startHttpsBackend } from './https-server.js';
import { installLoadBalancerFiles, planForLab } from './lb-cluster.js';
import { descendantsOf, isAlive, procInfo, sleep } from './proc.js';
import { run } from './command.js';

const VIP = '198.18.0.120';

/** Runs fixtures/orphan-lab.ts in its own process; resolves once its lab is up. */
function startOrphan(prefix: string): Promise<{ pid: number; stem: string; sleeperPid: number; dir: string; exited: Promise<number | null> }> {
  const child = spawn(join(process.cwd(), 'node_modules/.bin/vite-node'), [join(import.meta.dirname, 'fixtures/orphan-lab.ts'), prefix], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ? -1 : code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`orphan lab did not start: ${out} ${err}`)), 30_000);
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ready (\S+) (\d+) (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ pid: child.pid!, stem: m[1]!, sleeperPid: Number(m[2]), dir: m[3]!, exited });
      }
    });
  });
}

async function labNamespaces(stem: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => n.startsWith(`${stem}-`));
}

describeE2E('lab teardown', () => {
  it('destroy() stops the stand-ins, kills every daemon and deletes every namespace, even when the test forgot to stop them', async () => {
    const lab = await createLab({
      name: 'teardown',
      hosts: [
        { name: 'm0', address: '198.18.0.51/24' },
        { name: 'm1', address: '198.18.0.52/24' },
      ],
    });
    let pids: number[] = [];
    try {
      const cert = await selfSignedCertificate(
        lab.dir,
        'apiserver',
        lab.hosts.map((h) => h.address),
      );
      for (const h of lab.hosts) await startHttpsBackend(lab, h.name, { port: 6443, cert });
      installLoadBalancerFiles(lab, planForLab(lab, { vip: `${VIP}/24`, runAs: 'static-pod', virtualRouterId: 71 }));
      const standins = await startKubeletStandins({ lab });
      for (const h of lab.hosts) {
        for (const d of ['keepalived', 'haproxy'] as const) {
          const pid = await standins.of(h.name).waitUntilRunning(d);
          pids.push(pid, ...descendantsOf(pid).map((p) => p.pid));
        }
      }
      for (const ns of [lab.switchNetns, ...lab.hosts.map((h) => h.netns)]) {
        const { stdout } = await run('ip', ['netns', 'pids', ns]);
        pids.push(...stdout.split(/\s+/).filter(Boolean).map(Number));
      }
      pids = [...new Set(pids)];
      const daemons = pids.map(procInfo).filter((p) => p && ['keepalived', 'haproxy'].includes(p.comm));
      expect(daemons.length).toBeGreaterThanOrEqual(8); // per host: keepalived + VRRP child, haproxy master + worker
      await lab.waitForHolders(VIP, (hs) => hs.length === 1);
    } finally {
      await lab.destroy();
    }
    expect(await labNamespaces(lab.identity.stem)).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(lab.dir)).toBe(false);
    await lab.destroy(); // idempotent
  });

  it('cleanupStaleLabs removes what a SIGKILLed run left: namespaces, processes, temp dir', async () => {
    const prefix = 'khcrash';
    const orphan = await startOrphan(prefix);
    expect(await labNamespaces(orphan.stem)).toHaveLength(2);
    process.kill(orphan.pid, 'SIGKILL');
    await orphan.exited;
    // SIGKILL leaves the lab behind: nothing in the dead process could clean up.
    expect(await labNamespaces(orphan.stem)).toHaveLength(2);
    expect(isAlive(orphan.sleeperPid)).toBe(true);

    const live = await createLab({ name: 'bystander', prefix, hosts: [{ name: 'x', address: '198.18.0.42/24' }] });
    try {
      const report = await cleanupStaleLabs(prefix);
      expect(report.namespaces.sort()).toEqual([`${orphan.stem}-h`, `${orphan.stem}-switch`]);
      expect(report.dirs).toEqual([orphan.dir]);
      expect(await labNamespaces(orphan.stem)).toEqual([]);
      for (let i = 0; i < 20 && isAlive(orphan.sleeperPid); i++) await sleep(50);
      expect(isAlive(orphan.sleeperPid)).toBe(false);
      expect(existsSync(orphan.dir)).toBe(false);
      // A lab whose owner is alive (this process) is not stale.
      expect(await labNamespaces(live.identity.stem)).toHaveLength(2);
    } finally {
      await live.destroy();
    }
  });

  it('an interrupted run (SIGTERM) tears its lab down in its signal handler', async () => {
    const orphan = await startOrphan('khterm');
    process.kill(orphan.pid, 'SIGTERM');
    await orphan.exited;
    expect(await labNamespaces(orphan.stem)).toEqual([]);
    expect(isAlive(orphan.sleeperPid)).toBe(false);
    expect(existsSync(orphan.dir)).toBe(false);
  });

  it('leaves no namespace of this process behind', async () => {
    const mine = (await listNamespaces()).filter((n) => new RegExp(`^kh[a-z]*-${process.pid}-`).test(n));
    expect(mine).toEqual([]);
  });
});
