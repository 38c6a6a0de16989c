/**
 * Issue "Live load-balancer membership": real coordinator and agent processes on loopback, a real nats-server, the
 * kubeadm simulator's stand-in apiservers (HTTPS /healthz on 127.0.0.x:6443) as backends, and one real haproxy per
 * control-plane host, started from the haproxy.cfg its agent wrote, each with its own stats socket under that host's
 * root (where the agent's applier talks to it). While a load loop keeps opening new connections through every
 * frontend, master-2 is added and master-1 (the VIP holder) removed: no attempt may fail and every haproxy must end
 * with exactly the expected servers.
 *
 * Covered elsewhere, not repeated here: reordered and duplicated versions are ignored
 * (agent/lb/backend-mailbox.test.ts: one set at a time, only the newest of those offered meanwhile, older or equal
 * versions dropped), a disconnected agent converging on reconnect (backend-watch.test.ts, partition tests), and agent
 * credentials refused when publishing a backend set (backend-watch.test.ts / coordinator/nats/server.test.ts
 * permission tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainBackend, withBackends } from '../../core/backend-set.js';
import { HaproxyRuntime } from '../../agent/lb/haproxy-runtime.js';
import { StateStore } from '../../coordinator/state/store.js';
import { connectNats } from '../../lib/nats/connect.js';
import { silentLogger } from '../../lib/log.js';
import { HAPROXY_BINARY } from '../bench/haproxy-testbed.js';
import { ensureSimulatorBuilt, freePort } from '../kubeadm-sim/testing.js';
import { LoopbackCluster, type LoopbackHost } from './loopback-cluster.js';

const HOSTS: LoopbackHost[] = [
  { name: 'master-0', address: '127.0.0.11', role: 'control-plane' },
  { name: 'master-1', address: '127.0.0.12', role: 'control-plane' },
  { name: 'master-2', address: '127.0.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '127.0.0.21', role: 'worker' },
];
const VIP_LINE = '127.0.0.100/24';
const LB_FILES = [
  'etc/keepalived/keepalived.conf',
  'etc/keepalived/check_apiserver.sh',
  'etc/haproxy/haproxy.cfg',
  'etc/kubernetes/manifests/keepalived.yaml',
  'etc/kubernetes/manifests/haproxy.yaml',
  'etc/kubeadm-ha/cluster.json',
  'etc/kubeadm-ha/kubeadm.yaml',
];

/** A spec listing only `names`, in the order the harness writes every host. */
function specWith(c: LoopbackCluster, names: readonly string[]): string {
  return c
    .spec()
    .split('\n')
    .filter((line) => !/^\s+- \{ name: /.test(line) || names.some((n) => line.includes(`name: ${n},`)))
    .join('\n');
}

interface RunningHaproxy {
  readonly host: LoopbackHost;
  readonly child: ChildProcess;
  readonly runtime: HaproxyRuntime;
}

/** haproxy from the agent's own file, with only what must differ per loopback host rewritten: binds and socket paths. */
async function startHaproxy(c: LoopbackCluster, host: LoopbackHost): Promise<RunningHaproxy> {
  const root = c.root(host.name);
  const runDir = join(root, 'run/haproxy');
  mkdirSync(runDir, { recursive: true });
  const cfg = readFileSync(join(root, 'etc/haproxy/haproxy.cfg'), 'utf8')
    .replaceAll('/run/haproxy/', `${runDir}/`)
    .replace(/^(\s*bind\s+)\*:(\d+)/m, `$1${host.address}:$2`)
    .replace(/^(\s*bind\s+)127\.0\.0\.1:(\d+)/m, `$1${host.address}:$2`);
  expect(cfg).toContain(`stats socket ${runDir}/admin.sock`);
  const runtimeCfg = join(runDir, 'runtime.cfg');
  writeFileSync(runtimeCfg, cfg);
  const child = spawn(HAPROXY_BINARY!, ['-W', '-S', join(runDir, 'master.sock'), '-f', runtimeCfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (chunk: Buffer) => writeFileSync(join(c.logs, `haproxy-${host.name}.log`), chunk, { flag: 'a' }));
  const runtime = new HaproxyRuntime(join(runDir, 'admin.sock'));
  await c.waitFor(() => existsSync(join(runDir, 'admin.sock')), 10_000, `haproxy on ${host.name}`);
  return { host, child, runtime };
}

async function serverNames(h: RunningHaproxy): Promise<string[]> {
  return (await h.runtime.showServersState('kube-apiserver')).map((s) => s.name).sort();
}

function healthz(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path: '/healthz', method: 'GET', rejectUnauthorized: false, agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** New connections one after another through one frontend, until stopped or the time bound passes. */
class LoadLoop {
  ok = 0;
  readonly failures: string[] = [];
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    readonly address: string,
    port: number,
    maxMs: number,
  ) {
    const until = Date.now() + maxMs;
    this.done = (async () => {
      while (!this.stopped && Date.now() < until) {
        try {
          await healthz(address, port);
          this.ok++;
        } catch (err) {
          this.failures.push(`${new Date().toISOString()} ${address}: ${(err as Error).message}`);
        }
        await sleep(5);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/**
 * The VIP as clients see it: 127.0.0.100:8443 forwards each new connection to the frontend of whichever host holds
 * the VIP now (the haproxys bind their host's address so that several share loopback). kubectl on the masters goes
 * through it, as admin.conf points at the VIP.
 */
function startVip(holder: () => string): Promise<Server> {
  const server = createServer((client) => {
    const upstream = createConnection({ host: holder(), port: 8443 });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(8443, '127.0.0.100', () => resolve(server));
  });
}

const canRun = HAPROXY_BINARY !== undefined;

describe.skipIf(!canRun)('live load-balancer membership on loopback', () => {
  const c = new LoopbackCluster({ hosts: HOSTS });
  const haproxies = new Map<string, RunningHaproxy>();
  const loops = new Map<string, LoadLoop>();
  const fullSpecPath = join(c.dir, 'cluster-with-master-2.yaml');
  let keepalived: NodeJS.Timeout | undefined;
  let vipHolder = '127.0.0.11';
  let vip: Server | undefined;
  const ctl = (...args: string[]) => c.ctl(...args, '--admin-conf', c.adminConf);

  beforeAll(async () => {
    await ensureSimulatorBuilt();
    writeFileSync(c.specPath, specWith(c, ['master-0', 'master-1', 'worker-0']));
    writeFileSync(fullSpecPath, specWith(c, ['master-0', 'master-1', 'master-2', 'worker-0']));
    await c.startCoordinator();
    await c.createAgentConfig();
    for (const h of HOSTS) c.startAgent(h);
    const deployed = await c.ctl('deploy', '-f', c.specPath);
    expect(deployed.stderr).not.toMatch(/error/i);
    expect(deployed.code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    clearInterval(keepalived);
    vip?.close();
    for (const loop of loops.values()) await loop.stop();
    for (const h of haproxies.values()) {
      if (h.child.exitCode === null) {
        const exited = new Promise((r) => h.child.once('exit', r));
        h.child.kill('SIGTERM');
        await exited;
      }
    }
    await c.destroy();
  }, 60_000);

  it('adds master-2 and removes master-1 (the VIP holder) under load: no failed connection, exact servers everywhere', async () => {
    for (const name of ['master-0', 'master-1']) haproxies.set(name, await startHaproxy(c, HOSTS.find((h) => h.name === name)!));
    for (const h of haproxies.values()) expect(await serverNames(h)).toEqual(['master-0', 'master-1']);
    for (const h of haproxies.values()) loops.set(h.host.name, new LoadLoop(h.host.address, 8443, 150_000));
    vip = await startVip(() => vipHolder);

    const added = await ctl('add-node', '-f', fullSpecPath, '--node', 'master-2');
    expect(added.stderr).not.toMatch(/error/i);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('master-2 joined as control-plane');
    for (const h of haproxies.values()) expect(await serverNames(h)).toEqual(['master-0', 'master-1', 'master-2']);
    const m2 = await startHaproxy(c, HOSTS.find((h) => h.name === 'master-2')!);
    haproxies.set('master-2', m2);
    expect(await serverNames(m2)).toEqual(['master-0', 'master-1', 'master-2']);
    loops.set('master-2', new LoadLoop(m2.host.address, 8443, 150_000));

    // master-1 holds the VIP. The stand-in for keepalived: FAULT in its track file moves the VIP to master-0, and
    // clients (this load loop) stop reaching master-1's frontend, as they would through the VIP.
    const m1Root = c.root('master-1');
    mkdirSync(join(m1Root, 'run/kha-stub'), { recursive: true });
    writeFileSync(join(m1Root, 'run/kha-stub/addresses'), `${VIP_LINE}\n`);
    vipHolder = '127.0.0.12';
    let vipMovedAt = 0;
    keepalived = setInterval(() => {
      const track = join(m1Root, 'etc/keepalived/kubeadm-ha.track');
      if (vipMovedAt || !existsSync(track) || readFileSync(track, 'utf8').trim() !== '1') return;
      vipMovedAt = Date.now();
      vipHolder = '127.0.0.11';
      void loops.get('master-1')!.stop();
      writeFileSync(join(c.root('master-0'), 'run/kha-stub/addresses'), `${VIP_LINE}\n`, { flag: 'a' });
      writeFileSync(join(m1Root, 'run/kha-stub/addresses'), '');
    }, 50);
    await sleep(500);

    const removed = await ctl('remove-node', 'master-1');
    expect(removed.stderr).not.toMatch(/error/i);
    expect(removed.code).toBe(0);
    expect(vipMovedAt).toBeGreaterThan(0);
    expect(removed.stdout).toMatch(/a later `coordinatorctl deploy -f cluster.yaml` adds it back/);
    await sleep(500);
    for (const loop of loops.values()) await loop.stop();

    for (const [name, loop] of loops) {
      expect(loop.failures, `load through ${name}`).toEqual([]);
      expect(loop.ok, `load through ${name}`).toBeGreaterThan(20);
    }
    for (const name of ['master-0', 'master-2']) expect(await serverNames(haproxies.get(name)!), name).toEqual(['master-0', 'master-2']);
    const states = await haproxies.get('master-0')!.runtime.showServersState('kube-apiserver');
    expect(states.map((s) => `${s.name}=${s.address}:${s.port}`)).toEqual(['master-0=127.0.0.11:6443', 'master-2=127.0.0.13:6443']);

    // The removed node: no load-balancer or kubeadm-ha files, no VIP, its etcd member gone (kubeadm reset ran there).
    for (const file of LB_FILES) expect(existsSync(join(m1Root, file)), file).toBe(false);
    expect(readFileSync(join(m1Root, 'run/kha-stub/addresses'), 'utf8')).not.toContain('127.0.0.100');
    const resets = c.invocations().filter((i) => i.tool === 'kubeadm' && i.argv[0] === 'reset' && i.root === m1Root);
    expect(resets.length).toBe(1);
    const drains = c.invocations().filter((i) => i.tool === 'kubectl' && i.argv.includes('delete') && i.argv.includes('master-1'));
    expect(drains.length).toBeGreaterThan(0);

    const status = await c.ctl('status', '-o', 'json');
    const parsed = JSON.parse(status.stdout) as { status: { phases: { name: string }[] }; nodes: { name: string }[] };
    expect(parsed.nodes.map((n) => n.name)).not.toContain('master-1'); // its agent is revoked
  }, 240_000);

  it('removes a worker that carries a stray VIP: the VIP leaves its interface and its kubeadm.yaml goes', async () => {
    const root = c.root('worker-0');
    mkdirSync(join(root, 'run/kha-stub'), { recursive: true });
    writeFileSync(join(root, 'run/kha-stub/addresses'), `${VIP_LINE}\n`);
    expect(existsSync(join(root, 'etc/kubeadm-ha/kubeadm.yaml'))).toBe(true);
    const removed = await ctl('remove-node', 'worker-0');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('remove-vip');
    expect(readFileSync(join(root, 'run/kha-stub/addresses'), 'utf8')).not.toContain('127.0.0.100');
    expect(existsSync(join(root, 'etc/kubeadm-ha/kubeadm.yaml'))).toBe(false);
    // Its agent is revoked: no longer registered, and it stays out although it retries with its agent.yaml's token.
    await new Promise((r) => setTimeout(r, 1500));
    const nodes = JSON.parse((await ctl('nodes', '-o', 'json')).stdout) as { nodes: { name: string }[] };
    expect(nodes.nodes.map((x) => x.name)).not.toContain('worker-0');
    expect(removed.stdout).toMatch(/its agent is revoked/);
    // Again: removing a node twice is safe; the second finds it gone from the spec and revoked, and has nothing to do.
    const again = await ctl('remove-node', 'worker-0');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/worker-0 is already removed: .*nothing to do/);
  }, 120_000);

  it('refuses a node the cluster does not have', async () => {
    const r = await ctl('remove-node', 'no-such-node');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a node of cluster prod/);
  });

  it('status shows each load balancer applied version and the one lagging behind', async () => {
    const m2Agent = c.agents.get('master-2')!;
    const exited = new Promise((r) => m2Agent.once('exit', r));
    m2Agent.kill('SIGTERM');
    await exited;
    // A backend change while master-2's agent is away: published as the coordinator does, with its NATS identity.
    const natsPort = /"port":(\d+)[^\n]*nats-server ready/.exec(readFileSync(join(c.logs, 'coordinator.log'), 'utf8'))?.[1];
    expect(natsPort).toBeDefined();
    const credentials = { kind: 'creds' as const, creds: readFileSync(join(c.dataDir, 'nats', 'coordinator.creds')) };
    const nc = await connectNats(
      // The embedded server speaks TLS only, with a certificate from the coordinator's CA.
      { url: `tls://127.0.0.1:${natsPort}`, credentials, tls: { ca: readFileSync(join(c.dataDir, 'pki', 'ca.crt'), 'utf8') } },
      { name: 'membership-test', logger: silentLogger },
    );
    let version = 0;
    try {
      const store = await StateStore.open(nc);
      version = (await store.backendSets.update('prod', (s) => drainBackend(s, 'master-2'))).version;
    } finally {
      await nc.close();
    }
    let text = '';
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      text = (await c.ctl('status')).stdout;
      if (/master-0\s.*current/.test(text)) break;
      await sleep(200);
    }
    expect(text).toContain(`backend set v${version}`);
    expect(text).toMatch(new RegExp(`master-0\\s+control-plane\\s+yes\\s+yes\\s+v${version}\\s+current`));
    expect(text).toMatch(new RegExp(`master-2\\s+control-plane\\s+no\\s+yes\\s+v${version - 1}\\s+LAGGING \\(1 behind\\)`));
  }, 60_000);

  it('a restarted coordinator keeps its NATS port; restarted on another one, every load balancer follows the next backend set there', async () => {
    const natsPorts = () =>
      [...readFileSync(join(c.logs, 'coordinator.log'), 'utf8').matchAll(/"port":(\d+)[^\n]*nats-server ready/g)].map((m) => Number(m[1]));
    const first = natsPorts().at(-1)!;
    c.startAgent(HOSTS.find((h) => h.name === 'master-2')!);
    await c.stopCoordinator();
    await c.startCoordinatorWith([]);
    expect(natsPorts().at(-1)).toBe(first);

    // Forced elsewhere: the agents still hold the old URL in their registrations; the session start moves them.
    await c.stopCoordinator();
    const moved = await freePort('127.0.0.1');
    await c.startCoordinatorWith(['--nats-port', String(moved)]);
    expect(natsPorts().at(-1)).toBe(moved);
    const credentials = { kind: 'creds' as const, creds: readFileSync(join(c.dataDir, 'nats', 'coordinator.creds')) };
    const nc = await connectNats(
      { url: `tls://127.0.0.1:${moved}`, credentials, tls: { ca: readFileSync(join(c.dataDir, 'pki', 'ca.crt'), 'utf8') } },
      { name: 'membership-test', logger: silentLogger },
    );
    let version = 0;
    try {
      const store = await StateStore.open(nc);
      // master-2 back to active: a change every load balancer must apply.
      version = (
        await store.backendSets.update('prod', (s) =>
          withBackends(
            s,
            s.backends.map((b) => ({ ...b, state: 'active' as const })),
          ),
        )
      ).version;
    } finally {
      await nc.close();
    }
    let text = '';
    // status also asks every node for its certificates (up to 5 s), so each look takes longer than the change does.
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      text = (await c.ctl('status')).stdout;
      if (/master-0\s.*current/.test(text) && /master-2\s.*current/.test(text)) break;
      await sleep(250);
    }
    expect(text).toMatch(new RegExp(`master-0\\s+control-plane\\s+yes\\s+yes\\s+v${version}\\s+current`));
    expect(text).toMatch(new RegExp(`master-2\\s+control-plane\\s+yes\\s+yes\\s+v${version}\\s+current`));
    for (const name of ['master-0', 'master-2']) {
      const reg = JSON.parse(readFileSync(join(c.root(name), 'var/lib/kubeadm-ha/registration.json'), 'utf8')) as { natsUrl: string };
      expect({ name, natsUrl: reg.natsUrl }).toEqual({ name, natsUrl: `tls://127.0.0.1:${moved}` });
    }
  }, 120_000);
});
