/**
 * Issue 13: maintenance without downtime, in namespaces with real keepalived, haproxy, etcd and VRRP. Certificates
 * live 20 days here (KUBEADM_SIM_CERT_VALIDITY), so `certs check` flags them; `certs renew` then renews every
 * control-plane node, one at a time inside the maintenance window, while a worker keeps opening new connections
 * through the VIP and keeps a watch-like stream open through it: no request fails, and no stream breaks (a stream the
 * apiserver finishes during its graceful shutdown is reopened, as an informer does).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeE2E } from '../netns/describe-e2e.js';
import { httpGetFrom, loadUntilStopped, watchLoop, type WatchLoopResult } from '../netns/http-client.js';
import { ensureBuilt } from './build.js';
import { COORDINATOR_ADDRESS, COORDINATOR_PORT, E2eCluster, LB_PORT, type CtlResult, type E2eHost } from './cluster.js';

const HOSTS: E2eHost[] = [
  { name: 'master-0', address: '198.18.0.11', role: 'control-plane' },
  { name: 'master-1', address: '198.18.0.12', role: 'control-plane' },
  { name: 'master-2', address: '198.18.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '198.18.0.21', role: 'worker' },
];
const MASTERS = HOSTS.filter((h) => h.role === 'control-plane').map((h) => h.name);
const LOAD_FROM = 'worker-0';
const LOAD_CHUNK_MS = 4000;

interface Row {
  node: string;
  certificate: string;
  notAfter: string;
  expiringSoon: boolean;
  missing: boolean;
}

/** Load through the VIP until stopped: new connections every 10 ms, and one watch held across the whole operation. */
function startLoad(c: E2eCluster) {
  let stopped = false;
  const admin = parse(readFileSync(join(c.root('master-0'), 'etc/kubernetes/admin.conf'), 'utf8')) as {
    users: { user: Record<string, string> }[];
    clusters: { cluster: Record<string, string> }[];
  };
  const decode = (b64: string) => Buffer.from(b64, 'base64').toString();
  const load = loadUntilStopped({
    lab: c.lab,
    fromHost: LOAD_FROM,
    url: `https://${c.vip}:${LB_PORT}/healthz`,
    durationMs: LOAD_CHUNK_MS,
    intervalMs: 10,
    requestTimeoutMs: 5000,
  });
  const stopFile = join(c.dir, `stop-watch-${Date.now()}`);
  const watches: WatchLoopResult[] = [];
  const watch = (async () => {
    while (!stopped) {
      watches.push(
        await watchLoop({
          stopFile,
          lab: c.lab,
          fromHost: LOAD_FROM,
          url: `https://${c.vip}:${LB_PORT}/api/v1/namespaces/default/configmaps?watch=true`,
          ca: decode(admin.clusters[0]!.cluster['certificate-authority-data']!),
          cert: decode(admin.users[0]!.user['client-certificate-data']!),
          key: decode(admin.users[0]!.user['client-key-data']!),
          durationMs: 600_000,
        }),
      );
    }
  })();
  return {
    async stop() {
      stopped = true;
      writeFileSync(stopFile, '');
      const [loads] = await Promise.all([load.stop(), watch]);
      return {
        ok: loads.reduce((n, r) => n + r.ok, 0),
        errors: loads.flatMap((r) => r.errors.map((e) => `${new Date(r.startedAtEpochMs + e.atMs).toISOString()} ${e.message}`)),
        events: watches.reduce((n, w) => n + w.events, 0),
        reopened: watches.reduce((n, w) => n + w.endedCleanly, 0),
        watchErrors: watches.flatMap((w) => w.errors.map((e) => `${new Date(w.startedAtEpochMs + e.atMs).toISOString()} ${e.message}`)),
      };
    },
  };
}

/** KHA_E2E_VERBOSE: the coordinators' window and backend-set lines, for reading a failure's timeline. */
function printWindowLog(c: E2eCluster): void {
  for (const f of readdirSync(c.logs()).filter((x) => x.startsWith('coordinator'))) {
    for (const line of readFileSync(join(c.logs(), f), 'utf8').split('\n')) {
      if (!/certs-renew|window|backend set/.test(line)) continue;
      try {
        const o = JSON.parse(line) as { time: number; msg: string; host?: string };
        console.log(new Date(o.time).toISOString(), o.host ?? '', o.msg.slice(0, 160));
      } catch {
        // not JSON
      }
    }
  }
}

