/**
 * What kubelet (static pods) and systemd would run on a control-plane host, run for real in the host's network
 * namespace: keepalived, haproxy and etcd from this machine's packages, on exactly the files the agent (or the
 * simulated kubeadm) wrote under the host root.
 *
 * Path mapping: the daemons run in a private mount namespace where the host root is bind-mounted over the real
 * paths, so they read `/etc/keepalived/keepalived.conf` and run `/etc/keepalived/check_apiserver.sh` exactly as
 * written (nothing is rewritten), keepalived's script-security check sees root-owned 0755 directories, and sockets
 * (`/run/haproxy/admin.sock`) appear at `<root>/run/haproxy/…` for the agent.
 * - static pods: each container runs in its own pid namespace with private /run and /tmp; only its hostPath
 *   volumes (`<root><path>` at mountPath) are shared with the host, with the kubelet's hostPath type checks; the
 *   pod's own command and args run (the host's binaries stand in for the image).
 * - systemd units: Debian's keepalived.service / haproxy.service, seeing `<root>/run`, `<root>/etc/keepalived`
 *   and `<root>/etc/haproxy` (see systemd-unit.ts).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KUBELET_STOPPED_MARKER } from '../kubeadm-sim/state.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import type { Lab } from '../netns/harness.js';
import { sleep } from '../netns/proc.js';
import { runCrictl } from './crictl.js';
import type { DaemonStatus, StandinEvent } from './events.js';
import { ManifestWatcher, type ManifestFiles } from './manifest-watcher.js';
import { PassiveUnit } from './passive-unit.js';
import { ApiserverPod } from './apiserver-pod.js';
import { daemonOf, parseStaticPod, podProblems, DAEMON_NAMES, type DaemonName, type PodDaemonName } from './pod-manifest.js';
import { KUBELET_BACKOFF, PodWorker, type KubeletBackoff } from './pod-worker.js';
import { runSystemctl, serveSystemctl, type SystemctlResult, type SystemctlUnit } from './systemctl.js';
import { SystemdUnit } from './systemd-unit.js';

export interface KubeletStandinOptions {
  readonly lab: Lab;
  readonly host: string;
  /** Default: the lab host's root. */
  readonly root?: string;
  readonly logger?: Logger;
  /** Default `<root>/etc/kubernetes/manifests`. */
  readonly manifestDir?: string;
  /** Poll interval of the manifest directory, on top of inotify; default 100 ms. */
  readonly pollIntervalMs?: number;
  /** Container restart timing; default the kubelet's (first restart after ~1 s, then 10 s doubling to 5 min). */
  readonly backoff?: Partial<KubeletBackoff>;
  /** Units systemctl accepts but that run nothing here; default kubelet and containerd. */
  readonly passiveUnits?: readonly string[];
  /** How long an upgraded kube-apiserver stays down between the old process and the new; default 0. */
  readonly apiserverRestartDelayMs?: number;
}

export type SystemctlAction =
  | 'start'
  | 'stop'
  | 'restart'
  | 'reload'
  | 'is-active'
  | 'enable'
  | 'disable'
  | 'is-enabled'
  | 'status'
  | 'try-restart'
  | 'reload-or-restart';

