import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import type { AgentLbStatus } from '../sessions.js';
import { createClusterMetrics, VipTransitions, vipHolder, type ClusterMetricsOptions } from './cluster-metrics.js';
import type { HealthSnapshot } from './health-poll.js';
import { startMetricsServer, type MetricsServer } from './server.js';

const lb = (holdsVip: boolean, vrrpState: AgentLbStatus['vrrpState'], servers: AgentLbStatus['servers'] = []): AgentLbStatus => ({
  loadBalancer: true,
  holdsVip,
  ...(vrrpState ? { vrrpState } : {}),
  servers,
  reportedAt: new Date(),
});
const up = (name: string) => ({ name, address: '198.18.0.1', port: 6443, state: 'running', admin: 'ready' });
const down = (name: string) => ({ name, address: '198.18.0.1', port: 6443, state: 'stopped', admin: 'ready' });
const drained = (name: string) => ({ name, address: '198.18.0.1', port: 6443, state: 'running', admin: 'drain' });

/** A cluster as the metrics see it, each part settable by the test. */
function cluster() {
  const world = {
    registered: ['master-0', 'master-1', 'master-2', 'worker-0'],
    connected: ['master-0', 'master-1', 'worker-0'],
    statuses: new Map<string, AgentLbStatus>(),
    applied: new Map<string, number>([
      ['master-0', 7],
      ['master-1', 6],
      ['worker-0', 0],
    ]),
    version: 7,
    running: undefined as string | undefined,
    record: undefined as unknown,
    health: {} as HealthSnapshot,
    listeners: [] as (() => void)[],
    failReads: false,
  };
  const read = async <T>(value: () => T): Promise<T> => {
    if (world.failReads) throw new Error('nats: no responders');
    return value();
  };
  const rt = {
    hub: {
      connectedAgents: () => world.connected.map((name) => ({ name })),
      lbStatuses: () => world.statuses,
      appliedLbVersions: () => world.applied,
    },
    registry: { list: () => read(() => world.registered.map((name) => ({ name }))) },
    backends: { current: () => read(() => ({ version: world.version })) },
    operations: { running: () => (world.running ? { kind: world.running } : undefined) },
    state: { operation: { get: () => read(() => (world.record ? { value: world.record } : undefined)) } },
  } as unknown as ClusterMetricsOptions['rt'];
  const metrics = createClusterMetrics({
    rt,
    health: () => world.health,
    onLbStatus: (l) => {
      world.listeners.push(l);
      return () => undefined;
    },
  });
  const report = (name: string, status: AgentLbStatus) => {
    world.statuses.set(name, status);
    for (const l of world.listeners) l();
  };
  return { world, metrics, report };
}

/** `name{a="b",c="d"} value` lines as a map from `name{a="b",c="d"}` to the value. */
async function scrape(metrics: { refresh(): Promise<string> }): Promise<Map<string, number>> {
  // refresh(): render() reuses a page for a second, and these tests change the cluster between scrapes.
  const text = await metrics.refresh();
  return new Map(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const at = l.lastIndexOf(' ');
        return [l.slice(0, at), Number(l.slice(at + 1))] as const;
      }),
  );
}

