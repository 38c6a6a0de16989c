/**
 * Issue "Agent and coordinator": a coordinator and five agent processes (3 control-plane, 2 workers) over real gRPC
 * with TLS on loopback, a real nats-server, and the kubeadm simulator. Checks order, freshness of credentials,
 * files and modes, idempotence, resume after a coordinator crash, refusals, and that no secret leaks.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../core/agent-config.js';
import { ensureSimulatorBuilt } from '../kubeadm-sim/testing.js';
import { LoopbackCluster, type LoopbackHost } from './loopback-cluster.js';

const HOSTS: LoopbackHost[] = [
  { name: 'master-0', address: '127.0.0.11', role: 'control-plane' },
  { name: 'master-1', address: '127.0.0.12', role: 'control-plane' },
  { name: 'master-2', address: '127.0.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '127.0.0.21', role: 'worker' },
  { name: 'worker-1', address: '127.0.0.22', role: 'worker' },
];

type Invocation = ReturnType<LoopbackCluster['invocations']>[number];
const kubeadm = (inv: Invocation[], ...words: string[]) => inv.filter((i) => i.tool === 'kubeadm' && words.every((w, k) => i.argv[k] === w));
const hostOf = (c: LoopbackCluster, i: Invocation) => HOSTS.find((h) => i.root === c.root(h.name))?.name;
const overlaps = (a: Invocation, b: Invocation) => a.ts_start < b.ts_end && b.ts_start < a.ts_end;

function walk(dir: string): string[] {
  let out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('deploy: 3 control-plane + 2 workers over gRPC/TLS with a real nats-server', () => {
  // Certificate keys expire 1.5 s after upload, and each control-plane join takes over a second: the key kubeadm init
  // uploaded is long gone when the last master joins, so the deploy only works because it re-uploads before each join.
  const cluster = new LoopbackCluster({
    hosts: HOSTS,
    agentEnv: { KUBEADM_SIM_DELAY_JOIN_CP_MS: '1000', KUBEADM_SIM_DELAY_JOIN_WORKER_MS: '1000', KUBEADM_SIM_CERT_KEY_TTL_MS: '1500' },
  });
  let deploy: { code: number; stdout: string; stderr: string };
  let dryRun: { code: number; stdout: string; stderr: string };
  let filesBeforeDryRun: string[] = [];
  let filesAfterDryRun: string[] = [];
  let invocationsAfterDryRun = -1;

  // What a deploy writes on a host (the agents' own state and the stubs' run files are theirs).
  const deployedFiles = () =>
    walk(join(cluster.dir, 'hosts')).filter((f) =>
      /\/hosts\/[^/]+\/(etc\/(kubernetes|keepalived|haproxy|kubeadm-ha\/(?!agent\.yaml))|var\/lib\/kubelet)/.test(f),
    );

  beforeAll(async () => {
    await ensureSimulatorBuilt();
    await cluster.startCoordinator();
    await cluster.createAgentConfig();
    for (const h of HOSTS) cluster.startAgent(h);
    filesBeforeDryRun = deployedFiles();
    dryRun = await cluster.ctl('deploy', '-f', cluster.specPath, '--dry-run');
    filesAfterDryRun = deployedFiles();
    invocationsAfterDryRun = cluster.invocations().length;
    deploy = await cluster.ctl('deploy', '-f', cluster.specPath);
  }, 240_000);
  afterAll(() => cluster.destroy(), 60_000);

  it('completes', () => {
    expect(deploy.stderr).not.toMatch(/^error:/m);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/5\/5 nodes joined/);
  });

  it('passes the etcd health gates only with --force here (the simulator runs no etcd), and says what it skipped', () => {
    expect(cluster.runsEtcd).toBe(false);
    // A first deploy has no etcd before init: the per-join checks are the gates here.
    expect(deploy.stderr).toMatch(/\[join-control-plane master-1\] warning: --force: going on to join master-1 to etcd although etcd is unhealthy/);
    expect(deploy.stderr).toMatch(
      /\[join-control-plane master-2\] warning: --force: going on to join master-2 to etcd although etcd is unhealthy; skipped the etcd health gate over:\n {2}- etcd quorum lost/,
    );
  });

  it('--dry-run first: says what each phase would do, host by host, and changes nothing anywhere', () => {
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(/\[init\] would run: kubeadm init --upload-certs\n\[init\] hosts: master-0/);
    expect(dryRun.stdout).toMatch(/\[join-control-plane\] hosts \(one at a time\): master-1, master-2/);
    expect(dryRun.stdout).toMatch(/\[join-workers\] hosts \(in parallel\): worker-0, worker-1/);
    expect(dryRun.stdout).toMatch(/deploy finished/);
    expect(invocationsAfterDryRun).toBe(0);
    expect(filesAfterDryRun).toEqual(filesBeforeDryRun);
    // The same look finds what the real deploy wrote afterwards: the comparison above could have failed.
    expect(deployedFiles().length).toBeGreaterThan(filesBeforeDryRun.length + 10);
  });

  it('runs kubeadm init once, on master-0, before any join', () => {
    const inv = cluster.invocations();
    const inits = kubeadm(inv, 'init').filter((i) => i.argv[1] !== 'phase');
    expect(inits.map((i) => hostOf(cluster, i))).toEqual(['master-0']);
    expect(inits[0]!.exitCode).toBe(0);
    for (const j of kubeadm(inv, 'join')) expect(j.ts_start).toBeGreaterThan(inits[0]!.ts_end);
  });

  it('joins control-plane nodes strictly one at a time, each with a freshly uploaded key and its own token', () => {
    const inv = cluster.invocations();
    const init = kubeadm(inv, 'init').find((i) => i.argv[1] !== 'phase')!;
    const cpJoins = kubeadm(inv, 'join').filter((j) => j.exitCode === 0 && ['master-1', 'master-2'].includes(hostOf(cluster, j)!));
    expect(cpJoins.map((j) => hostOf(cluster, j))).toEqual(['master-1', 'master-2']);
    expect(overlaps(cpJoins[0]!, cpJoins[1]!)).toBe(false);
    const uploads = kubeadm(inv, 'init', 'phase', 'upload-certs');
    for (const join of cpJoins) {
      // The key the join used was uploaded after the previous join ended, and not by init.
      const upload = uploads.filter((u) => u.ts_end <= join.ts_start).at(-1)!;
      expect(upload.details?.certificateKey).toBe(join.details?.certificateKey);
      expect(join.details?.certificateKey).not.toBe(init.details?.certificateKey);
    }
    expect(new Set(cpJoins.map((j) => j.details?.certificateKey)).size).toBe(2);
    expect(new Set(cpJoins.map((j) => j.details?.token)).size).toBe(2);
    // Every token the coordinator minted was deleted again.
    const created = kubeadm(inv, 'token', 'create').length;
    expect(kubeadm(inv, 'token', 'delete')).toHaveLength(created);
  });

  it('joins the workers in parallel', () => {
    const workerJoins = kubeadm(cluster.invocations(), 'join').filter((j) => hostOf(cluster, j)?.startsWith('worker'));
    expect(workerJoins).toHaveLength(2);
    expect(overlaps(workerJoins[0]!, workerJoins[1]!)).toBe(true);
  });

  it('leaves every host with its files and modes', () => {
    for (const h of HOSTS) {
      const root = cluster.root(h.name);
      expect(mode(join(root, 'etc/kubeadm-ha/kubeadm.yaml'))).toBe(0o600);
      expect(readFileSync(join(root, 'etc/kubeadm-ha/kubeadm.yaml'), 'utf8')).not.toMatch(/token: "[a-z0-9]{6}\.[a-z0-9]{16}"/);
      expect(mode(join(root, 'etc/sysctl.d/99-kubeadm-ha.conf'))).toBe(0o644);
      expect(mode(join(root, 'etc/modules-load.d/kubeadm-ha.conf'))).toBe(0o644);
      for (const f of walk(join(root, 'var/lib/kubeadm-ha'))) expect(mode(f), f).toBe(0o600);
      if (h.role === 'control-plane') {
        expect(mode(join(root, 'etc/keepalived/keepalived.conf'))).toBe(0o600);
        expect(mode(join(root, 'etc/keepalived/check_apiserver.sh'))).toBe(0o755);
        expect(mode(join(root, 'etc/haproxy/haproxy.cfg'))).toBe(0o644);
        expect(mode(join(root, 'etc/kubernetes/manifests/keepalived.yaml'))).toBe(0o600);
        expect(mode(join(root, 'etc/kubernetes/manifests/haproxy.yaml'))).toBe(0o600);
        // Every load balancer has all three apiservers, live-applied from the backend set.
        const cfg = readFileSync(join(root, 'etc/haproxy/haproxy.cfg'), 'utf8');
        expect([...cfg.matchAll(/^\s*server (master-\d) /gm)].map((m) => m[1]).sort()).toEqual(['master-0', 'master-1', 'master-2']);
      } else {
        expect(() => statSync(join(root, 'etc/haproxy/haproxy.cfg'))).toThrow();
      }
    }
  });

  it('leaves no token or certificate key in any log, state file or our config files', () => {
    const secrets = new Set<string>();
    for (const i of cluster.invocations()) for (const v of Object.values(i.details ?? {})) secrets.add(v);
    expect(secrets.size).toBeGreaterThanOrEqual(5);
    const files = [
      ...walk(cluster.logs),
      ...walk(cluster.dataDir),
      ...HOSTS.flatMap((h) => [...walk(join(cluster.root(h.name), 'var/lib/kubeadm-ha')), ...walk(join(cluster.root(h.name), 'etc/kubeadm-ha'))]),
    ];
    expect(files.length).toBeGreaterThan(10);
    const leaks: string[] = [];
    for (const f of files) {
      const text = readFileSync(f).toString('latin1');
      for (const s of secrets) if (text.includes(s)) leaks.push(f);
      // The secret half of a token is what matters; its public id may be logged.
      for (const s of secrets) if (s.includes('.') && text.includes(s.split('.')[1]!)) leaks.push(`${f} (token secret)`);
    }
    const output = deploy.stdout + deploy.stderr;
    for (const s of secrets) if (output.includes(s)) leaks.push('coordinatorctl deploy output');
    expect(leaks).toEqual([]);
  });

  it('lists the nodes, and prints a join command whose agent.yaml parses', async () => {
    const nodes = await cluster.ctl('nodes');
    expect(nodes.code, nodes.stderr).toBe(0);
    for (const h of HOSTS)
      expect(nodes.stdout).toMatch(new RegExp(`^${h.name}\\s+${h.role}\\s+connected\\s+yes\\s+[^\\n]*${h.address.replace(/\./g, '\\.')}`, 'm'));
    const join = await cluster.ctl('join-command', '--role', 'worker', '--node-name', 'worker-9');
    expect(join.code, join.stderr).toBe(0);
    const yaml = /<<'EOF'\n([\s\S]*?)EOF\n/.exec(join.stdout)?.[1] ?? '';
    const config = parseAgentConfig(yaml);
    expect(config).toMatchObject({ coordinator: `127.0.0.1:${cluster.port}`, role: 'worker', nodeName: 'worker-9' });
    expect(config.caCertHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(join.stdout).toMatch(/umask 077/);
    expect(join.stdout).toMatch(/systemctl enable --now kubeadm-ha-agent/);
  });

  it('--dry-run on a deployed cluster: deploy has nothing to do; remove-node and reset list their host steps and change nothing', async () => {
    const before = cluster.invocations().length;
    const again = await cluster.ctl('deploy', '-f', cluster.specPath, '--dry-run');
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/\[(preflight|load-balancer|init|join-control-plane|join-workers)\] would run/);
    expect(again.stdout).toMatch(/\[init\] kubeadm init --upload-certs: nothing to do/);
    const removal = await cluster.ctl('remove-node', 'worker-1', '--dry-run');
    expect(removal.code).toBe(0);
    expect(removal.stdout).toMatch(/\[remove-kubectl-drain\] - kubectl drain worker-1 && kubectl delete node worker-1/);
    expect(removal.stdout).toMatch(/\[remove-kubeadm-reset\] would run: kubeadm reset -f on the node/);
    const reset = await cluster.ctl('reset', '--dry-run');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/\[reset-hosts\] hosts \(in parallel\): master-0, master-1, master-2, worker-0, worker-1/);
    expect(reset.stdout).toMatch(/\[reset-forget\] would run/);
    // Not one kubeadm or kubectl call: the dry runs only asked the hosts what is there.
    expect(cluster.invocations().length).toBe(before);
    const status = JSON.parse((await cluster.ctl('status', '-o', 'json')).stdout) as {
      status: { specPresent: boolean };
      nodes: { name: string; joined: boolean }[];
    };
    expect(status.status.specPresent).toBe(true);
    expect(status.nodes.filter((n) => n.joined).map((n) => n.name)).toEqual(HOSTS.map((h) => h.name));
  });

  it('re-running the deploy changes nothing and says so', async () => {
    // kubeadm runs that change something: verify's `certs check-expiration` only reads, and runs on every deploy.
    const kubeadmRuns = () => cluster.invocations().filter((i) => i.tool === 'kubeadm' && !(i.argv[0] === 'certs' && i.argv[1] === 'check-expiration')).length;
    const before = kubeadmRuns();
    const again = await cluster.ctl('deploy', '-f', cluster.specPath);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to do: the cluster already matches the spec/);
    expect(again.stdout).not.toMatch(/\bwrote \//);
    expect(kubeadmRuns()).toBe(before);
  });

  it('refuses an agent with a bad token, and one whose CA pin does not match, registering nothing', async () => {
    const goodConfig = cluster.agentConfig;
    const intruders: LoopbackHost[] = [
      { name: 'intruder-token', address: '127.0.0.31', role: 'worker' },
      { name: 'intruder-pin', address: '127.0.0.32', role: 'worker' },
    ];
    cluster.agentConfig = goodConfig.replace(/token: [a-z0-9]{6}\.[a-z0-9]{16}/, 'token: abcdef.0123456789abcdef');
    cluster.startAgent(intruders[0]!);
    cluster.agentConfig = goodConfig.replace(/caCertHash: sha256:[0-9a-f]{64}/, `caCertHash: sha256:${'0'.repeat(64)}`);
    cluster.startAgent(intruders[1]!);
    cluster.agentConfig = goodConfig;
    const logOf = (n: string) => readFileSync(join(cluster.logs, `agent-${n}.log`), 'utf8');
    await cluster.waitFor(() => /UNAUTHENTICATED|bootstrap token/i.test(logOf('intruder-token')), 20_000, 'the bad token to be refused');
    await cluster.waitFor(() => /pin/i.test(logOf('intruder-pin')), 20_000, 'the pin mismatch to be reported');
    expect(logOf('intruder-pin')).toMatch(new RegExp(`sha256:${'0'.repeat(64)}`));
    const status = await cluster.ctl('status', '-o', 'json');
    const names = (JSON.parse(status.stdout) as { nodes: { name: string }[] }).nodes.map((n) => n.name);
    expect(names).not.toContain('intruder-token');
    expect(names).not.toContain('intruder-pin');
    expect(names).toHaveLength(5);
    for (const i of intruders) cluster.agents.get(i.name)?.kill('SIGTERM');
  });
});

describe('a coordinator killed during the control-plane joins', () => {
  const cluster = new LoopbackCluster({ hosts: HOSTS, agentEnv: { KUBEADM_SIM_DELAY_JOIN_CP_MS: '2500' } });
  beforeAll(async () => {
    await ensureSimulatorBuilt();
    await cluster.startCoordinator();
    await cluster.createAgentConfig();
    for (const h of HOSTS) cluster.startAgent(h);
  }, 60_000);
  afterAll(() => cluster.destroy(), 60_000);

  it('finishes the deploy after a restart without running init again', async () => {
    const client = cluster.ctlSpawn('deploy', '-f', cluster.specPath);
    client.stdout!.resume();
    client.stderr!.resume();
    // Kill it while master-1's join is in flight.
    await cluster.waitFor(
      () => readFileSync(join(cluster.logs, 'coordinator.log'), 'utf8').includes('kubeadm join --control-plane'),
      120_000,
      'the first control-plane join to start',
    );
    // A second terminal with an edited cluster.yaml while this deploy runs: refused, nothing stored.
    const edited = join(cluster.logs, 'cluster-edited.yaml');
    writeFileSync(edited, readFileSync(cluster.specPath, 'utf8').replace('    version: v1.31.4\n', '    version: v1.31.4\n    podSubnet: 10.32.0.0/16\n'));
    const clash = await cluster.ctl('deploy', '-f', edited);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toMatch(
      /a deploy of \S+ is running with a different cluster\.yaml; wait for it to finish \(coordinatorctl status\), then run deploy again with the new file/,
    );
    expect(clash.stderr).not.toMatch(/\n\s+at /);
    await cluster.stopCoordinator('SIGKILL');
    await new Promise((r) => client.once('exit', r));
    writeFileSync(join(cluster.logs, 'coordinator.log'), '\n--- restarted ---\n', { flag: 'a' });
    await cluster.startCoordinator();
    // The restarted coordinator resumes by itself; `deploy` attaches to it or finds the work done.
    const again = await cluster.ctl('deploy', '-f', cluster.specPath);
    expect(again.code, again.stderr).toBe(0);
    const status = JSON.parse((await cluster.ctl('status', '-o', 'json')).stdout) as { nodes: { name: string; joined: boolean }[] };
    expect(
      status.nodes
        .filter((n) => n.joined)
        .map((n) => n.name)
        .sort(),
    ).toEqual(HOSTS.map((h) => h.name).sort());
    const inits = kubeadm(cluster.invocations(), 'init').filter((i) => i.argv[1] !== 'phase');
    expect(inits).toHaveLength(1);
    // No node joined twice successfully.
    const okJoins = kubeadm(cluster.invocations(), 'join')
      .filter((j) => j.exitCode === 0)
      .map((j) => hostOf(cluster, j));
    expect(okJoins.sort()).toEqual(['master-1', 'master-2', 'worker-0', 'worker-1']);
  }, 240_000);
});

describe('a coordinator killed during remove-node', () => {
  const cluster = new LoopbackCluster({ hosts: HOSTS });
  beforeAll(async () => {
    await ensureSimulatorBuilt();
    await cluster.startCoordinator();
    await cluster.createAgentConfig();
    for (const h of HOSTS) cluster.startAgent(h);
    const deployed = await cluster.ctl('deploy', '-f', cluster.specPath);
    expect(deployed.code, deployed.stderr).toBe(0);
  }, 240_000);
  afterAll(() => cluster.destroy(), 60_000);

  it('resumes the removal by itself after a SIGKILL; the same command attaches (or finds it done), another is refused', async () => {
    const log = () => readFileSync(join(cluster.logs, 'coordinator.log'), 'utf8');
    const before = log().length;
    const client = cluster.ctlSpawn('remove-node', 'master-2');
    client.stdout!.resume();
    client.stderr!.resume();
    // Killed once the backend set changes start: the VIP (if it held it) and the drain are under way, the host untouched.
    await cluster.waitFor(() => log().slice(before).includes('remove-drain-backend'), 120_000, 'remove-node to reach remove-drain-backend');
    await cluster.stopCoordinator('SIGKILL');
    await new Promise((r) => client.once('exit', r));
    writeFileSync(join(cluster.logs, 'coordinator.log'), '\n--- restarted ---\n', { flag: 'a' });
    await cluster.startCoordinator();
    // Another operation while the interrupted one holds the turn: refused with the reason (unless it already finished).
    const other = await cluster.ctl('remove-node', 'worker-1');
    if (other.code !== 0) expect(other.stderr).toMatch(/remove-node \(master-2\)/);
    // The same command attaches to the resumed removal, or finds it done.
    const again = await cluster.ctl('remove-node', 'master-2');
    expect(again.code, again.stderr).toBe(0);
    const spec = readFileSync(cluster.specPath, 'utf8');
    expect(spec).toContain('master-2'); // the operator's file is theirs; the stored spec is what changed
    const status = JSON.parse((await cluster.ctl('nodes', '-o', 'json')).stdout) as { nodes: { name: string }[] };
    expect(status.nodes.map((n) => n.name)).not.toContain('master-2');
    // Every remaining load balancer's haproxy.cfg has the remaining masters only.
    for (const m of ['master-0', 'master-1']) {
      const cfg = readFileSync(join(cluster.root(m), 'etc/haproxy/haproxy.cfg'), 'utf8');
      expect(cfg, m).toMatch(/server master-0 /);
      expect(cfg, m).toMatch(/server master-1 /);
      expect(cfg, m).not.toMatch(/server master-2 /);
    }
    // The host is clean: no haproxy, keepalived or kubeadm-ha files, kubeadm reset ran there exactly once (it is idempotent anyway).
    const root = cluster.root('master-2');
    for (const file of ['etc/haproxy/haproxy.cfg', 'etc/keepalived/keepalived.conf', 'etc/kubeadm-ha/kubeadm.yaml', 'etc/kubernetes/kubelet.conf']) {
      expect(existsSync(join(root, file)), file).toBe(false);
    }
    const resets = cluster.invocations().filter((i) => i.tool === 'kubeadm' && i.argv[0] === 'reset' && i.root === root);
    expect(resets.length).toBeGreaterThanOrEqual(1);
    // Twice is safe: nothing left to do.
    const twice = await cluster.ctl('remove-node', 'master-2');
    expect(twice.code, twice.stderr).toBe(0);
    expect(twice.stdout).toMatch(/already removed/);
  }, 300_000);
});

describe('a deploy that fails', () => {
  const hosts: LoopbackHost[] = [
    { name: 'master-0', address: '127.0.0.41', role: 'control-plane' },
    { name: 'worker-0', address: '127.0.0.42', role: 'worker' },
  ];
  const cluster = new LoopbackCluster({ hosts, vip: '127.0.0.140/24' });
  beforeAll(async () => {
    await ensureSimulatorBuilt();
    await cluster.startCoordinator();
    await cluster.createAgentConfig();
    for (const h of hosts) cluster.startAgent(h);
  }, 60_000);
  afterAll(() => cluster.destroy(), 60_000);

  it('exits non-zero, names the phase and the host, and says how to resume', async () => {
    // The spec says worker-0 is at .43, but its host has .42: preflight must refuse before kubeadm runs anywhere.
    writeFileSync(cluster.specPath, cluster.spec().replace('address: 127.0.0.42', 'address: 127.0.0.43'));
    const r = await cluster.ctl('deploy', '-f', cluster.specPath);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/preflight: worker-0: the spec gives address 127\.0\.0\.43, but the host has [^\n]*127\.0\.0\.42/);
    expect(r.stderr).toMatch(/run `coordinatorctl deploy -f cluster\.yaml` again: it resumes where it stopped/);
    expect(cluster.invocations().filter((i) => i.tool === 'kubeadm' && i.argv[0] !== 'version')).toEqual([]);
    // Fixed, the same deploy goes through.
    writeFileSync(cluster.specPath, cluster.spec());
    const fixed = await cluster.ctl('deploy', '-f', cluster.specPath);
    expect(fixed.code, fixed.stderr).toBe(0);
  }, 120_000);
});
