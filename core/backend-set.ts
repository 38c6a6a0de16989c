/**
 * The load balancer's backend set: which apiservers every haproxy of a cluster sends traffic to.
 * The coordinator publishes it, versioned, on NATS; every LB agent applies the newest version it has seen.
 *
 * Versions are the ordering contract between one writer and many appliers: a set always carries
 * version = previous + 1, and an applier ignores anything not newer than what it applied. A removed
 * backend is simply absent, so "the latest set" is the whole truth and no history has to be replayed.
 * The backends are kept sorted by name so that two equal sets encode to the same bytes.
 *
 * A set may also carry the load balancer's settings ({@link LoadBalancerConfig}): what an LB agent needs, besides the
 * backends, to render haproxy.cfg. They travel with the set so that an agent never reads the cluster spec, and a
 * change of them is a new version like a change of the backends.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { SpecError, type SpecIssue } from './errors.js';
import { dns1123LabelProblem, HAPROXY_INT_MAX } from './validate.js';

export type BackendState = 'active' | 'draining';

export interface Backend {
  /** The node name (a DNS-1123 label); haproxy's server name. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly state: BackendState;
}

/**
 * Everything haproxy.cfg and the runtime `add server` line take from the cluster spec, as core/render/haproxy.ts
 * `loadBalancerConfig` derives it. Nothing in it differs between nodes: haproxy listens on the same port everywhere.
 */
export interface LoadBalancerConfig {
  /** A static pod logs to its container runtime; the distribution's systemd unit logs to the journal as user haproxy. */
  readonly runAs: 'static-pod' | 'systemd';
  /** The port haproxy listens on (controlPlaneEndpoint.port). */
  readonly port: number;
  /** The VIP's family: with an IPv6 VIP haproxy binds dual-stack. */
  readonly vipFamily: 'ipv4' | 'ipv6';
  readonly timeouts: { readonly connectMs: number; readonly clientMs: number; readonly serverMs: number; readonly tunnelMs: number };
  readonly healthCheck: { readonly intervalMs: number; readonly fall: number; readonly rise: number };
}

export interface BackendSet {
  readonly cluster: string;
  readonly version: number;
  readonly backends: readonly Backend[];
  /** Absent in sets published before the coordinator carried them; an agent applies no set without them. */
  readonly loadBalancer?: LoadBalancerConfig;
}

/** A backend as callers usually give it: active unless said otherwise. */
export type BackendInput = Omit<Backend, 'state'> & { readonly state?: BackendState };

export interface BackendDiff {
  /** In `next` only. Added in the state `next` gives them (a draining one is added in maint). */
  readonly add: Backend[];
  /** Same name and endpoint, active before, draining now. */
  readonly drain: Backend[];
  /** In `applied` only. */
  readonly remove: Backend[];
  /** Same name and endpoint, draining before, active now. */
  readonly reactivate: Backend[];
  /** Same name, different address or port: the applier removes the old server and adds this one. */
  readonly readdress: Backend[];
}

/** The set a cluster has before anything was published; the first published set is version 1. */
export function emptyBackendSet(cluster: string): BackendSet {
  return checked({ cluster, version: 0, backends: [] });
}

/** Adds a backend, or updates the one with the same name. Unchanged (same version) when it is already exactly there. */
export function addBackend(set: BackendSet, backend: BackendInput): BackendSet {
  const wanted: Backend = { name: backend.name, address: backend.address, port: backend.port, state: backend.state ?? 'active' };
  return withBackends(set, [...set.backends.filter((b) => b.name !== wanted.name), wanted]);
}

/**
 * Marks a backend draining: haproxy puts it in maint, so no new connections go to it while
 * established ones finish. Draining an absent backend changes nothing, which keeps removals idempotent.
 */
export function drainBackend(set: BackendSet, name: string): BackendSet {
  return withBackends(
    set,
    set.backends.map((b) => (b.name === name ? { ...b, state: 'draining' as const } : b)),
  );
}

/** Removes a backend. Removing an absent one changes nothing. */
export function removeBackend(set: BackendSet, name: string): BackendSet {
  return withBackends(
    set,
    set.backends.filter((b) => b.name !== name),
  );
}

/** Replaces the whole list. Returns `set` itself, version unchanged, when the list is the same. */
export function withBackends(set: BackendSet, list: readonly BackendInput[]): BackendSet {
  return nextBackendSet(set, { ...set, backends: list.map((b) => ({ ...b, state: b.state ?? 'active' })) });
}

/** Sets the load balancer's settings. Returns `set` itself, version unchanged, when they are the same. */
export function withLoadBalancerConfig(set: BackendSet, config: LoadBalancerConfig): BackendSet {
  return nextBackendSet(set, { ...set, loadBalancer: config });
}

