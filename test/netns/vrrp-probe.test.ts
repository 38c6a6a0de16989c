/**
 * Preflight's VRRP router-id check against real adverts on a lab segment: a foreign keepalived (another team's VRRP
 * cluster) and one of our own masters both advertise virtual_router_id 51; the agent's probe, run with real nft and
 * ip inside master-0's namespace, hears both, and preflight refuses only because of the foreign one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalHostOps, type ExecOptions, type ExecResult } from '../../agent/hostops.js';
import { listenForVrrpAdverts } from '../../agent/tasks/preflight.js';
import { silentLogger } from '../../lib/log.js';
import { describeE2E } from './describe-e2e.js';
import { createLab, type Lab } from './harness.js';
import type { LabProcess } from './lab-process.js';

/** HostOps whose commands run inside a lab host's network namespace (files stay under a scratch root). */
class LabHostOps extends LocalHostOps {
  constructor(
    private readonly lab: Lab,
    private readonly host: string,
    root: string,
  ) {
    super(root, silentLogger);
  }

  override async exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.lab.exec(this.host, command, args, {
      reject: false,
      ...(options.input !== undefined ? { input: options.input } : {}),
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
}

describeE2E('preflight hears other VRRP routers with our virtual_router_id (real keepalived, real nft)', () => {
  let lab: Lab;
  const daemons: LabProcess[] = [];

  const startKeepalived = (host: string, vrid: number, vip: string) => {
    const dir = join(lab.dir, `keepalived-${host}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'keepalived.conf'),
      `global_defs {\n  router_id ${host}\n  vrrp_version 3\n}\nvrrp_instance VI_${vrid} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`,
    );
    daemons.push(
      lab.spawn(host, 'keepalived', ['-n', '-l', '-D', '-P', '-f', join(dir, 'keepalived.conf'), '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')]),
    );
  };

  beforeAll(async () => {
    lab = await createLab({
      name: 'vrrp-probe',
      hosts: [
        { name: 'master-0', address: '198.18.0.11/24' },
        { name: 'master-1', address: '198.18.0.12/24' },
        { name: 'other', address: '198.18.0.250/24' },
      ],
    });
    startKeepalived('other', 51, '198.18.0.200/24');
    startKeepalived('master-1', 51, '198.18.0.100/24');
  });

  afterAll(async () => {
    for (const d of daemons) await d.stop();
    await lab?.destroy();
  });

  it('hears every sender of id 51 and none of id 52, and leaves no nft table or multicast membership behind', async () => {
    const host = new LabHostOps(lab, 'master-0', join(lab.dir, 'root-master-0'));
    const maddrBefore = (await host.exec('ip', ['maddr', 'show', 'dev', 'eth0'])).stdout;
    const heard = await listenForVrrpAdverts(host, 51, 3_500, 'eth0');
    expect(heard.listened).toBe(true);
    expect([...heard.senders].sort()).toEqual(['198.18.0.12', '198.18.0.250']);
    const quiet = await listenForVrrpAdverts(host, 52, 2_500, 'eth0');
    expect(quiet).toEqual({ listened: true, senders: [] });
    expect((await host.exec('nft', ['list', 'tables'])).stdout).not.toContain('kubeadm_ha_vrrp_probe');
    expect((await host.exec('ip', ['maddr', 'show', 'dev', 'eth0'])).stdout).toBe(maddrBefore);
  });
});
