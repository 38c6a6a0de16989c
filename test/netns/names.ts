/**
 * Names and addresses of a lab. Every namespace and temp directory of a lab is called
 * `<prefix>-<owner pid>-<random id>…`: the random id keeps parallel runs apart, and the owner pid lets
 * `cleanupStaleLabs` tell a crashed run's leftovers from a lab that a live process is still using.
 */
import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';

export const DEFAULT_LAB_PREFIX = 'khalab';
/** The reserved name of the namespace holding the bridge; no host may take it. */
export const SWITCH_HOST = 'switch';
/** RFC 2544 benchmarking range: the only addresses the labs may use (project rule). */
export const LAB_ADDRESS_RANGE = '198.18.0.0/15';

const PREFIX_RE = /^[a-z][a-z0-9]{1,11}$/;
/** DNS-1123 label, short enough that `<prefix>-<pid>-<id>-<host>` stays a readable namespace name. */
const HOST_RE = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

export interface LabIdentity {
  readonly prefix: string;
  readonly ownerPid: number;
  readonly id: string;
  /** `<prefix>-<ownerPid>-<id>`: the common stem of the lab's namespaces and of its temp directory. */
  readonly stem: string;
}

export function checkPrefix(prefix: string): void {
  if (!PREFIX_RE.test(prefix)) throw new Error(`lab prefix ${JSON.stringify(prefix)} must match ${PREFIX_RE}`);
}

export function newLabIdentity(prefix = DEFAULT_LAB_PREFIX): LabIdentity {
  checkPrefix(prefix);
  const id = randomBytes(3).toString('hex');
  return { prefix, ownerPid: process.pid, id, stem: `${prefix}-${process.pid}-${id}` };
}

/** Recognises a namespace or directory name made by `newLabIdentity(prefix)`. */
export function parseLabName(prefix: string, name: string): LabIdentity | undefined {
  const m = new RegExp(`^(${prefix})-(\\d+)-([0-9a-f]{6})(?:-|$)`).exec(name);
  if (!m) return undefined;
  return { prefix, ownerPid: Number(m[2]), id: m[3]!, stem: `${m[1]}-${m[2]}-${m[3]}` };
}

export function checkHostName(name: string): void {
  if (!HOST_RE.test(name)) throw new Error(`lab host name ${JSON.stringify(name)} must be a DNS-1123 label of at most 32 characters`);
  if (name === SWITCH_HOST) throw new Error(`lab host name "${SWITCH_HOST}" is reserved for the bridge namespace`);
}

export interface LabCidr {
  readonly address: string;
  readonly prefixLength: number;
  readonly cidr: string;
}

/** `198.18.0.11/24` → parts; anything outside 198.18.0.0/15 (or without a prefix length) is refused. */
export function parseLabCidr(text: string): LabCidr {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw new Error(`lab address ${JSON.stringify(text)} must be an IPv4 address with a prefix length, e.g. 198.18.0.11/24`);
  }
  const [addr, prefixLength] = parsed;
  const [range, rangeBits] = ipaddr.parseCIDR(LAB_ADDRESS_RANGE);
  if (addr.kind() !== 'ipv4' || !(addr as ipaddr.IPv4).match(range as ipaddr.IPv4, rangeBits) || prefixLength < rangeBits) {
    throw new Error(`lab address ${text} is outside ${LAB_ADDRESS_RANGE}: labs use the benchmarking range only`);
  }
  return { address: addr.toString(), prefixLength, cidr: `${addr.toString()}/${prefixLength}` };
}

/** A VIP given as `198.18.0.100` or `198.18.0.100/24` → the bare address. */
export function bareAddress(text: string): string {
  const bare = text.includes('/') ? text.slice(0, text.indexOf('/')) : text;
  if (!ipaddr.isValid(bare)) throw new Error(`${JSON.stringify(text)} is not an IP address`);
  return ipaddr.parse(bare).toString();
}