export interface KubeletStandin {
  readonly host: string;
  readonly root: string;
  readonly manifestDir: string;
  /** Holds the `systemctl` stub: put it first on the PATH of the agent run on this host. */
  readonly binDir: string;
  /** Stops watching and stops every daemon it runs (SIGTERM, SIGKILL after the grace period). */
  stop(): Promise<void>;
  /** The daemon's main pid on the host while it runs (static pod or unit). */
  pidOf(name: PodDaemonName): number | undefined;
  /**
   * Signals the daemon's main process. A static pod's daemon runs in its own pid namespace, so when it dies the
   * whole container goes at once (VRRP child included, as when a container is killed); the kubelet then restarts it.
   */
  kill(name: PodDaemonName, signal?: NodeJS.Signals): boolean;
  /** systemctl as the agent would call it: `systemctl('restart', 'haproxy')`. */
  systemctl(action: SystemctlAction, unit: string, ...flags: string[]): Promise<SystemctlResult>;
  status(name: PodDaemonName): DaemonStatus | undefined;
  /** Waits until the daemon runs and has forked its VRRP child / haproxy worker (etcd: listens on its probe port); returns its pid. */
  waitUntilRunning(name: PodDaemonName, opts?: { timeoutMs?: number }): Promise<number>;
  /** Waits until no process runs the daemon. */
  waitUntilStopped(name: PodDaemonName, opts?: { timeoutMs?: number }): Promise<void>;
  /** Re-reads the manifest directory now (the kubelet's periodic re-list); resolves when acted on. */
  sync(): Promise<void>;
  /** Everything it did and saw, oldest first. */
  events(): readonly StandinEvent[];
  /** Why manifests present now are not run as written (unparseable, duplicate daemon, unsafe pod spec, mount errors). */
  problems(): string[];
}