describe('the cluster as Prometheus series', () => {
  it('agents connected or not, by registered node', async () => {
    const { metrics } = cluster();
    const s = await scrape(metrics);
    expect(s.get('kubeadm_ha_agent_connected{node="master-0"}')).toBe(1);
    expect(s.get('kubeadm_ha_agent_connected{node="master-2"}')).toBe(0);
    expect(s.get('kubeadm_ha_agent_connected{node="worker-0"}')).toBe(1);
  });

  it('the VIP holder, each VRRP state, and haproxy backends as each load balancer sees them', async () => {
    const { metrics, report } = cluster();
    report('master-0', lb(true, 'MASTER', [up('master-0'), down('master-1'), drained('master-2')]));
    report('master-1', lb(false, 'BACKUP', [up('master-0')]));
    report('master-2', lb(false, undefined));
    const s = await scrape(metrics);
    expect(s.get('kubeadm_ha_vip_holder{node="master-0"}')).toBe(1);
    expect(s.get('kubeadm_ha_vip_holder{node="master-1"}')).toBe(0);
    expect(s.get('kubeadm_ha_vrrp_state{node="master-0",state="MASTER"}')).toBe(1);
    expect(s.get('kubeadm_ha_vrrp_state{node="master-0",state="BACKUP"}')).toBe(0);
    expect(s.get('kubeadm_ha_vrrp_state{node="master-1",state="BACKUP"}')).toBe(1);
    expect(s.get('kubeadm_ha_vrrp_state{node="master-1",state="FAULT"}')).toBe(0);
    // Unknown (keepalived killed, or not said yet): no series rather than a guess.
    expect([...s.keys()].some((k) => k.startsWith('kubeadm_ha_vrrp_state{node="master-2"'))).toBe(false);
    expect(s.get('kubeadm_ha_lb_backend_up{node="master-0",backend="master-0"}')).toBe(1);
    expect(s.get('kubeadm_ha_lb_backend_up{node="master-0",backend="master-1"}')).toBe(0);
    expect(s.get('kubeadm_ha_lb_backend_up{node="master-0",backend="master-2"}')).toBe(0);
    expect(s.get('kubeadm_ha_lb_backend_up{node="master-1",backend="master-0"}')).toBe(1);
  });

  it('counts VIP moves and stamps the last one; the first holder seen is not a move', async () => {
    const { metrics, report } = cluster();
    report('master-0', lb(true, 'MASTER'));
    let s = await scrape(metrics);
    expect(s.get('kubeadm_ha_vip_transitions_total')).toBe(0);
    expect(s.has('kubeadm_ha_vip_last_transition_timestamp_seconds')).toBe(false);
    // The holder fails: for a moment nobody has it, then master-1 does.
    const before = Date.now() / 1000;
    report('master-0', lb(false, 'FAULT'));
    report('master-1', lb(true, 'MASTER'));
    s = await scrape(metrics);
    expect(s.get('kubeadm_ha_vip_transitions_total')).toBe(1);
    expect(s.get('kubeadm_ha_vip_last_transition_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(before));
    // Back to master-0 (preempt).
    report('master-1', lb(false, 'BACKUP'));
    report('master-0', lb(true, 'MASTER'));
    expect((await scrape(metrics)).get('kubeadm_ha_vip_transitions_total')).toBe(2);
  });

  it('two nodes claiming the VIP at once is no holder, and no move', () => {
    const t = new VipTransitions();
    const both = new Map([
      ['master-0', lb(true, 'MASTER')],
      ['master-1', lb(true, 'MASTER')],
    ]);
    expect(vipHolder(both)).toBeUndefined();
    expect(t.observe('master-0')).toBe(false);
    expect(t.observe(vipHolder(both))).toBe(false);
    expect(t.observe('master-0')).toBe(false);
    expect(t.count).toBe(0);
  });

  it('the published backend-set version and what each load balancer applied (a worker that applies none is left out)', async () => {
    const { metrics, report } = cluster();
    report('master-0', lb(true, 'MASTER'));
    const s = await scrape(metrics);
    expect(s.get('kubeadm_ha_backend_set_version')).toBe(7);
    expect(s.get('kubeadm_ha_lb_applied_version{node="master-0"}')).toBe(7);
    expect(s.get('kubeadm_ha_lb_applied_version{node="master-1"}')).toBe(6);
    expect(s.has('kubeadm_ha_lb_applied_version{node="worker-0"}')).toBe(false);
  });

  it('etcd members and leader, certificates, from the last health poll', async () => {
    const { world, metrics } = cluster();
    let s = await scrape(metrics);
    expect(s.has('kubeadm_ha_etcd_has_leader')).toBe(false);
    world.health = {
      etcd: {
        at: new Date(),
        leaderId: '8e9e05c52164694d',
        members: [
          { name: 'master-0', id: '1', peerUrl: '', leader: true, learner: false, dbSize: 0, dbQuota: 0, health: 'healthy', alarms: [], node: 'master-0' },
          {
            name: 'master-1',
            id: '2',
            peerUrl: '',
            leader: false,
            learner: false,
            dbSize: 0,
            dbQuota: 0,
            health: 'context deadline exceeded',
            alarms: [],
            node: 'master-1',
          },
        ],
      },
      certificates: [
        {
          node: 'master-0',
          certificate: 'apiserver',
          notAfter: '2027-12-05T10:00:00Z',
          authority: 'ca',
          missing: false,
          expiringSoon: false,
          externallyManaged: false,
        },
        { node: 'master-0', certificate: 'front-proxy-client', notAfter: '', authority: '', missing: true, expiringSoon: false, externallyManaged: false },
        {
          node: 'coordinator',
          certificate: 'admin.conf',
          notAfter: '2027-06-01T00:00:00Z',
          authority: '',
          missing: false,
          expiringSoon: false,
          externallyManaged: false,
        },
      ],
    };
    s = await scrape(metrics);
    expect(s.get('kubeadm_ha_etcd_has_leader')).toBe(1);
    expect(s.get('kubeadm_ha_etcd_member_healthy{node="master-0"}')).toBe(1);
    expect(s.get('kubeadm_ha_etcd_member_healthy{node="master-1"}')).toBe(0);
    expect(s.get('kubeadm_ha_certificate_expiry_timestamp_seconds{node="master-0",certificate="apiserver"}')).toBe(Date.parse('2027-12-05T10:00:00Z') / 1000);
    expect(s.get('kubeadm_ha_certificate_expiry_timestamp_seconds{node="coordinator",certificate="admin.conf"}')).toBe(
      Date.parse('2027-06-01T00:00:00Z') / 1000,
    );
    expect(s.has('kubeadm_ha_certificate_expiry_timestamp_seconds{node="master-0",certificate="front-proxy-client"}')).toBe(false);
    world.health = { etcd: { at: new Date(), members: [] } };
    expect((await scrape(metrics)).get('kubeadm_ha_etcd_has_leader')).toBe(0);
  });

  it("operations: which runs (a record waiting to resume counts), and each kind's last success, kept past the history", async () => {
    const { world, metrics } = cluster();
    const history = (kind: string, status: string, finishedAt: string) => ({ kind, key: 'x', status, startedAt: finishedAt, finishedAt });
    world.record = {
      kind: 'upgrade',
      key: 'v1.32.0',
      status: 'running',
      history: [history('deploy', 'succeeded', '2026-12-01T10:00:00Z'), history('certs-renew', 'failed', '2026-12-02T10:00:00Z')],
    };
    let s = await scrape(metrics);
    expect(s.get('kubeadm_ha_operation_running{operation="upgrade"}')).toBe(1);
    expect(s.get('kubeadm_ha_operation_running{operation="deploy"}')).toBe(0);
    expect(s.get('kubeadm_ha_operation_last_success_timestamp_seconds{operation="deploy"}')).toBe(Date.parse('2026-12-01T10:00:00Z') / 1000);
    expect(s.has('kubeadm_ha_operation_last_success_timestamp_seconds{operation="certs-renew"}')).toBe(false);
    // The deploy drops out of the 20-entry history: its last success stays.
    world.record = { kind: 'upgrade', key: 'v1.32.0', status: 'succeeded', history: [history('upgrade', 'succeeded', '2026-12-03T10:00:00Z')] };
    world.running = 'remove-node';
    s = await scrape(metrics);
    expect(s.get('kubeadm_ha_operation_running{operation="remove-node"}')).toBe(1);
    expect(s.get('kubeadm_ha_operation_running{operation="upgrade"}')).toBe(0);
    expect(s.get('kubeadm_ha_operation_last_success_timestamp_seconds{operation="deploy"}')).toBe(Date.parse('2026-12-01T10:00:00Z') / 1000);
    expect(s.get('kubeadm_ha_operation_last_success_timestamp_seconds{operation="upgrade"}')).toBe(Date.parse('2026-12-03T10:00:00Z') / 1000);
  });
});

describe('rendering', () => {
  it('reuses one page for a second, so scrapes cannot turn into NATS reads at will', async () => {
    const { world, metrics } = cluster();
    const first = await Promise.all([metrics.render(), metrics.render(), metrics.render()]);
    world.version = 8;
    const again = await metrics.render();
    expect(new Set([...first, again]).size).toBe(1);
    expect(again).toContain('kubeadm_ha_backend_set_version 7');
    // The registry itself sees the change: it is the reuse that held the old page.
    expect(await metrics.refresh()).toContain('kubeadm_ha_backend_set_version 8');
  });

  it('a state it cannot read (NATS away) leaves those series out; the page still answers', async () => {
    const { world, metrics } = cluster();
    world.failReads = true;
    const text = await metrics.refresh();
    expect(text).not.toMatch(/^kubeadm_ha_backend_set_version /m);
    expect(text).not.toMatch(/^kubeadm_ha_agent_connected\{/m);
    expect(text).toMatch(/^kubeadm_ha_operation_running\{operation="deploy"\} 0$/m);
  });
});

describe('the metrics endpoint', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const get = (port: number, path: string, method = 'GET') =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves the text format at /metrics, and nothing else', async () => {
    const { metrics } = cluster();
    server = await startMetricsServer('127.0.0.1:0', metrics, silentLogger);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const ok = await get(server.port, '/metrics');
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(ok.body).toContain('# TYPE kubeadm_ha_vip_transitions_total counter');
    expect(ok.body).toContain('kubeadm_ha_backend_set_version 7');
    expect((await get(server.port, '/')).status).toBe(404);
    expect((await get(server.port, '/metrics', 'POST')).status).toBe(405);
  });

  it('a scrape whose state cannot be read is a 500 with no detail', async () => {
    server = await startMetricsServer(
      '127.0.0.1:0',
      { contentType: 'text/plain', render: async () => Promise.reject(new Error('KV down: secret-ish detail')) },
      silentLogger,
    );
    const r = await get(server.port, '/metrics');
    expect(r.status).toBe(500);
    expect(r.body).not.toContain('secret-ish');
  });

  it('refuses an address it cannot listen on', async () => {
    const { metrics } = cluster();
    await expect(startMetricsServer('198.18.255.254:9444', metrics, silentLogger)).rejects.toThrow(/EADDRNOTAVAIL/);
    await expect(startMetricsServer('nonsense', metrics, silentLogger)).rejects.toThrow(/not host:port/);
  });
});
