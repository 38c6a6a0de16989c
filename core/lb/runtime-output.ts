/**
 * Parsers for what haproxy's runtime API (the stats socket) and its master CLI print, as haproxy 2.6 prints them.
 * Columns are found by their header names, not their positions: later haproxy versions append columns, and a parser
 * that counted positions would silently read the wrong one.
 */
import { RuntimeOutputError } from '../errors.js';

/** `srv_admin_state` bits (management guide, "show servers state"). */
export const SRV_ADMF_FMAINT = 0x01;
export const SRV_ADMF_IMAINT = 0x02;
/** Set by the `disabled` keyword in the file. Informational once the server was enabled: haproxy keeps the bit. */
export const SRV_ADMF_CMAINT = 0x04;
export const SRV_ADMF_FDRAIN = 0x08;
export const SRV_ADMF_IDRAIN = 0x10;
export const SRV_ADMF_RMAINT = 0x20;
export const SRV_ADMF_HMAINT = 0x40;
/** The bits haproxy itself treats as "in maintenance" (its SRV_ADMF_MAINT); CMAINT is not one of them. */
const MAINT_BITS = SRV_ADMF_FMAINT | SRV_ADMF_IMAINT | SRV_ADMF_RMAINT | SRV_ADMF_HMAINT;
const DRAIN_BITS = SRV_ADMF_FDRAIN | SRV_ADMF_IDRAIN;

/** `srv_check_state` bits. */
export const CHK_ST_CONFIGURED = 0x02;
export const CHK_ST_ENABLED = 0x04;
export const CHK_ST_PAUSED = 0x08;

export type ServerOperationalState = 'stopped' | 'starting' | 'running' | 'stopping';
/** The administrative state that decides whether new connections go to a server. */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

/** One line of `show servers state <backend>` (format version 1). */
export interface RuntimeServer {
  readonly backend: string;
  readonly id: number;
  readonly name: string;
  /** As haproxy prints it: dotted quad, or compressed lower-case IPv6. */
  readonly address: string;
  readonly port: number;
  readonly operational: ServerOperationalState;
  readonly admin: ServerAdminState;
  readonly adminFlags: number;
  /** The server has a health check (`check`). */
  readonly checkConfigured: boolean;
  /** The health check is administratively enabled; false for a dynamic server until `enable health`. */
  readonly checkEnabled: boolean;
  /** Whole seconds since the server last changed operational state (haproxy's own clock, `srv_time_since_last_change`). */
  readonly secondsSinceChange: number;
}

const OPERATIONAL: Record<string, ServerOperationalState> = { '0': 'stopped', '1': 'starting', '2': 'running', '3': 'stopping' };

export function adminStateOf(flags: number): ServerAdminState {
  if (flags & MAINT_BITS) return 'maint';
  if (flags & DRAIN_BITS) return 'drain';
  return 'ready';
}

/** Parses `show servers state [<backend>]`. Throws RuntimeOutputError on a format it does not know. */
export function parseServersState(text: string): RuntimeServer[] {
  const lines = text.split('\n').map((l) => l.trim());
  const version = lines[0];
  if (version !== '1') throw new RuntimeOutputError('show servers state', `format version ${JSON.stringify(version)} is not 1`, text);
  const header = lines[1];
  if (!header?.startsWith('#')) throw new RuntimeOutputError('show servers state', 'no column header', text);
  const columns = header.replace(/^#\s*/, '').split(/\s+/);
  const at = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new RuntimeOutputError('show servers state', `no column ${name}`, text);
    return i;
  };
  const col = {
    backend: at('be_name'),
    id: at('srv_id'),
    name: at('srv_name'),
    address: at('srv_addr'),
    operational: at('srv_op_state'),
    admin: at('srv_admin_state'),
    checkState: at('srv_check_state'),
    port: at('srv_port'),
    sinceChange: at('srv_time_since_last_change'),
  };
  const servers: RuntimeServer[] = [];
  for (const line of lines.slice(2)) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    if (f.length < columns.length) throw new RuntimeOutputError('show servers state', `a line has ${f.length} of ${columns.length} columns`, line);
    const adminFlags = Number(f[col.admin]);
    const checkFlags = Number(f[col.checkState]);
    const operational = OPERATIONAL[f[col.operational]!];
    if (!operational || !Number.isInteger(adminFlags) || !Number.isInteger(checkFlags)) {
      throw new RuntimeOutputError('show servers state', 'a state column is not a number haproxy documents', line);
    }
    servers.push({
      backend: f[col.backend]!,
      id: Number(f[col.id]),
      name: f[col.name]!,
      address: f[col.address]!,
      port: Number(f[col.port]),
      operational,
      admin: adminStateOf(adminFlags),
      adminFlags,
      checkConfigured: (checkFlags & CHK_ST_CONFIGURED) !== 0,
      checkEnabled: (checkFlags & CHK_ST_ENABLED) !== 0,
      secondsSinceChange: Number(f[col.sinceChange]),
    });
  }
  return servers;
}

