/**
 * haproxy in front of every kube-apiserver: haproxy.cfg and the runtime-API lines that keep a running haproxy equal
 * to it. Verified against haproxy 2.6 (`haproxy -c` and a live process, see haproxy.test.ts).
 */
import ipaddr from 'ipaddr.js';
import { formatDurationMs } from '../duration.js';
import type { Backend, BackendSet, BackendState, LoadBalancerConfig } from '../backend-set.js';
import { KubeadmHaError, PreconditionError } from '../errors.js';
import type { ClusterPlan } from '../plan.js';
import type { ClusterSpec } from '../spec.js';
import { renderTemplate } from './template.js';
import type { RenderTarget, RenderedFile } from './types.js';
import { HAPROXY_HEALTHZ_PORT } from '../ports.js';
import { HAPROXY_CFG_PATH } from '../host/paths.js';

export const HAPROXY_DIR = '/etc/haproxy';
/** Shared with the host in static-pod mode; Debian's haproxy uses the same directory. */
export const HAPROXY_RUN_DIR = '/run/haproxy';
export const HAPROXY_ADMIN_SOCKET = `${HAPROXY_RUN_DIR}/admin.sock`;
/** Master CLI of the static pod (`-S`): lets the agent `reload` haproxy without a container runtime client. */
export const HAPROXY_MASTER_SOCKET = `${HAPROXY_RUN_DIR}/master.sock`;
/** Loopback-only monitor endpoint (core/ports.ts); clashes with nothing kubeadm runs (6443, 2379-2381, 10248-10259). */
export { HAPROXY_HEALTHZ_PORT };
export const HAPROXY_HEALTHZ_PATH = '/healthz';
/** The runtime applier addresses servers as `kube-apiserver/<node>`. */
export const HAPROXY_BACKEND = 'kube-apiserver';
/** Upper bound for file descriptors; maxconn is derived from it or from a lower nofile limit. ≈32k connections. */
export const HAPROXY_FD_HARD_LIMIT = 65536;

/** The node name is the server name; the coordinator's backend set (core/backend-set.ts) is the source. */
export type HaproxyBackend = Backend;

/**
 * A draining backend is in maintenance (`disabled` in the file, `set server … state maint` at runtime), as
 * core/backend-set.ts and the removal order in DESIGN.md have it: no new connections, established ones run on, no
 * health checks against a node that is being reset, and it is the state `del server` requires. The `drain` state
 * (checks continue, weight 0) was not used: a file cannot express it (a `weight 0` server reads UP, not DRAIN), and it
 * would still need a maint step before the server can be deleted.
 */
const ADMIN_KEYWORD: Record<BackendState, string | undefined> = { active: undefined, draining: 'disabled' };

const SERVER_NAME_RE = /^[A-Za-z0-9_.:-]+$/;

/**
 * The family of an address, or undefined when it is none: what ipaddr.isValid and ipaddr.parse(…).kind() say, in one
 * parse instead of three. Only IPv6 has a colon, and ipaddr.js reads no IPv4 form with one.
 */
function addressKind(address: string): 'ipv4' | 'ipv6' | undefined {
  if (address.includes(':')) return ipaddr.IPv6.isValid(address) ? 'ipv6' : undefined;
  return ipaddr.IPv4.isValid(address) ? 'ipv4' : undefined;
}

function checkBackend(backend: HaproxyBackend): void {
  if (!SERVER_NAME_RE.test(backend.name)) throw new KubeadmHaError(`"${backend.name}" cannot be a haproxy server name`);
  if (!addressKind(backend.address)) throw new KubeadmHaError(`backend ${backend.name}: "${backend.address}" is not an IP address`);
  if (!Number.isInteger(backend.port) || backend.port < 1 || backend.port > 65535)
    throw new KubeadmHaError(`backend ${backend.name}: port ${backend.port} is not a TCP port`);
}

/** `198.18.0.11:6443`, or `ipv6@2001:db8::1:6443`: the prefix makes haproxy split an IPv6 address at the last colon. */
export function serverAddress(backend: HaproxyBackend): string {
  const kind = addressKind(backend.address);
  if (!kind) throw new KubeadmHaError(`backend ${backend.name}: "${backend.address}" is not an IP address`);
  return kind === 'ipv6' ? `ipv6@${ipaddr.IPv6.parse(backend.address).toString()}:${backend.port}` : `${backend.address}:${backend.port}`;
}

/**
 * The spec's settings that haproxy.cfg and `add server` use: what the coordinator publishes with the backend set, so
 * that LB agents render the same file from the set alone.
 */
export function loadBalancerConfig(plan: ClusterPlan): LoadBalancerConfig {
  return settingsOf(plan.spec);
}

/** Where the settings come from: a published set's, or a spec's (as {@link loadBalancerConfig} reads them). */
export type HaproxySettings = LoadBalancerConfig | ClusterSpec;

function settingsOf(source: HaproxySettings): LoadBalancerConfig {
  if (!('controlPlaneEndpoint' in source)) return source;
  const { runAs, port, vipFamily, haproxy } = source.controlPlaneEndpoint;
  return { runAs, port, vipFamily, timeouts: haproxy.timeouts, healthCheck: haproxy.healthCheck };
}

/**
 * Everything after the server name, shared by the config file's `server` lines and the runtime `add server` command:
 * a dynamic server inherits nothing from `default-server`, so both spell out every setting and behave the same.
 */
