/**
 * The load balancer's backend set: which apiservers every haproxy of a cluster sends traffic to.
 * The coordinator publishes it, versioned, on NATS; every LB agent applies the newest version it has seen.
 *
 * Versions are the ordering contract between one writer and many appliers: a set always carries
 * version = previous + 1, and an applier ignores anything not newer than what it applied. A removed
 * backend is simply absent, so "the latest set" is the whole truth and no history has to be replayed.
 * The backends are kept sorted by name so that two equal sets encode to the same bytes.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { SpecError, type SpecIssue } from './errors.js';
import { dns1123LabelProblem } from './validate.js';

export type BackendState = 'active' | 'draining';

export interface Backend {
  /** The node name (a DNS-1123 label); haproxy's server name. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly state: BackendState;
}

export interface BackendSet {
  readonly cluster: string;
  readonly version: number;
  readonly backends: readonly Backend[];
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
  const backends = canonical(list.map((b) => ({ name: b.name, address: b.address, port: b.port, state: b.state ?? 'active' })));
  const next = checked({ cluster: set.cluster, version: set.version + 1, backends });
  return sameBackends(set.backends, next.backends) ? set : next;
}

/** Whether `candidate` should be applied by someone who already applied `appliedVersion` (undefined: nothing yet). */
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
  });
}

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
});

/** Parses what `encodeBackendSet` wrote. Anything else (bad JSON, wrong shape, broken invariants) is a SpecError. */
export function decodeBackendSet(data: string | Uint8Array, source = 'backend set'): BackendSet {
  const text = typeof data === 'string' ? data : new TextDecoder('utf-8', { fatal: false }).decode(data);
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
  return checked({ ...parsed.data, backends: canonical(parsed.data.backends) }, source);
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
    if (!ipaddr.isValid(b.address) || !isCanonicalAddress(b.address)) {
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
  return issues;
}

function checked(set: BackendSet, source = `backend set of cluster "${set.cluster}"`): BackendSet {
  const issues = backendSetProblems(set);
  if (issues.length > 0) throw new SpecError(source, issues);
  return set;
}

/**
 * ipaddr.js accepts legacy forms such as "010.1" or "0x7f.1"; haproxy and the kernel would read them
 * differently than a human does, so only the dotted-quad and the standard IPv6 notation pass.
 */
function isCanonicalAddress(address: string): boolean {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return true;
  // A zone index (`fe80::1%eth0`) names an interface of one host; it means nothing in a shared set.
  return address.includes(':') && !address.includes('%') && ipaddr.IPv6.isValid(address);
}

function canonical(list: readonly Backend[]): Backend[] {
  return [...list].sort(byName);
}

function byName(a: Backend, b: Backend): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function sameBackends(a: readonly Backend[], b: readonly Backend[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = canonical(a);
  return b.every((x, i) => {
    const y = sortedA[i];
    return y !== undefined && x.name === y.name && x.address === y.address && x.port === y.port && x.state === y.state;
  });
}