export async function startKubeletStandin(options: KubeletStandinOptions): Promise<KubeletStandin> {
  const { lab, host } = options;
  const labHost = lab.host(host);
  const root = options.root ?? labHost.root;
  const manifestDir = options.manifestDir ?? join(root, 'etc/kubernetes/manifests');
  const backoff: KubeletBackoff = { ...KUBELET_BACKOFF, ...options.backoff };
  const logger = (options.logger ?? silentLogger).child({ component: 'kubelet-standin', host });
  const stateDir = join(lab.dir, 'hosts', host, 'standin');
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });

  const history: StandinEvent[] = [];
  const emit = (e: Omit<StandinEvent, 'at' | 'host'>): void => {
    const event: StandinEvent = { at: Date.now(), host, ...e };
    history.push(event);
    logger.info({ daemon: e.daemon, source: e.source, kind: e.kind, pid: e.pid }, e.detail);
  };

  const pods = new Map<string, PodWorker>();
  /** Removed or replaced pods until their container is gone: still the daemon on this host until then. */
  const dying = new Set<PodWorker>();
  let manifestProblems: string[] = [];
  const runningPod = (daemon: PodDaemonName): PodWorker | undefined =>
    [...pods.values()].find((w) => w.daemon === daemon) ?? [...dying].find((w) => w.daemon === daemon && w.pidOf() !== undefined);

  const units = new Map<string, SystemctlUnit>();
  const daemonUnits = new Map<DaemonName, SystemdUnit>();
  for (const daemon of DAEMON_NAMES) {
    const unit = new SystemdUnit({
      lab,
      host,
      root,
      scratchDir: join(stateDir, 'units', daemon),
      daemon,
      logger,
      emit,
      mayStart: () => {
        const pod = runningPod(daemon);
        return pod ? `${daemon} already runs as static pod ${pod.status().origin} on ${host}; two instances would fight over the VIP/ports` : undefined;
      },
    });
    daemonUnits.set(daemon, unit);
    units.set(daemon, unit);
  }
  for (const name of options.passiveUnits ?? ['kubelet', 'containerd'])
    units.set(
      name,
      name === 'kubelet'
        ? new PassiveUnit(
            () => {
              rmSync(join(root, KUBELET_STOPPED_MARKER), { force: true });
              recordKubeletVersion(root);
            },
            () => {
              mkdirSync(join(root, dirname(KUBELET_STOPPED_MARKER)), { recursive: true });
              writeFileSync(join(root, KUBELET_STOPPED_MARKER), '');
            },
          )
        : new PassiveUnit(),
    );

  const apiserver = new ApiserverPod(lab, host, root, (e) => emit(e), options.apiserverRestartDelayMs ?? 0);
  const sync = async (files: ManifestFiles): Promise<void> => {
    const problems: string[] = [];
    let apiserverManifest: { identity: string; version: string } | undefined;
    const wanted = new Map<string, { file: string; worker: () => PodWorker; identity: string }>();
    const claimed = new Map<PodDaemonName, string>();
    for (const [file, text] of files) {
      let pod;
      try {
        pod = parseStaticPod(text);
      } catch (err) {
        problems.push(`${file}: ${(err as Error).message}`);
        continue;
      }
      const apiserverContainer = pod.containers.find((c) => c.name === 'kube-apiserver');
      if (apiserverContainer) apiserverManifest = { identity: pod.identity, version: /:(v\d+\.\d+\.\d+\S*)$/.exec(apiserverContainer.image)?.[1] ?? '' };
      const runnable = pod.containers.map((c) => ({ c, daemon: daemonOf(c) })).filter((x) => x.daemon !== undefined);
      if (runnable.length === 0) continue; // kube-apiserver (see apiserver-pod.ts), kube-vip …
      const { c: container, daemon } = runnable[0]! as { c: (typeof runnable)[number]['c']; daemon: PodDaemonName };
      const unsafe = podProblems(pod, container, daemon);
      if (unsafe.length > 0) {
        problems.push(...unsafe.map((p) => `${file}: ${p}`));
        continue;
      }
      const previous = claimed.get(daemon);
      if (previous) {
        problems.push(`${file}: a second static pod running ${daemon} (${previous} already does); a real kubelet would run both`);
        continue;
      }
      claimed.set(daemon, file);
      wanted.set(file, {
        file,
        identity: pod.identity,
        worker: () =>
          new PodWorker({
            lab,
            host,
            root,
            scratchDir: join(stateDir, 'pods', pod.name),
            file,
            manifestPath: join(manifestDir, file),
            pod,
            container,
            daemon,
            backoff,
            logger,
            emit,
            mayStart: () => {
              const unit = daemonUnits.get(daemon as DaemonName);
              return unit?.activeState() === 'active'
                ? `${daemon} already runs as ${daemon}.service on ${host}; two instances would fight over the VIP/ports`
                : undefined;
            },
          }),
      });
    }
    manifestProblems = problems;
    for (const p of problems) emit({ source: 'static-pod', kind: 'invalid-manifest', detail: p });

    // Kill what went away or changed first (the kubelet kills a changed static pod and creates the new one).
    const removals: Promise<void>[] = [];
    for (const [file, worker] of pods) {
      const next = wanted.get(file);
      if (next && next.identity === worker.identity) continue;
      pods.delete(file);
      dying.add(worker);
      removals.push(worker.terminate(next ? 'manifest changed' : 'manifest removed').finally(() => dying.delete(worker)));
    }
    await Promise.all(removals);
    for (const [file, next] of wanted) {
      if (pods.has(file)) continue;
      const worker = next.worker();
      pods.set(file, worker);
      worker.start();
    }
    await apiserver.sync(apiserverManifest);
  };

  const watcher = new ManifestWatcher(manifestDir, sync, options.pollIntervalMs ?? 100, (err) =>
    emit({ source: 'static-pod', kind: 'invalid-manifest', detail: `sync failed: ${(err as Error).message}` }),
  );
  const endpoint = await serveSystemctl(
    join(lab.dir, 'hosts', host),
    host,
    (name) => units.get(name),
    (argv) => runCrictl(argv, [...[...pods.values(), ...dying].map((w) => w.asContainer()), ...[apiserver.asContainer()].filter((c) => c !== undefined)]),
  );
  await watcher.start();

  const current = (name: PodDaemonName): PodWorker | SystemdUnit | undefined => {
    const pod = runningPod(name);
    if (pod && pod.pidOf() !== undefined) return pod;
    const unit = daemonUnits.get(name as DaemonName);
    if (!unit) return pod;
    if (unit.pidOf() !== undefined) return unit;
    return pod ?? (unit.activeState() !== 'inactive' ? unit : undefined);
  };

  let stopped = false;
  const standin: KubeletStandin = {
    host,
    root,
    manifestDir,
    binDir: endpoint.binDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await watcher.close();
      await Promise.all([...pods.values()].map((w) => w.terminate('stand-in stopped')));
      pods.clear();
      await Promise.all([...daemonUnits.values()].map((u) => u.stop()));
      await endpoint.close();
    },
    pidOf: (name) => current(name)?.pidOf(),
    kill: (name, signal = 'SIGTERM') => current(name)?.kill(signal) ?? false,
    systemctl: (action, unit, ...flags) => runSystemctl([...flags, action, unit], (n) => units.get(n)),
    status: (name) => current(name)?.status(),
    async waitUntilRunning(name, o = {}) {
      const deadline = Date.now() + (o.timeoutMs ?? 10_000);
      while (Date.now() < deadline) {
        const d = current(name);
        const pid = d ? await d.ready(Math.min(500, Math.max(1, deadline - Date.now()))) : undefined;
        if (pid !== undefined) return pid;
        await sleep(50);
      }
      const recent = history
        .filter((e) => e.daemon === name)
        .slice(-3)
        .map((e) => `${e.kind}: ${e.detail}`);
      const logPath = current(name)?.status().logPath;
      const logTail = logPath ? readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-8).join('\n') : '(no log)';
      throw new Error(
        `${host}: ${name} is not running after ${o.timeoutMs ?? 10_000} ms; problems: [${manifestProblems.join('; ')}]; recent: [${recent.join(' / ')}]; log tail:\n${logTail}`,
      );
    },
    async waitUntilStopped(name, o = {}) {
      const deadline = Date.now() + (o.timeoutMs ?? 10_000);
      while (current(name)?.pidOf() !== undefined) {
        if (Date.now() > deadline) throw new Error(`${host}: ${name} still runs after ${o.timeoutMs ?? 10_000} ms`);
        await sleep(50);
      }
    },
    sync: () => watcher.scan(),
    events: () => history,
    problems: () => [
      ...manifestProblems,
      ...[...pods.values()]
        .filter((w) => w.status().state === 'waiting')
        .flatMap((w) =>
          history
            .filter((e) => e.daemon === w.daemon && (e.kind === 'mount-failed' || e.kind === 'refused'))
            .slice(-1)
            .map((e) => e.detail),
        ),
    ],
  };
  lab.onDestroy(() => standin.stop());
  return standin;
}