/**
 * The set one version after `current` with the content (backends, load-balancer settings) of `proposed`, or `current`
 * itself when that content is the same: however many changes `proposed` went through, it is one version. The cluster
 * and version of `proposed` are not read.
 */
export function nextBackendSet(current: BackendSet, proposed: BackendSet): BackendSet {
  const { loadBalancer } = proposed;
  const backends = canonical(proposed.backends.map((b) => ({ name: b.name, address: b.address, port: b.port, state: b.state })));
  const next = checked({ cluster: current.cluster, version: current.version + 1, backends, ...(loadBalancer ? { loadBalancer } : {}) });
  return sameBackends(current.backends, next.backends) && sameLoadBalancer(current.loadBalancer, next.loadBalancer) ? current : next;
}

/**
 * Whether `candidate` should be applied by someone who already applied, or has queued, `appliedVersion` (undefined:
 * nothing yet). The only place that orders versions: everything that drops an old or repeated set asks this.
 */
export function isNewer(candidate: BackendSet | number, appliedVersion: number | undefined): boolean {
  const version = typeof candidate === 'number' ? candidate : candidate.version;
  return appliedVersion === undefined || version > appliedVersion;
}

/** What an applier must do to go from the servers it runs to `next`. Each list is sorted by name. */
export function diffBackends(applied: readonly Backend[], next: readonly Backend[]): BackendDiff {
  const before = new Map(applied.map((b) => [b.name, b]));
  const after = new Map(next.map((b) => [b.name, b]));
  const diff = { add: [] as Backend[], drain: [] as Backend[], remove: [] as Backend[], reactivate: [] as Backend[], readdress: [] as Backend[] };
  for (const b of after.values()) {
    const old = before.get(b.name);
    if (!old) diff.add.push(b);
    else if (old.address !== b.address || old.port !== b.port) diff.readdress.push(b);
    else if (old.state === 'active' && b.state === 'draining') diff.drain.push(b);
    else if (old.state === 'draining' && b.state === 'active') diff.reactivate.push(b);
  }
  for (const b of before.values()) if (!after.has(b.name)) diff.remove.push(b);
  for (const list of Object.values(diff)) list.sort(byName);
  return diff;
}

export function encodeBackendSet(set: BackendSet): string {
  const valid = checked(set);
  return JSON.stringify({
    cluster: valid.cluster,
    version: valid.version,
    backends: valid.backends.map((b) => ({ name: b.name, address: b.address, port: b.port, state: b.state })),
    ...(valid.loadBalancer ? { loadBalancer: valid.loadBalancer } : {}),
  });
}

const haproxyInt = (min: number) => z.number().int().min(min).max(HAPROXY_INT_MAX);

/**
 * The settings as they may be published: every field required and bounded, and nothing else, since an agent renders
 * haproxy.cfg from them. A setting this agent does not know makes the whole set invalid rather than silently ignored:
 * the file it would render could not be what the coordinator meant. The minimums are the spec's (core/spec.ts).
 */
const loadBalancerSchema = z.strictObject({
  runAs: z.enum(['static-pod', 'systemd']),
  port: z.number().int().min(1).max(65535),
  vipFamily: z.enum(['ipv4', 'ipv6']),
  timeouts: z.strictObject({ connectMs: haproxyInt(1), clientMs: haproxyInt(1), serverMs: haproxyInt(1), tunnelMs: haproxyInt(1) }),
  healthCheck: z.strictObject({ intervalMs: haproxyInt(100), fall: haproxyInt(1), rise: haproxyInt(1) }),
});

const wireSchema = z.object({
  cluster: z.string(),
  version: z.number().int().nonnegative(),
  backends: z.array(
    z.object({
      name: z.string(),
      address: z.string(),
      port: z.number().int(),
      state: z.enum(['active', 'draining']),
    }),
  ),
  loadBalancer: z.unknown().optional(),
});

/** One for every decode: an agent decodes each set it is handed, a fleet's worth per change on a shared machine. */
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Parses what `encodeBackendSet` wrote. Anything else (bad JSON, wrong shape, broken invariants) is a SpecError. */
export function decodeBackendSet(data: string | Uint8Array, source = 'backend set'): BackendSet {
  const text = typeof data === 'string' ? data : utf8.decode(data);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SpecError(source, [{ path: '(document)', message: `not JSON: ${(err as Error).message}` }]);
  }
  const parsed = wireSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SpecError(
      source,
      parsed.error.issues.map((i) => ({ path: i.path.length ? i.path.map(String).join('.') : '(document)', message: i.message })),
    );
  }
  const { loadBalancer, ...rest } = parsed.data;
  // Validated by checked(), which reports its issues under the same paths as for a set built in code.
  const set = { ...rest, backends: canonical(rest.backends), ...(loadBalancer !== undefined ? { loadBalancer: loadBalancer as LoadBalancerConfig } : {}) };
  return checked(set, source);
}

