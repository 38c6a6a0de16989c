/**
 * A lab: hosts on one L2 segment, made of network namespaces. A "switch" namespace holds a bridge; every host
 * namespace has an `eth0` (one end of a veth pair whose other end is a bridge port), `lo` up, its address, and
 * a root directory for the files an agent writes. Addresses come from 198.18.0.0/15 only, and nothing routes
 * out: no default route, no NAT, no interface of the real machine is touched (veths are created directly in
 * the lab's namespaces).
 */
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIpAddrShow, type InterfaceAddress } from '../../core/host/parse.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { IP, run, type RunOptions, type RunResult } from './command.js';
import { spawnLabProcess, type ExitInfo, type LabProcess, type LabSpawnOptions } from './lab-process.js';
import { bareAddress, checkHostName, DEFAULT_LAB_PREFIX, newLabIdentity, parseLabCidr, SWITCH_HOST, type LabIdentity } from './names.js';
import { sleep } from './proc.js';
import { registerForTeardown, teardownSync, unregisterFromTeardown, type TeardownTarget } from './teardown.js';

export { cleanupStaleLabs, listNamespaces } from './stale.js';
export { canRunNetns, type CanRun } from './can-run.js';
export type { BindMount, ExitInfo, LabProcess, LabSpawnOptions } from './lab-process.js';
export { SWITCH_HOST } from './names.js';

export interface LabHostSpec {
  readonly name: string;
  /** With prefix length, from 198.18.0.0/15, e.g. `198.18.0.11/24`. */
  readonly address: string;
}

export interface CreateLabOptions {
  /** Shows in logs and errors only; namespaces are named from the prefix and a random id. */
  readonly name: string;
  readonly hosts: readonly LabHostSpec[];
  /** An address for the bridge itself, making the switch namespace a host on the segment (name `switch`). */
  readonly bridgeAddress?: string;
  /** Adds a host (default name `coordinator`) for the coordinator and its NATS. */
  readonly coordinator?: { readonly address: string; readonly name?: string };
  /** Namespace/temp-dir prefix; default `khalab`. cleanupStaleLabs takes the same prefix. */
  readonly prefix?: string;
  /** Parent of the lab's temp directory; default os.tmpdir(). */
  readonly baseDir?: string;
  readonly logger?: Logger;
}

export interface LabHost {
  readonly name: string;
  readonly netns: string;
  /** Bare address, e.g. `198.18.0.11`. */
  readonly address: string;
  readonly prefixLength: number;
  readonly cidr: string;
  /** Always `eth0`, like a typical single-NIC server. */
  readonly interface: string;
  /** The host's bridge port in the switch namespace. */
  readonly switchPort: string;
  /** Root directory for the host's files (`<root>/etc/keepalived/…`), root-owned 0755. */
  readonly root: string;
}

export type LinkDownMode = 'carrier' | 'partition';

export type TcpProbeResult = 'connected' | 'refused' | 'unreachable' | 'timeout' | 'error';

