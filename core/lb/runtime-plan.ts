/**
 * The runtime-API commands that take a running haproxy from the servers it has to a backend set. The plan is computed
 * from what haproxy reports (`show servers state`), not from the set applied last, so a half-applied change, a manual
 * edit, or a haproxy restarted from an older file are all repaired by the same code path.
 *
 * Order matters for connections in flight: new servers first (capacity before it is needed), then activations, then
 * the servers that stop taking connections. A server that must go is only put in maintenance here; deleting it waits
 * until its sessions end or a drain timeout passes (see {@link retireCommands}). A server whose address changed is
 * retired the same way and added back under its name once deleted, as haproxy cannot have two servers of one name.
 *
 * A draining backend is in maintenance, as in haproxy.cfg (`disabled`, see core/render/haproxy.ts): no new connections,
 * established ones run on, no health checks against a node being reset, and the state `del server` requires.
 */
import ipaddr from 'ipaddr.js';
import type { Backend, BackendSet } from '../backend-set.js';
import { HAPROXY_BACKEND } from '../render/haproxy.js';
import type { RuntimeServer } from './runtime-output.js';

export interface RuntimePlanOptions {
  /** The full `add server <backend>/<name> …` line for a backend (core/render/haproxy.ts addServerCommand). */
  readonly addServerCommand: (backend: Backend) => string;
  readonly backend?: string;
}

export type RuntimeStepKind = 'add' | 'enable-health' | 'activate' | 'drain' | 'retire';

export interface RuntimeStep {
  readonly server: string;
  readonly kind: RuntimeStepKind;
  readonly command: string;
}

export interface RuntimePlan {
  /** Run now, in this order. */
  readonly steps: readonly RuntimeStep[];
  /** Servers in maintenance once `steps` ran that must be deleted when drained; sorted by name. */
  readonly retire: readonly string[];
}

export function planRuntimeChanges(live: readonly RuntimeServer[], next: BackendSet | readonly Backend[], options: RuntimePlanOptions): RuntimePlan {
  const backend = options.backend ?? HAPROXY_BACKEND;
  const wanted = [...('backends' in next ? next.backends : next)].sort(byName);
  const running = new Map(live.filter((s) => s.backend === backend).map((s) => [s.name, s]));
  const adds: RuntimeStep[] = [];
  const activations: RuntimeStep[] = [];
  const drains: RuntimeStep[] = [];
  const retirements: RuntimeStep[] = [];
  const retire: string[] = [];
  const server = (name: string) => `${backend}/${name}`;

  for (const b of wanted) {
    const current = running.get(b.name);
    if (!current) {
      adds.push({ server: b.name, kind: 'add', command: options.addServerCommand(b) });
      // A dynamic server starts in maintenance with its check stopped, which is already right for a draining one.
      if (b.state === 'active') {
        adds.push({ server: b.name, kind: 'enable-health', command: `enable health ${server(b.name)}` });
        adds.push({ server: b.name, kind: 'activate', command: `enable server ${server(b.name)}` });
      }
      continue;
    }
    if (!sameEndpoint(current, b)) continue; // retired below, added back once deleted
    if (b.state === 'active') {
      if (current.checkConfigured && !current.checkEnabled) {
        activations.push({ server: b.name, kind: 'enable-health', command: `enable health ${server(b.name)}` });
      }
      if (current.admin !== 'ready') activations.push({ server: b.name, kind: 'activate', command: `set server ${server(b.name)} state ready` });
    } else if (current.admin !== 'maint') {
      drains.push({ server: b.name, kind: 'drain', command: `set server ${server(b.name)} state maint` });
    }
  }

  const byWantedName = new Map(wanted.map((b) => [b.name, b]));
  for (const current of [...running.values()].sort(byName)) {
    const b = byWantedName.get(current.name);
    if (b && sameEndpoint(current, b)) continue;
    if (current.admin !== 'maint') retirements.push({ server: current.name, kind: 'retire', command: `set server ${server(current.name)} state maint` });
    retire.push(current.name);
  }

  return { steps: [...adds, ...activations, ...drains, ...retirements], retire };
}

/** Nothing to run and nothing to delete: haproxy runs exactly the set. */
export function isConverged(plan: RuntimePlan): boolean {
  return plan.steps.length === 0 && plan.retire.length === 0;
}

/**
 * Deletes a server in maintenance. `force` (its drain timeout passed) first cuts the sessions still on it: a client
 * of a removed apiserver reconnects through haproxy to another one, whereas a watch left open would pin the node.
 */
export function retireCommands(name: string, options: { force: boolean; backend?: string }): string[] {
  const server = `${options.backend ?? HAPROXY_BACKEND}/${name}`;
  return [...(options.force ? [`shutdown sessions server ${server}`] : []), `del server ${server}`];
}

function sameEndpoint(current: RuntimeServer, b: Backend): boolean {
  return current.port === b.port && normalAddress(current.address) === normalAddress(b.address);
}

function normalAddress(address: string): string {
  try {
    return ipaddr.process(address).toNormalizedString();
  } catch {
    return address;
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