/** Every invariant a set must hold, as issues (empty when valid). */
export function backendSetProblems(set: BackendSet): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const clusterProblem = dns1123LabelProblem(set.cluster);
  if (clusterProblem) issues.push({ path: 'cluster', message: clusterProblem });
  if (!Number.isSafeInteger(set.version) || set.version < 0) {
    issues.push({ path: 'version', message: `must be a non-negative integer, got ${set.version}` });
  }
  const names = new Set<string>();
  const endpoints = new Map<string, string>();
  set.backends.forEach((b, i) => {
    const at = `backends[${i}]`;
    const nameProblem = dns1123LabelProblem(b.name);
    if (nameProblem) issues.push({ path: `${at}.name`, message: nameProblem });
    if (names.has(b.name)) issues.push({ path: `${at}.name`, message: `"${b.name}" appears more than once` });
    names.add(b.name);
    if (!isCanonicalAddress(b.address)) {
      issues.push({ path: `${at}.address`, message: `"${b.address}" is not an IPv4 or IPv6 address` });
    }
    if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) {
      issues.push({ path: `${at}.port`, message: `must be 1-65535, got ${b.port}` });
    }
    if (b.state !== 'active' && b.state !== 'draining') {
      issues.push({ path: `${at}.state`, message: `must be "active" or "draining", got "${String(b.state)}"` });
    }
    const endpoint = `${b.address}:${b.port}`;
    const other = endpoints.get(endpoint);
    if (other !== undefined) {
      issues.push({ path: `${at}.address`, message: `"${b.name}" and "${other}" both point at ${endpoint}` });
    }
    endpoints.set(endpoint, b.name);
  });
  if (set.loadBalancer !== undefined) {
    const parsed = loadBalancerSchema.safeParse(set.loadBalancer);
    if (!parsed.success) for (const i of parsed.error.issues) issues.push({ path: ['loadBalancer', ...i.path.map(String)].join('.'), message: i.message });
  }
  return issues;
}

/** `set` once it holds every invariant, its load-balancer settings in canonical form; else a SpecError. */
function checked(set: BackendSet, source = `backend set of cluster "${set.cluster}"`): BackendSet {
  const issues = backendSetProblems(set);
  if (issues.length > 0) throw new SpecError(source, issues);
  return set.loadBalancer ? { ...set, loadBalancer: canonicalLoadBalancer(set.loadBalancer) } : set;
}

/** Four decimal parts without leading zeros; each must also be at most 255. */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/**
 * ipaddr.js accepts legacy forms such as "010.1" or "0x7f.1"; haproxy and the kernel would read them
 * differently than a human does, so only the dotted-quad and the standard IPv6 notation pass. The dotted quad is
 * checked here without ipaddr.js, which would parse it twice (ipaddr.IPv4.isValidFourPartDecimal accepts the same).
 */
function isCanonicalAddress(address: string): boolean {
  const quad = DOTTED_QUAD.exec(address);
  if (quad) return Number(quad[1]) <= 255 && Number(quad[2]) <= 255 && Number(quad[3]) <= 255 && Number(quad[4]) <= 255;
  // A zone index (`fe80::1%eth0`) names an interface of one host; it means nothing in a shared set.
  return address.includes(':') && !address.includes('%') && ipaddr.IPv6.isValid(address);
}

function canonical(list: readonly Backend[]): Backend[] {
  return [...list].sort(byName);
}

function byName(a: Backend, b: Backend): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The settings with their keys in one order, and only those keys: equal settings encode to the same bytes. */
function canonicalLoadBalancer(c: LoadBalancerConfig): LoadBalancerConfig {
  return {
    runAs: c.runAs,
    port: c.port,
    vipFamily: c.vipFamily,
    timeouts: { connectMs: c.timeouts.connectMs, clientMs: c.timeouts.clientMs, serverMs: c.timeouts.serverMs, tunnelMs: c.timeouts.tunnelMs },
    healthCheck: { intervalMs: c.healthCheck.intervalMs, fall: c.healthCheck.fall, rise: c.healthCheck.rise },
  };
}

function sameLoadBalancer(a: LoadBalancerConfig | undefined, b: LoadBalancerConfig | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(canonicalLoadBalancer(a)) === JSON.stringify(canonicalLoadBalancer(b));
}

function sameBackends(a: readonly Backend[], b: readonly Backend[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = canonical(a);
  return b.every((x, i) => {
    const y = sortedA[i];
    return y !== undefined && x.name === y.name && x.address === y.address && x.port === y.port && x.state === y.state;
  });
}

/** Puts a draining backend back in service (the end of a maintenance window). An absent or active one changes nothing. */
export function activateBackend(set: BackendSet, name: string): BackendSet {
  return withBackends(
    set,
    set.backends.map((b) => (b.name === name ? { ...b, state: 'active' as const } : b)),
  );
}