/** One stand-in per host of a lab, addressed by host name. */
export interface KubeletStandins {
  of(host: string): KubeletStandin;
  systemctl(host: string, action: SystemctlAction, unit: string, ...flags: string[]): Promise<SystemctlResult>;
  stop(): Promise<void>;
}

export async function startKubeletStandins(
  options: Omit<KubeletStandinOptions, 'host' | 'root' | 'manifestDir'> & { hosts?: readonly string[] },
): Promise<KubeletStandins> {
  const hosts = options.hosts ?? options.lab.hosts.map((h) => h.name);
  const all = new Map<string, KubeletStandin>();
  try {
    for (const host of hosts) all.set(host, await startKubeletStandin({ ...options, host }));
  } catch (err) {
    await Promise.all([...all.values()].map((s) => s.stop()));
    throw err;
  }
  const of = (host: string): KubeletStandin => {
    const s = all.get(host);
    if (!s) throw new Error(`no kubelet stand-in on ${host}`);
    return s;
  };
  return {
    of,
    systemctl: (host, action, unit, ...flags) => of(host).systemctl(action, unit, ...flags),
    stop: async () => {
      await Promise.all([...all.values()].map((s) => s.stop()));
    },
  };
}

/**
 * A (re)started kubelet runs the installed package's version (the package-manager stand-ins write it): recorded where
 * the simulated kubectl reads a node's VERSION.
 */
function recordKubeletVersion(root: string): void {
  let installed = '';
  try {
    installed = readFileSync(join(root, 'var/lib/kubeadm-sim/packages/kubelet'), 'utf8').trim();
  } catch {
    return;
  }
  if (!installed) return;
  mkdirSync(join(root, 'run/kubeadm-sim'), { recursive: true });
  writeFileSync(join(root, 'run/kubeadm-sim/kubelet-version'), `v${installed.replace(/^v/, '')}\n`);
}
