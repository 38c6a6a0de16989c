import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2E } from './describe-e2e.js';
import { cleanupStaleLabs, createLab, listNamespaces, type Lab } from './harness.js';
import { httpGetFrom, loadLoop } from './http-client.js';
import { selfSignedCertificate, startHttpsBackend } from './https-server.js';
import { isAlive } from './proc.js';

describeE2E('netns lab: three hosts on one L2 segment', () => {
  let lab: Lab;

  beforeAll(async () => {
    await cleanupStaleLabs();
    lab = await createLab({
      name: 'lab-basics',
      hosts: [
        { name: 'master-0', address: '198.18.0.11/24' },
        { name: 'master-1', address: '198.18.0.12/24' },
        { name: 'master-2', address: '198.18.0.13/24' },
      ],
    });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('gives every host eth0 with its address and nothing else routable', async () => {
    for (const h of lab.hosts) {
      const addrs = await lab.addressesOf(h.name);
      expect(addrs.filter((a) => a.family === 'ipv4').map((a) => `${a.address}/${a.prefixLength}`)).toEqual([h.cidr]);
      const routes = await lab.exec(h.name, 'ip', ['-4', 'route', 'show']);
      expect(routes.stdout).not.toMatch(/default/);
      expect(routes.stdout.trim()).toBe(`198.18.0.0/24 dev eth0 proto kernel scope link src ${h.address}`);
    }
  });

  it('reaches every other host (TCP SYN answered by RST) and nothing outside the segment', async () => {
    for (const from of lab.hosts) {
      for (const to of lab.hosts) {
        if (from === to) continue;
        expect(await lab.probeTcp(from.name, to.address, 9)).toBe('refused');
      }
      expect(await lab.probeTcp(from.name, '198.18.1.1', 443)).toBe('unreachable');
      expect(await lab.probeTcp(from.name, '198.18.0.99', 443, 500)).not.toBe('refused');
    }
  });

  it('serves HTTPS between hosts and counts a bounded load loop', async () => {
    const cert = await selfSignedCertificate(lab.dir, 'backend', ['198.18.0.13']);
    await startHttpsBackend(lab, 'master-2', { port: 6443, cert });
    const single = await httpGetFrom(lab, 'master-0', 'https://198.18.0.13:6443/healthz');
    expect(single).toMatchObject({ status: 200, body: 'ok' });
    const verified = await httpGetFrom(lab, 'master-1', 'https://198.18.0.13:6443/', { caFile: cert.certFile });
    expect(verified).toMatchObject({ status: 200, body: 'master-2' });

    const good = await loadLoop({ lab, fromHost: 'master-0', url: 'https://198.18.0.13:6443/', ca: cert.certPem, durationMs: 600, intervalMs: 20 });
    expect(good.failed).toBe(0);
    expect(good.ok).toBeGreaterThan(5);
    expect(Object.keys(good.bodies)).toEqual(['master-2']);

    const bad = await loadLoop({ lab, fromHost: 'master-0', url: 'https://198.18.0.12:6443/', durationMs: 300, intervalMs: 20 });
    expect(bad.ok).toBe(0);
    expect(bad.failed).toBeGreaterThan(0);
    expect(bad.errors[0]?.message).toMatch(/ECONNREFUSED/);
  });

  it('linkDown carrier takes the host off the segment and linkUp brings it back', async () => {
    await lab.linkDown('master-1');
    const link = await lab.exec('master-1', 'ip', ['-o', 'link', 'show', 'dev', 'eth0']);
    expect(link.stdout).toMatch(/NO-CARRIER/);
    expect(await lab.probeTcp('master-0', '198.18.0.12', 9, 800)).not.toBe('refused');
    await lab.linkUp('master-1');
    expect(await lab.probeTcp('master-0', '198.18.0.12', 9, 2000)).toBe('refused');
  });

  it('linkDown partition silently drops the host while its link stays up', async () => {
    await lab.linkDown('master-2', 'partition');
    const link = await lab.exec('master-2', 'ip', ['-o', 'link', 'show', 'dev', 'eth0']);
    expect(link.stdout).toMatch(/LOWER_UP/);
    expect(await lab.probeTcp('master-0', '198.18.0.13', 9, 800)).toBe('timeout');
    await lab.linkUp('master-2');
    expect(await lab.probeTcp('master-0', '198.18.0.13', 9, 2000)).toBe('refused');
  });

  it('adds a coordinator host and an addressed bridge on the same segment', async () => {
    const extra = await createLab({
      name: 'with-coordinator',
      hosts: [{ name: 'a', address: '198.18.0.21/24' }],
      coordinator: { address: '198.18.0.2/24' },
      bridgeAddress: '198.18.0.1/24',
    });
    try {
      expect(extra.hosts.map((h) => h.name)).toEqual(['a', 'coordinator']);
      expect(await extra.probeTcp('a', '198.18.0.2', 9)).toBe('refused');
      expect(await extra.probeTcp('coordinator', '198.18.0.1', 9)).toBe('refused');
      const bridge = await extra.exec('switch', 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'br0']);
      expect(bridge.stdout).toMatch(/inet 198\.18\.0\.1\/24/);
      await expect(
        createLab({
          name: 'dup',
          hosts: [
            { name: 'a', address: '198.18.0.5/24' },
            { name: 'b', address: '198.18.0.5/24' },
          ],
        }),
      ).rejects.toThrow(/share an address/);
    } finally {
      await extra.destroy();
    }
  });

  it('refuses addresses outside the benchmarking range', async () => {
    await expect(createLab({ name: 'bad', hosts: [{ name: 'h', address: '10.0.0.1/24' }] })).rejects.toThrow(/outside 198\.18\.0\.0\/15/);
    await expect(createLab({ name: 'bad', hosts: [{ name: 'h', address: '198.18.0.1' }] })).rejects.toThrow(/prefix length/);
  });

  it('destroy removes the namespaces, the processes and the temp dir', async () => {
    const extra = await createLab({ name: 'short-lived', hosts: [{ name: 'a', address: '198.18.0.21/24' }] });
    const sleeper = extra.spawn('a', 'sleep', ['300']);
    const pid = await sleeper.mainPid();
    expect(pid && isAlive(pid)).toBeTruthy();
    const names = [extra.switchNetns, extra.host('a').netns];
    expect(await listNamespaces()).toEqual(expect.arrayContaining(names));
    await extra.destroy();
    const after = await listNamespaces();
    for (const n of names) expect(after).not.toContain(n);
    expect(isAlive(pid!)).toBe(false);
    expect(existsSync(extra.dir)).toBe(false);
  });
});