/** Per-server counters from `show stat` that decide whether a server can be deleted. */
export interface ServerSessions {
  readonly name: string;
  /** Current sessions (`scur`). */
  readonly current: number;
  /** Requests queued for this server (`qcur`); `del server` refuses while any are. */
  readonly queued: number;
  /** `UP`, `DOWN`, `MAINT`, `DRAIN`, `no check`, … */
  readonly status: string;
}

/** Parses `show stat` CSV, keeping the server rows of `backend` (the BACKEND/FRONTEND aggregate rows are not servers). */
export function parseServerSessions(csv: string, backend: string): Map<string, ServerSessions> {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0];
  if (!header?.startsWith('# pxname,')) throw new RuntimeOutputError('show stat', 'no CSV header', csv);
  const columns = header.slice(2).split(',');
  const idx = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new RuntimeOutputError('show stat', `no column ${name}`, csv);
    return i;
  };
  const [px, sv, scur, qcur, status] = ['pxname', 'svname', 'scur', 'qcur', 'status'].map(idx) as [number, number, number, number, number];
  const out = new Map<string, ServerSessions>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const name = f[sv] ?? '';
    if (f[px] !== backend || name === 'BACKEND' || name === 'FRONTEND') continue;
    out.set(name, { name, current: Number(f[scur] || 0), queued: Number(f[qcur] || 0), status: f[status] ?? '' });
  }
  return out;
}

export interface HaproxyProcess {
  readonly pid: number;
  readonly reloads: number;
}

/** The master CLI's `show proc`. */
export interface ProcessList {
  readonly master: HaproxyProcess & { readonly failedReloads: number };
  /** The current workers (one, unless nbproc-era configs). */
  readonly workers: readonly HaproxyProcess[];
  /** Workers of earlier generations still finishing their connections after a reload. */
  readonly oldWorkers: readonly HaproxyProcess[];
}

export function parseShowProc(text: string): ProcessList {
  let master: ProcessList['master'] | undefined;
  const workers: HaproxyProcess[] = [];
  const oldWorkers: HaproxyProcess[] = [];
  let section: 'head' | 'workers' | 'old' | 'other' = 'head';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      section = line === '# workers' ? 'workers' : line === '# old workers' ? 'old' : line.startsWith('#<PID>') ? 'head' : 'other';
      continue;
    }
    const m = /^(\d+)\s+(\S+)\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?/.exec(line);
    if (!m) continue;
    const proc = { pid: Number(m[1]), reloads: Number(m[3]) };
    if (m[2] === 'master') master = { ...proc, failedReloads: Number(m[4] ?? 0) };
    else if (m[2] === 'worker' && section === 'workers') workers.push(proc);
    else if (m[2] === 'worker' && section === 'old') oldWorkers.push(proc);
  }
  if (!master) throw new RuntimeOutputError('show proc', 'no master line', text);
  return { master, workers, oldWorkers };
}

/** `show info` as name → value (`Pid`, `Uptime_sec`, …). */
export function parseShowInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}