export function serverArguments(settings: LoadBalancerConfig, backend: HaproxyBackend): string {
  checkBackend(backend);
  const check = settings.healthCheck;
  const admin = ADMIN_KEYWORD[backend.state];
  return [
    serverAddress(backend),
    'check check-ssl verify none',
    `inter ${formatDurationMs(check.intervalMs)} fall ${check.fall} rise ${check.rise}`,
    ...(admin ? [admin] : []),
  ].join(' ');
}

/**
 * The runtime API line that adds a server exactly like the ones in haproxy.cfg (accepted by haproxy 2.6 without
 * experimental mode). haproxy creates every dynamic server in maintenance with its health check stopped; for an
 * active backend follow it with {@link serverStateCommands}.
 */
export function addServerCommand(settings: LoadBalancerConfig, backend: HaproxyBackend): string {
  return `add server ${HAPROXY_BACKEND}/${backend.name} ${serverArguments(settings, backend)}`;
}

/**
 * Puts a running (or just added) server in the state the file gives it, so that a later reload changes nothing.
 * `enable health` matters for dynamic servers, whose checks start stopped; on others it is a no-op.
 */
export function serverStateCommands(backend: Pick<HaproxyBackend, 'name' | 'state'>): string[] {
  const server = `${HAPROXY_BACKEND}/${backend.name}`;
  return backend.state === 'active' ? [`enable health ${server}`, `set server ${server} state ready`] : [`set server ${server} state maint`];
}

/** Removes a server; haproxy refuses unless it is in maintenance with no connection left on it. */
export function deleteServerCommand(backend: Pick<HaproxyBackend, 'name'>): string {
  return `del server ${HAPROXY_BACKEND}/${backend.name}`;
}

/** Every control-plane node's apiserver, in join order. */
export function defaultBackends(plan: ClusterPlan): HaproxyBackend[] {
  return plan.controlPlane.map((n) => ({ name: n.name, address: n.address, port: plan.spec.controlPlaneEndpoint.apiserverPort, state: 'active' }));
}

/** A TLS handshake plus /healthz on a loaded apiserver can outlast one check interval; allow two, at least 1 s. */
export function checkTimeoutMs(settings: HaproxySettings): number {
  return Math.max(2 * settingsOf(settings).healthCheck.intervalMs, 1000);
}

/**
 * haproxy.cfg listing `backends` in the given order. `backendSetVersion`, when the list comes from a published backend
 * set, is recorded in the file so that an agent restarting can tell which version the file already holds.
 */
export function renderHaproxyConfig(plan: ClusterPlan, backends: readonly HaproxyBackend[], options: { backendSetVersion?: number } = {}): string {
  return renderConfig(plan.spec.name, loadBalancerConfig(plan), backends, options.backendSetVersion);
}

/**
 * haproxy.cfg for a published set, from the settings it carries: what an LB agent writes. A set published without
 * them (by an older coordinator) cannot be rendered; the agent skips it.
 */
export function renderBackendSetConfig(set: BackendSet): string {
  return renderConfig(set.cluster, publishedSettings(set), set.backends, set.version);
}

/** The load-balancer settings a published set carries; PreconditionError for a set published without them. */
export function publishedSettings(set: BackendSet): LoadBalancerConfig {
  if (!set.loadBalancer) throw new PreconditionError(`backend set version ${set.version} of cluster "${set.cluster}" carries no load-balancer settings`);
  return set.loadBalancer;
}

function renderConfig(clusterName: string, settings: LoadBalancerConfig, backends: readonly HaproxyBackend[], backendSetVersion: number | undefined): string {
  if (settings.port === HAPROXY_HEALTHZ_PORT)
    throw new KubeadmHaError(`controlPlaneEndpoint.port ${settings.port} is haproxy's monitor port on loopback; choose another load-balancer port`);
  const names = new Set<string>();
  for (const b of backends) {
    if (names.has(b.name)) throw new KubeadmHaError(`backend ${b.name} is listed twice`);
    names.add(b.name);
  }
  const t = settings.timeouts;
  return renderTemplate('haproxy/haproxy.cfg.hbs', {
    clusterName,
    backendSetVersion: backendSetVersion ?? false,
    systemd: settings.runAs === 'systemd',
    fdHardLimit: HAPROXY_FD_HARD_LIMIT,
    adminSocket: HAPROXY_ADMIN_SOCKET,
    timeouts: {
      connect: formatDurationMs(t.connectMs),
      client: formatDurationMs(t.clientMs),
      server: formatDurationMs(t.serverMs),
      tunnel: formatDurationMs(t.tunnelMs),
      check: formatDurationMs(checkTimeoutMs(settings)),
    },
    healthzPort: HAPROXY_HEALTHZ_PORT,
    healthzPath: HAPROXY_HEALTHZ_PATH,
    // On masters the apiserver holds apiserverPort on the same host, so haproxy listens on the LB port everywhere.
    bind: settings.vipFamily === 'ipv6' ? `:::${settings.port} v4v6` : `*:${settings.port}`,
    servers: backends.map((b) => `${b.name} ${serverArguments(settings, b)}`),
  });
}

/** haproxy.cfg for a node: the published backend set when there is one, else every control-plane node. */
export function renderHaproxyFiles(target: RenderTarget, backends?: readonly HaproxyBackend[], backendSetVersion?: number): RenderedFile[] {
  const content = renderHaproxyConfig(target.plan, backends ?? defaultBackends(target.plan), backendSetVersion !== undefined ? { backendSetVersion } : {});
  return [{ path: HAPROXY_CFG_PATH, mode: 0o644, content }];
}