export interface Lab {
  readonly name: string;
  readonly identity: LabIdentity;
  /** The lab's temp directory: `hosts/<name>/root`, `logs/`. */
  readonly dir: string;
  readonly switchNetns: string;
  readonly hosts: readonly LabHost[];
  host(name: string): LabHost;
  /** Runs a command inside the host's network namespace; throws CommandError on a non-zero exit unless reject: false. */
  exec(host: string, cmd: string, args?: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a tracked long-running process in the host's namespace; output goes to `logs/<host>-<name>-<n>.log`. */
  spawn(host: string, cmd: string, args?: readonly string[], opts?: LabSpawnOptions): LabProcess;
  /**
   * Cuts the host off the segment.
   * - `carrier` (default): the switch-side port goes down, so the host's eth0 loses carrier (NO-CARRIER), as when a
   *   cable is pulled or the top-of-rack port dies; keepalived sees it and goes to FAULT.
   * - `partition`: the port leaves the bridge but stays up; the host still sees a healthy link and keeps any VIP
   *   (split brain), as with a switch or VLAN failure further away.
   */
  linkDown(host: string, mode?: LinkDownMode): Promise<void>;
  linkUp(host: string): Promise<void>;
  /** Parsed `ip -o addr show dev eth0` of the host. */
  addressesOf(host: string): Promise<InterfaceAddress[]>;
  /** Hosts (in lab order) that have `vip` on eth0. */
  whoHolds(vip: string): Promise<string[]>;
  /** Polls `whoHolds` every `intervalMs` until `predicate` holds; returns the holders and the time it took. */
  waitForHolders(
    vip: string,
    predicate: (holders: string[]) => boolean,
    opts?: { timeoutMs?: number; intervalMs?: number },
  ): Promise<{ holders: string[]; elapsedMs: number }>;
  /** A TCP connect from `from` to address:port: `refused` still proves two-way IP reachability (SYN out, RST back). */
  probeTcp(from: string, address: string, port: number, timeoutMs?: number): Promise<TcpProbeResult>;
  /** Every process spawned through this lab (running or not). */
  processes(): readonly LabProcess[];
  /**
   * Runs `hook` at the start of destroy(), before anything is killed, so that whatever supervises daemons (the
   * kubelet stand-in) stops them gracefully and does not restart them into a lab that is going away.
   */
  onDestroy(hook: () => Promise<void>): void;
  isDestroyed(): boolean;
  /** Stops tracked processes (SIGTERM, then SIGKILL), kills anything left in the namespaces, deletes them and the temp dir. Idempotent. */
  destroy(): Promise<void>;
}

async function ipIn(netns: string, args: readonly string[]): Promise<RunResult> {
  return run(IP, ['-n', netns, ...args]);
}

const PROBE_SCRIPT = `
const [host, port, timeout] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port) });
const done = (r) => { process.stdout.write(r); s.destroy(); process.exit(0); };
s.setTimeout(Number(timeout), () => done('timeout'));
s.on('connect', () => done('connected'));
s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : ['ENETUNREACH', 'EHOSTUNREACH'].includes(e.code) ? 'unreachable' : e.code === 'ETIMEDOUT' ? 'timeout' : 'error:' + e.code));
`;

export async function createLab(options: CreateLabOptions): Promise<Lab> {
  const identity = newLabIdentity(options.prefix ?? DEFAULT_LAB_PREFIX);
  const log = (options.logger ?? silentLogger).child({ component: 'netns-lab', lab: options.name });
  const specs = [...options.hosts];
  if (options.coordinator) specs.push({ name: options.coordinator.name ?? 'coordinator', address: options.coordinator.address });
  const seen = new Set<string>();
  const parsed = specs.map((h) => {
    checkHostName(h.name);
    if (seen.has(h.name)) throw new Error(`lab ${options.name}: host name ${h.name} is used twice`);
    seen.add(h.name);
    return { name: h.name, ...parseLabCidr(h.address) };
  });
  const bridge = options.bridgeAddress ? parseLabCidr(options.bridgeAddress) : undefined;
  const addresses = [...parsed.map((p) => p.address), ...(bridge ? [bridge.address] : [])];
  if (new Set(addresses).size !== addresses.length) throw new Error(`lab ${options.name}: two hosts share an address`);

  const dir = mkdtempSync(join(options.baseDir ?? tmpdir(), `${identity.stem}-`));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'logs'), { mode: 0o755 });
  const switchNetns = `${identity.stem}-${SWITCH_HOST}`;
  const hosts: LabHost[] = parsed.map((p, i) => {
    const root = join(dir, 'hosts', p.name, 'root');
    mkdirSync(root, { recursive: true, mode: 0o755 });
    for (const d of [join(dir, 'hosts'), join(dir, 'hosts', p.name), root]) chmodSync(d, 0o755);
    return {
      name: p.name,
      netns: `${identity.stem}-${p.name}`,
      address: p.address,
      prefixLength: p.prefixLength,
      cidr: p.cidr,
      interface: 'eth0',
      switchPort: `port${i}`,
      root,
    };
  });
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const allNetns = [switchNetns, ...hosts.map((h) => h.netns)];
  const tracked: LabProcess[] = [];
  const target: TeardownTarget = { namespaces: allNetns, dirs: [dir], pids: () => tracked.filter((p) => !p.exitInfo()).map((p) => p.spawnedPid) };
  registerForTeardown(target);

  const netnsOf = (name: string): string => {
    if (name === SWITCH_HOST) return switchNetns;
    const h = byName.get(name);
    if (!h) throw new Error(`lab ${options.name} has no host ${JSON.stringify(name)} (hosts: ${hosts.map((x) => x.name).join(', ')})`);
    return h.netns;
  };

  try {
    await run(IP, ['netns', 'add', switchNetns]);
    // No STP (ports forward at once) and no multicast snooping (VRRP adverts are flooded like on a dumb switch).
    await ipIn(switchNetns, ['link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0']);
    await ipIn(switchNetns, ['link', 'set', 'lo', 'up']);
    await ipIn(switchNetns, ['link', 'set', 'br0', 'up']);
    if (bridge) await ipIn(switchNetns, ['addr', 'add', bridge.cidr, 'dev', 'br0']);
    for (const h of hosts) {
      await run(IP, ['netns', 'add', h.netns]);
      await ipIn(switchNetns, ['link', 'add', h.switchPort, 'type', 'veth', 'peer', 'name', h.interface, 'netns', h.netns]);
      await ipIn(switchNetns, ['link', 'set', h.switchPort, 'master', 'br0']);
      await ipIn(switchNetns, ['link', 'set', h.switchPort, 'up']);
      await ipIn(h.netns, ['link', 'set', 'lo', 'up']);
      await ipIn(h.netns, ['addr', 'add', h.cidr, 'dev', h.interface]);
      await ipIn(h.netns, ['link', 'set', h.interface, 'up']);
    }
  } catch (err) {
    teardownSync(target);
    unregisterFromTeardown(target);
    throw err;
  }
  log.debug({ netns: allNetns, dir }, 'lab created');

  let destroyed = false;
  let spawnCount = 0;
  const destroyHooks: Array<() => Promise<void>> = [];

  const addressesOf = async (host: string): Promise<InterfaceAddress[]> => {
    const h = byName.get(host);
    if (!h) throw new Error(`lab ${options.name} has no host ${JSON.stringify(host)}`);
    const { stdout } = await ipIn(h.netns, ['-o', 'addr', 'show', 'dev', h.interface]);
    return parseIpAddrShow(stdout);
  };

  const whoHolds = async (vip: string): Promise<string[]> => {
    const address = bareAddress(vip);
    const held = await Promise.all(hosts.map(async (h) => (await addressesOf(h.name)).some((a) => a.address === address)));
    return hosts.filter((_, i) => held[i]).map((h) => h.name);
  };

  const lab: Lab = {
    name: options.name,
    identity,
    dir,
    switchNetns,
    hosts,
    host(name) {
      const h = byName.get(name);
      if (!h) throw new Error(`lab ${options.name} has no host ${JSON.stringify(name)}`);
      return h;
    },
    exec(host, cmd, args = [], opts = {}) {
      return run(IP, ['netns', 'exec', netnsOf(host), cmd, ...args], opts);
    },
    spawn(host, cmd, args = [], opts = {}) {
      if (destroyed) throw new Error(`lab ${options.name} is destroyed`);
      const name = opts.name ?? cmd.split('/').pop() ?? cmd;
      const logPath = join(dir, 'logs', `${host}-${name}-${++spawnCount}.log`);
      const p = spawnLabProcess(host, netnsOf(host), logPath, cmd, args, { ...opts, name });
      tracked.push(p);
      log.debug({ host, name, pid: p.spawnedPid, logPath }, 'spawned');
      return p;
    },
    async linkDown(host, mode = 'carrier') {
      const port = lab.host(host).switchPort;
      if (mode === 'carrier') await ipIn(switchNetns, ['link', 'set', port, 'down']);
      else await ipIn(switchNetns, ['link', 'set', port, 'nomaster']);
    },
    async linkUp(host) {
      const port = lab.host(host).switchPort;
      await ipIn(switchNetns, ['link', 'set', port, 'master', 'br0']);
      await ipIn(switchNetns, ['link', 'set', port, 'up']);
    },
    addressesOf,
    whoHolds,
    async waitForHolders(vip, predicate, o = {}) {
      const started = Date.now();
      const deadline = started + (o.timeoutMs ?? 10_000);
      let holders = await whoHolds(vip);
      while (!predicate(holders)) {
        if (Date.now() > deadline) throw new Error(`lab ${options.name}: VIP ${vip} holders still [${holders.join(', ')}] after ${o.timeoutMs ?? 10_000} ms`);
        await sleep(o.intervalMs ?? 25);
        holders = await whoHolds(vip);
      }
      return { holders, elapsedMs: Date.now() - started };
    },
    async probeTcp(from, address, port, timeoutMs = 2000) {
      const r = await lab.exec(from, process.execPath, ['-e', PROBE_SCRIPT, address, String(port), String(timeoutMs)], {
        reject: false,
        timeoutMs: timeoutMs + 5000,
      });
      const out = r.stdout.trim();
      return (['connected', 'refused', 'unreachable', 'timeout'].includes(out) ? out : 'error') as TcpProbeResult;
    },
    processes: () => tracked,
    onDestroy(hook) {
      destroyHooks.push(hook);
    },
    isDestroyed: () => destroyed,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const hook of destroyHooks.splice(0)) {
        // A hook that hangs or fails must not keep the namespaces alive: SIGKILL follows regardless.
        const outcome = await Promise.race([
          hook().then(
            () => 'done',
            (err: Error) => `failed: ${err.message}`,
          ),
          sleep(45_000).then(() => 'timed out'),
        ]);
        if (outcome !== 'done') log.warn({ outcome }, 'destroy hook did not finish cleanly');
      }
      const exits: ExitInfo[] = await Promise.all(tracked.map((p) => p.stop({ graceMs: 3000 })));
      log.debug({ exits: exits.length }, 'tracked processes stopped');
      teardownSync(target);
      unregisterFromTeardown(target);
    },
  };
  return lab;
}
