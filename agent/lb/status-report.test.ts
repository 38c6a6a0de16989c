import { afterEach, describe, expect, it } from 'vitest';
import { HAPROXY_CFG_PATH, KEEPALIVED_CONF_PATH } from '../../core/host/paths.js';
import { KEEPALIVED_STATE_FILE_PATH } from '../../core/render/keepalived.js';
import { silentLogger } from '../../lib/log.js';
import type { AgentStatus } from '../../proto/generated/kubeadm_ha/v1/AgentStatus.js';
import type { LbServer } from '../../proto/generated/kubeadm_ha/v1/LbServer.js';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { readLbStatus, startLbStatusReport, vipFromKeepalivedConf } from './status-report.js';

const CONF = `vrrp_instance VI_1 {\n    virtual_ipaddress {\n        198.18.0.100/24 dev eth0\n    }\n    notify "/etc/keepalived/kubeadm-ha-notify.sh"\n}\n`;
const IP_WITH_VIP =
  '2: eth0    inet 198.18.0.11/24 brd 198.18.0.255 scope global eth0\\       valid_lft forever\n2: eth0    inet 198.18.0.100/24 scope global secondary eth0\\       valid_lft forever\n';
const IP_WITHOUT = '2: eth0    inet 198.18.0.11/24 brd 198.18.0.255 scope global eth0\\       valid_lft forever\n';
const SERVERS: LbServer[] = [
  { backend: 'kube-apiserver', name: 'master-0', address: '198.18.0.11', port: 6443, state: 'running', checkStatus: 'ready', sessions: 0 },
];

let host: ScriptedHostOps | undefined;
afterEach(() => host?.dispose());

async function lbHost(opts: { state?: string; vip: boolean; haproxy?: boolean }): Promise<ScriptedHostOps> {
  host = new ScriptedHostOps();
  await host.writeFile(KEEPALIVED_CONF_PATH, CONF, 0o600);
  if (opts.state !== undefined) await host.writeFile(KEEPALIVED_STATE_FILE_PATH, `${opts.state}\n`, 0o644);
  if (opts.haproxy) await host.writeFile(HAPROXY_CFG_PATH, '# Managed by kubeadm-ha\n# kubeadm-ha backend-set version: 3\nglobal\n', 0o644);
  host.on(/^ip -o addr show/, { stdout: opts.vip ? IP_WITH_VIP : IP_WITHOUT });
  return host;
}

describe('the load balancer status an agent reports', () => {
  it('reads the VIP from keepalived.conf', () => {
    expect(vipFromKeepalivedConf(CONF)).toBe('198.18.0.100');
    expect(vipFromKeepalivedConf('vrrp_instance x {\n}\n')).toBeUndefined();
  });

  it("a holder: keepalived's MASTER, the VIP here, haproxy's servers", async () => {
    const h = await lbHost({ state: 'MASTER', vip: true, haproxy: true });
    expect(await readLbStatus(h, async () => SERVERS)).toEqual({ loadBalancer: true, vrrpState: 'MASTER', holdsVip: true, lbServers: SERVERS });
  });

  it('a backup: BACKUP, no VIP', async () => {
    const h = await lbHost({ state: 'BACKUP', vip: false });
    expect(await readLbStatus(h, async () => SERVERS)).toMatchObject({ loadBalancer: true, vrrpState: 'BACKUP', holdsVip: false });
  });

  it('keepalived killed while MASTER (its file still says so, the VIP is gone): the state is unknown, not MASTER', async () => {
    const h = await lbHost({ state: 'MASTER', vip: false });
    expect(
      (
        await readLbStatus(
          h,
          async () => SERVERS,
          async () => false,
        )
      ).vrrpState,
    ).toBe('');
  });

  it('keepalived not running (crashed, OOM-killed; its last word still in the file): the state is unknown', async () => {
    const h = await lbHost({ state: 'BACKUP', vip: false });
    expect(
      (
        await readLbStatus(
          h,
          async () => SERVERS,
          async () => false,
        )
      ).vrrpState,
    ).toBe('');
    expect(
      (
        await readLbStatus(
          h,
          async () => SERVERS,
          async () => true,
        )
      ).vrrpState,
    ).toBe('BACKUP');
  });

  it('a state that contradicts the VIP (notify scripts landing out of order after a flap) follows the VIP, and never stays unknown', async () => {
    // MASTER for a moment then BACKUP on hearing the other master: the MASTER notify landed last (the e2e's link flap).
    expect((await readLbStatus(await lbHost({ state: 'MASTER', vip: false }), async () => SERVERS)).vrrpState).toBe('BACKUP');
    expect((await readLbStatus(await lbHost({ state: 'BACKUP', vip: true }), async () => SERVERS)).vrrpState).toBe('MASTER');
    expect((await readLbStatus(await lbHost({ state: 'FAULT', vip: false }), async () => SERVERS)).vrrpState).toBe('FAULT');
  });

  it('anything but the four states keepalived says is dropped', async () => {
    const h = await lbHost({ state: 'PWNED', vip: false });
    expect((await readLbStatus(h, async () => SERVERS)).vrrpState).toBe('');
  });

  it('a worker (none of our load-balancer files) reports no load balancer and asks nothing', async () => {
    host = new ScriptedHostOps();
    let asked = false;
    expect(
      await readLbStatus(host, async () => {
        asked = true;
        return SERVERS;
      }),
    ).toEqual({ loadBalancer: false, vrrpState: '', holdsVip: false, lbServers: [] });
    expect(asked).toBe(false);
    expect(host.calls).toEqual([]);
  });

  it('haproxy down: no servers, the rest still reported', async () => {
    const h = await lbHost({ state: 'FAULT', vip: false, haproxy: true });
    expect(
      await readLbStatus(h, async () => {
        throw new Error('connect ENOENT /run/haproxy/admin.sock');
      }),
    ).toEqual({ loadBalancer: true, vrrpState: 'FAULT', holdsVip: false, lbServers: [] });
  });

  it('reports only changes: a quiet host sends nothing after its first report', async () => {
    const h = await lbHost({ state: 'BACKUP', vip: false });
    const sent: AgentStatus[] = [];
    const report = startLbStatusReport({
      host: h,
      logger: silentLogger,
      report: (s) => {
        sent.push(s);
        return true;
      },
      intervalMs: 60_000,
      servers: async () => [],
    });
    try {
      await report.tick();
      await report.tick();
      await report.tick();
      expect(sent).toHaveLength(1);
      await h.writeFile(KEEPALIVED_STATE_FILE_PATH, 'MASTER\n', 0o644);
      h.on(/^ip -o addr show/, { stdout: IP_WITH_VIP });
      await report.tick();
      expect(sent.map((s) => [s.vrrpState, s.holdsVip])).toEqual([
        ['BACKUP', false],
        ['MASTER', true],
      ]);
      expect(report.current()).toMatchObject({ vrrpState: 'MASTER', holdsVip: true });
    } finally {
      report.stop();
    }
  });

  it('a report no session could carry is tried again at the next look, not counted as said', async () => {
    const h = await lbHost({ state: 'BACKUP', vip: false });
    const tries: AgentStatus[] = [];
    let connected = false;
    const report = startLbStatusReport({
      host: h,
      logger: silentLogger,
      report: (s) => {
        tries.push(s);
        return connected;
      },
      intervalMs: 60_000,
      servers: async () => [],
    });
    try {
      await report.tick();
      await report.tick();
      connected = true;
      await report.tick();
      await report.tick();
      expect(tries).toHaveLength(3);
    } finally {
      report.stop();
    }
  });
});