describeE2E('e2e: upgrade v1.31.4 → v1.32.0, every node behind its drain, under load', () => {
  let c: E2eCluster;
  const UPGRADE_HOSTS: E2eHost[] = [...HOSTS, { name: 'worker-1', address: '198.18.0.22', role: 'worker' }];

  beforeAll(async () => {
    await ensureBuilt();
    c = await E2eCluster.create({
      name: 'e2e-upgrade',
      hosts: UPGRADE_HOSTS,
      agentEnv: { KUBEADM_SIM_PACKAGE_VERSIONS: '1.31.4 1.32.0' },
      coordinatorArgs: ['--drain-timeout', '5s'],
    });
    // Debian hosts: the agent picks apt for the packages.
    for (const h of UPGRADE_HOSTS) {
      mkdirSync(join(c.root(h.name), 'etc'), { recursive: true });
      writeFileSync(join(c.root(h.name), 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
    }
    await c.bringUp();
    const r = await c.deploy();
    if (r.code !== 0) throw new Error(`deploy failed (logs in ${c.logs()}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  }, 300_000);

  afterAll(async () => {
    await c?.destroy();
  }, 120_000);

  it('refuses a skip of two minors, naming the rule', async () => {
    const r = await c.ctl(['upgrade', '--to', 'v1.33.0']);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/one minor version at a time: v1\.31\.4 → v1\.33\.0 skips a minor/);
  }, 120_000);

  it('refuses while a node is NotReady (its kubelet stopped), naming the rule and the node', async () => {
    const worker = UPGRADE_HOSTS.find((h) => h.name === 'worker-1')!;
    const systemctl = (action: string) => c.lab.exec(worker.name, 'systemctl', [action, 'kubelet'], { env: c.agentEnv(worker), reject: false });
    expect((await systemctl('stop')).exitCode).toBe(0);
    let r: CtlResult;
    try {
      r = await c.ctl(['upgrade', '--to', 'v1.32.0']);
    } finally {
      expect((await systemctl('start')).exitCode).toBe(0);
    }
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain('refusing to upgrade to v1.32.0:');
    expect(`${r.stdout}${r.stderr}`).toContain('  - every node Ready: worker-1 is not Ready');
    // Refused before any node was touched: nothing installed, no window opened.
    expect(r.stdout).not.toMatch(/maintenance window opens|\[upgrade-control-plane\]/);
    for (const h of UPGRADE_HOSTS) {
      const installed = join(c.root(h.name), 'var/lib/kubeadm-sim/packages/kubeadm');
      expect(existsSync(installed) ? readFileSync(installed, 'utf8') : 'none', h.name).not.toContain('1.32.0');
    }
  }, 120_000);

  it('upgrades every node with no failed request and no broken watch; every node runs v1.32.0 afterwards', async () => {
    const load = startLoad(c);
    // ctl never throws (it returns the exit code), so the load always stops.
    const upgraded = await c.ctl(['upgrade', '--to', 'v1.32.0'], 900_000);
    const result = await load.stop();
    if (upgraded.code !== 0) console.error(upgraded.stdout.slice(-6000), upgraded.stderr.slice(-2000), '\nlogs in', c.logs());
    expect(upgraded.code).toBe(0);
    console.log(`upgrade: load ${result.ok} ok, ${result.errors.length} failed; watch ${result.events} events, ${result.reopened} reopened`);
    expect(result.errors).toEqual([]);
    expect(result.watchErrors).toEqual([]);
    const nodes = await c.lab.exec('master-0', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '-o', 'json'], {
      env: c.agentEnv(HOSTS[0]!),
      reject: false,
    });
    expect(nodes.exitCode, nodes.stderr).toBe(0);
    const versions = (JSON.parse(nodes.stdout) as { items: { metadata: { name: string }; status: { nodeInfo: { kubeletVersion: string } } }[] }).items.map(
      (n) => `${n.metadata.name} ${n.status.nodeInfo.kubeletVersion}`,
    );
    expect(versions.sort()).toEqual(UPGRADE_HOSTS.map((h) => `${h.name} v1.32.0`).sort());
    const version = await httpGetFrom(c.lab, LOAD_FROM, `https://${c.vip}:${LB_PORT}/version`, { timeoutMs: 3000 });
    expect((JSON.parse(version.body) as { gitVersion: string }).gitVersion).toBe('v1.32.0');
    for (const m of MASTERS) expect(readFileSync(join(c.root(m), 'etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8')).toContain('kube-apiserver:v1.32.0');
    expect(await c.lab.whoHolds(c.vip)).toHaveLength(1);
    const verified = await c.ctl(['verify']);
    expect(verified.code, `${verified.stdout}${verified.stderr}`).toBe(0);
  }, 900_000);
});

describeE2E('e2e: certificate renewal behind the maintenance window, under load', () => {
  let c: E2eCluster;
  const all = (r: CtlResult) => `${r.stdout}\n${r.stderr}`;
  const check = async () => {
    const r = await c.ctl(['certs', 'check', '-o', 'json']);
    return { code: r.code, rows: (JSON.parse(r.stdout) as { rows: Row[] }).rows };
  };

  /** The certificate a node's apiserver serves right now, read from that node: its serial and notAfter (to the second). */
  const served = async (host: E2eHost) => {
    const script = `const s=require('node:tls').connect({host:'${host.address}',port:6443,rejectUnauthorized:false},()=>{const c=s.getPeerX509Certificate();console.log(JSON.stringify({serial:c.serialNumber,notAfter:c.validTo}));s.destroy();});`;
    const r = await c.lab.exec(host.name, process.execPath, ['-e', script], { reject: false, timeoutMs: 10_000 });
    return JSON.parse(r.stdout.trim()) as { serial: string; notAfter: string };
  };

  beforeAll(async () => {
    await ensureBuilt();
    // A load balancer that lags fails its window after 20 s instead of the default 60 s (the last test waits for that),
    // and a window waits 5 s, not 15 s, for the held watch: CI time, the same behaviour.
    c = await E2eCluster.create({
      name: 'e2e-maint',
      hosts: HOSTS,
      agentEnv: { KUBEADM_SIM_CERT_VALIDITY: '480h' },
      coordinatorArgs: ['--lb-apply-timeout', '20s', '--drain-timeout', '5s'],
    });
    await c.bringUp();
    const r = await c.deploy();
    if (r.code !== 0) throw new Error(`deploy failed (logs in ${c.logs()}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  }, 300_000);

  afterAll(async () => {
    await c?.destroy();
  }, 120_000);

  it("certs check: every node's kubeadm and kubelet certificates and the coordinator's, those within 30 days flagged", async () => {
    const { code, rows } = await check();
    expect(code).toBe(1);
    for (const m of MASTERS) {
      const apiserver = rows.find((r) => r.node === m && r.certificate === 'apiserver');
      expect(apiserver?.expiringSoon, m).toBe(true);
      expect(rows.some((r) => r.node === m && r.certificate === 'etcd-peer')).toBe(true);
      expect(rows.find((r) => r.node === m && r.certificate === 'ca')?.expiringSoon).toBe(false);
    }
    // Joined control-plane nodes have no super-admin.conf (kubeadm writes it on the init node only).
    expect(rows.filter((r) => r.certificate === 'super-admin.conf' && r.missing).map((r) => r.node)).toEqual(['master-1', 'master-2']);
    expect(rows.some((r) => r.node === 'worker-0' && r.certificate === 'kubelet-client')).toBe(true);
    expect(rows.some((r) => r.node === 'coordinator' && r.certificate.startsWith('agent '))).toBe(true);
    // status flags them too, with what to do.
    const status = await c.ctl(['status']);
    expect(status.code).toBe(0);
    for (const m of MASTERS)
      expect(status.stderr).toMatch(new RegExp(`${m}: apiserver expires at \\S+, within 30 days: coordinatorctl certs renew --node ${m}`));
    expect(status.stdout).toMatch(/NODE CERTS/);
    expect(status.stdout).toMatch(/^master-0 .*EXPIRING *$/m);
  }, 120_000);

  it('certs renew: every control-plane node renewed one at a time behind its drain; no request fails and no watch breaks', async () => {
    const masters = HOSTS.filter((h) => h.role === 'control-plane');
    const before = await Promise.all(masters.map(served));
    // One watch for the whole renewal, as an informer keeps one: the node it is pinned to waits out the drain timeout
    // with it open, then its apiserver's graceful shutdown finishes it.
    const load = startLoad(c);
    // ctl never throws (it returns the exit code), so the load always stops.
    const renewed = await c.ctl(['certs', 'renew'], 900_000);
    const result = await load.stop();
    if (renewed.code !== 0) console.error(renewed.stdout.slice(-6000), renewed.stderr.slice(-2000), '\nlogs in', c.logs());
    if (process.env.KHA_E2E_VERBOSE) printWindowLog(c);
    expect(renewed.code).toBe(0);
    console.log(
      `certs renew: load ${result.ok} ok, ${result.errors.length} failed; watch ${result.events} events, ${result.reopened} streams finished by the server and reopened`,
    );
    expect(result.errors).toEqual([]);
    expect(result.watchErrors).toEqual([]);
    expect(result.ok).toBeGreaterThan(50);
    // The watch really went through a restart: its apiserver finished it and it was opened again elsewhere.
    expect(result.reopened).toBeGreaterThanOrEqual(1);
    // The window of the node holding it waited --drain-timeout (5s here), then went on.
    expect(renewed.stdout).toMatch(/session\(s\) still open after 5000 ms/);
    // The windows ran one after another, never two at once.
    const opens = renewed.stdout.split('\n').filter((l) => /maintenance window (opens|closed)/.test(l));
    expect(opens.map((l) => /\[certs-renew-control-plane (\S+)\]/.exec(l)?.[1] + (l.includes('opens') ? ' open' : ' close'))).toEqual(
      MASTERS.flatMap((m) => [`${m} open`, `${m} close`]),
    );
    const after = await Promise.all(masters.map(served));
    masters.forEach((m, i) => {
      expect(after[i]!.serial, m.name).not.toBe(before[i]!.serial);
      expect(Date.parse(after[i]!.notAfter), m.name).toBeGreaterThan(Date.parse(before[i]!.notAfter));
    });
    // Every backend active and UP on every haproxy, one VIP holder, etcd healthy.
    for (const m of MASTERS) {
      await c.waitFor(async () => Object.values(await c.backendStates(m)).every((s) => s === 'UP'), 20_000, `every backend UP on ${m}`);
      expect(Object.keys(await c.backendStates(m)).sort()).toEqual(MASTERS);
    }
    expect(await c.lab.whoHolds(c.vip)).toHaveLength(1);
    const etcd = JSON.parse((await c.ctl(['etcd', 'status', '-o', 'json'])).stdout) as { healthy: boolean; problems: string[] };
    expect(etcd).toMatchObject({ healthy: true, problems: [] });
    const verified = await c.ctl(['verify']);
    expect(verified.code, all(verified)).toBe(0);
  }, 900_000);

  it("a coordinator SIGKILLed inside master-1's window: the restarted one resumes the renewal and finishes it; no request fails", async () => {
    const masters = HOSTS.filter((h) => h.role === 'control-plane');
    const before = await Promise.all(masters.map(served));
    // The coordinator's log from where this renewal begins: the running one's also holds the earlier renewal's.
    const logFrom = c.coordinator!.readLog().length;
    const insideWindow = (node: string) => {
      const log = c.coordinator!.readLog().slice(logFrom);
      const opened = log.search(new RegExp(`"host":"${node}"[^\\n]*maintenance window opens`));
      return opened >= 0 && /"phase":"window-work"[^\n]*"kind":"phase-start"|"kind":"phase-start"[^\n]*"phase":"window-work"/.test(log.slice(opened));
    };
    const load = startLoad(c);
    let cut: CtlResult;
    let resumed: CtlResult;
    let result: Awaited<ReturnType<ReturnType<typeof startLoad>['stop']>>;
    try {
      const first = c.ctl(['certs', 'renew'], 900_000);
      // Killed at the start of master-1's work: drained on every haproxy, the VIP elsewhere, its certificates not yet renewed.
      await c.waitFor(
        () => insideWindow('master-1'),
        600_000,
        "the renewal to reach master-1's work",
        () => c.coordinator!.running(),
      );
      await c.coordinator!.signal('SIGKILL');
      await c.coordinator!.exited;
      cut = await first;
      await c.startCoordinator();
      // The same command again attaches to the renewal the restarted coordinator resumed by itself.
      resumed = await c.ctl(['certs', 'renew'], 900_000);
    } finally {
      result = await load.stop();
    }
    if (resumed.code !== 0) console.error(resumed.stdout.slice(-6000), resumed.stderr.slice(-2000), '\nlogs in', c.logs());
    if (process.env.KHA_E2E_VERBOSE) printWindowLog(c);
    console.log(
      `certs renew, SIGKILLed inside master-1's window: load ${result.ok} ok, ${result.errors.length} failed; watch ${result.events} events, ${result.reopened} reopened`,
    );
    // The client saw its stream cut by the kill.
    expect(cut.code).not.toBe(0);
    expect(resumed.code).toBe(0);
    expect(result.errors).toEqual([]);
    expect(result.watchErrors).toEqual([]);
    expect(result.ok).toBeGreaterThan(50);
    // The resumed renewal skipped master-0 (renewed before the kill), went through master-1's window again and then master-2's.
    const log = c.coordinator!.readLog();
    expect(log).toMatch(/"host":"master-0"[^\n]*already renewed and back in service/);
    for (const m of ['master-1', 'master-2']) expect(log).toMatch(new RegExp(`"host":"${m}"[^\\n]*maintenance window closed`));
    const after = await Promise.all(masters.map(served));
    for (const [i, m] of masters.entries()) expect(after[i]!.serial, m.name).not.toBe(before[i]!.serial);
    for (const m of MASTERS) {
      await c.waitFor(async () => Object.values(await c.backendStates(m)).every((s) => s === 'UP'), 20_000, `every backend UP on ${m}`);
      expect(Object.keys(await c.backendStates(m)).sort()).toEqual(MASTERS);
    }
    expect(await c.lab.whoHolds(c.vip)).toHaveLength(1);
    const verified = await c.ctl(['verify']);
    expect(verified.code, all(verified)).toBe(0);
  }, 900_000);

  it('a load balancer that stops hearing the backend set: the window fails and leaves its node drained, upgrade refuses the lagging one, and the same renewal finishes once it catches up', async () => {
    // master-2's agent keeps its gRPC session with the coordinator but loses NATS, where the backend sets come from:
    // both ways, or a set the server pushes could still arrive (only its acknowledgement would be lost).
    const nft = (...args: string[]) => c.lab.exec('master-2', '/usr/sbin/nft', args, { reject: false });
    for (const args of [
      ['add', 'table', 'inet', 'kha_e2e_lag'],
      ['add', 'chain', 'inet', 'kha_e2e_lag', 'out', '{ type filter hook output priority 0 ; }'],
      ['add', 'rule', 'inet', 'kha_e2e_lag', 'out', 'ip', 'daddr', COORDINATOR_ADDRESS, 'tcp', 'dport', '!=', String(COORDINATOR_PORT), 'drop'],
      ['add', 'chain', 'inet', 'kha_e2e_lag', 'in', '{ type filter hook input priority 0 ; }'],
      ['add', 'rule', 'inet', 'kha_e2e_lag', 'in', 'ip', 'saddr', COORDINATOR_ADDRESS, 'tcp', 'sport', '!=', String(COORDINATOR_PORT), 'drop'],
    ]) {
      const r = await nft(...args);
      expect(r.exitCode, `nft ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    let failed: CtlResult;
    let refused: CtlResult;
    try {
      failed = await c.ctl(['certs', 'renew', '--node', 'master-0'], 300_000);
      refused = await c.ctl(['upgrade', '--to', 'v1.32.0']);
    } finally {
      expect((await nft('delete', 'table', 'inet', 'kha_e2e_lag')).exitCode).toBe(0);
    }
    if (process.env.KHA_E2E_VERBOSE) console.log(`the renewal with master-2 cut off from NATS:\n${failed.stdout.slice(-2500)}${failed.stderr.slice(-1000)}`);
    // The window stopped at the drain, said what it left and how to go on.
    expect(failed.code).not.toBe(0);
    expect(all(failed)).toMatch(/master-2/);
    expect(all(failed)).toContain('master-0 is left drained');
    expect(all(failed)).toContain('run the same `coordinatorctl certs renew` again');
    expect(refused.code).not.toBe(0);
    expect(all(refused)).toMatch(/refusing to upgrade to v1\.32\.0:\n(.*\n)* {2}- load balancers current: master-2 runs backend set v\d+, not v\d+/);
    // master-0 drained where the set arrived (master-2's haproxy still sends it connections).
    await c.waitFor(async () => (await c.backendStates('master-0'))['master-0'] !== 'UP', 20_000, "master-0's haproxy to drain master-0");
    // Once master-2 hears NATS again it catches up, and the same renewal goes through master-0's window again.
    await c.waitFor(async () => (await c.backendStates('master-2'))['master-0'] !== 'UP', 120_000, "master-2's haproxy to drain master-0");
    const renewed = await c.ctl(['certs', 'renew', '--node', 'master-0'], 300_000);
    expect(renewed.code, all(renewed)).toBe(0);
    expect(renewed.stdout).toContain('maintenance window closed');
    for (const m of MASTERS) await c.waitFor(async () => Object.values(await c.backendStates(m)).every((s) => s === 'UP'), 30_000, `every backend UP on ${m}`);
    expect((await c.healthz(LOAD_FROM, 3000)).status).toBe(200);
    // status lists each operation, newest first: the renewal, the refused upgrade, the renewal that failed.
    const status = JSON.parse((await c.ctl(['status', '-o', 'json'])).stdout) as { status: { operations: { kind: string; key: string; status: string }[] } };
    expect(status.status.operations.slice(0, 3).map((o) => `${o.kind} ${o.key} ${o.status}`)).toEqual([
      'certs-renew master-0 succeeded',
      'upgrade v1.32.0 failed',
      'certs-renew master-0 failed',
    ]);
  }, 600_000);
});
