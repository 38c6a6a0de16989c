/**
 * HTTP(S) clients that run inside a lab host, so requests take the lab's network path (VIP, haproxy, backends)
 * and never the test process's own: curl for single requests, a node child for bounded load loops.
 */
import type { Lab } from './harness.js';

export interface InNamespaceGetOptions {
  /** PEM file the server certificate must chain to; without it the certificate is not verified (`-k`). */
  caFile?: string;
  timeoutMs?: number;
}

export interface InNamespaceGetResult {
  /** 0 when no HTTP answer arrived (connection refused, timeout, TLS failure). */
  readonly status: number;
  readonly body: string;
  /** curl's exit code and message when it failed. */
  readonly curlExitCode: number | null;
  readonly error?: string;
}

export async function httpGetFrom(lab: Lab, fromHost: string, url: string, opts: InNamespaceGetOptions = {}): Promise<InNamespaceGetResult> {
  const marker = '\n__kubeadm_ha_status__:';
  const args = ['-sS', '--max-time', String((opts.timeoutMs ?? 1000) / 1000), '-o', '-', '-w', `${marker}%{http_code}`];
  args.push(...(opts.caFile ? ['--cacert', opts.caFile] : ['-k']), url);
  const r = await lab.exec(fromHost, 'curl', args, { reject: false, timeoutMs: (opts.timeoutMs ?? 1000) + 5000 });
  const at = r.stdout.lastIndexOf(marker);
  const status = at >= 0 ? Number(r.stdout.slice(at + marker.length).trim()) || 0 : 0;
  const body = at >= 0 ? r.stdout.slice(0, at) : r.stdout;
  return { status, body, curlExitCode: r.exitCode, ...(r.exitCode !== 0 ? { error: r.stderr.trim() || `curl exited ${r.exitCode}` } : {}) };
}

export interface LoadLoopOptions {
  lab: Lab;
  fromHost: string;
  url: string;
  /** PEM text of the CA to verify against; without it certificates are not verified. */
  ca?: string;
  durationMs: number;
  /** Pause between the end of one request and the start of the next. */
  intervalMs: number;
  /** Per request; default 2000. */
  requestTimeoutMs?: number;
  /** A request passes when its status is in this list; default [200]. */
  expectStatus?: number[];
  /** Each request on a fresh TCP (and TLS) connection, so a dropped connection shows up as a failure; default true. */
  newConnectionEachRequest?: boolean;
}

export interface LoadLoopError {
  /** ms since the loop started. */
  readonly atMs: number;
  readonly message: string;
}

export interface LoadLoopResult {
  readonly ok: number;
  readonly failed: number;
  /** At most 100, the first ones. */
  readonly errors: LoadLoopError[];
  /** Status code → count, including unexpected ones. */
  readonly statuses: Record<string, number>;
  /** Bodies (first 200 characters) of passing answers → count: shows which backends answered. */
  readonly bodies: Record<string, number>;
  readonly maxLatencyMs: number;
  /** The longest time between two passing answers (or from the start to the first, or the last to the end). */
  readonly longestGapMs: number;
  readonly elapsedMs: number;
  /** The loop's start on the machine's clock (namespaces share it): puts `atMs` beside the test's own events. */
  readonly startedAtEpochMs: number;
}

/** Runs inside the namespace; prints one JSON line. Bounded by durationMs and by the per-request timeout. */
const LOAD_LOOP_SCRIPT = `
const cfg = JSON.parse(process.argv[1]);
const url = new URL(cfg.url);
const mod = url.protocol === 'https:' ? require('node:https') : require('node:http');
const started = Date.now();
const res = { ok: 0, failed: 0, errors: [], statuses: {}, bodies: {}, maxLatencyMs: 0, longestGapMs: 0, elapsedMs: 0, startedAtEpochMs: started };
let lastOkAt = started;
const passed = () => { const now = Date.now(); res.longestGapMs = Math.max(res.longestGapMs, now - lastOkAt); lastOkAt = now; res.ok++; };
const fail = (message) => { res.failed++; if (res.errors.length < 100) res.errors.push({ atMs: Date.now() - started, message }); };
const once = () => new Promise((resolve) => {
  const t0 = Date.now();
  let settled = false;
  const finish = (fn) => { if (settled) return; settled = true; res.maxLatencyMs = Math.max(res.maxLatencyMs, Date.now() - t0); fn(); resolve(); };
  const req = mod.get(url, {
    agent: cfg.newConnection ? false : undefined,
    ca: cfg.ca, rejectUnauthorized: Boolean(cfg.ca), timeout: cfg.requestTimeoutMs,
  }, (r) => {
    let body = '';
    r.setEncoding('utf8');
    r.on('data', (c) => { if (body.length < 200) body += c; });
    r.on('end', () => finish(() => {
      res.statuses[r.statusCode] = (res.statuses[r.statusCode] || 0) + 1;
      if (cfg.expectStatus.includes(r.statusCode)) { passed(); const k = body.slice(0, 200); res.bodies[k] = (res.bodies[k] || 0) + 1; }
      else fail('status ' + r.statusCode + ': ' + body.slice(0, 200));
    }));
    r.on('error', (e) => finish(() => fail('response: ' + (e.code || e.message))));
  });
  req.on('timeout', () => { req.destroy(new Error('timeout after ' + cfg.requestTimeoutMs + ' ms')); });
  req.on('error', (e) => finish(() => fail((e.code ? e.code + ': ' : '') + e.message)));
});
(async () => {
  while (Date.now() - started < cfg.durationMs) {
    await once();
    await new Promise((r) => setTimeout(r, cfg.intervalMs));
  }
  res.elapsedMs = Date.now() - started;
  res.longestGapMs = Math.max(res.longestGapMs, Date.now() - lastOkAt);
  process.stdout.write(JSON.stringify(res) + '\\n');
})();
`;

export async function loadLoop(o: LoadLoopOptions): Promise<LoadLoopResult> {
  if (!(o.durationMs > 0) || o.durationMs > 10 * 60_000) throw new RangeError(`loadLoop durationMs must be in (0, 600000], got ${o.durationMs}`);
  const requestTimeoutMs = o.requestTimeoutMs ?? 2000;
  const cfg = {
    url: o.url,
    ca: o.ca,
    durationMs: o.durationMs,
    intervalMs: Math.max(0, o.intervalMs),
    requestTimeoutMs,
    expectStatus: o.expectStatus ?? [200],
    newConnection: o.newConnectionEachRequest ?? true,
  };
  const r = await o.lab.exec(o.fromHost, process.execPath, ['-e', LOAD_LOOP_SCRIPT, JSON.stringify(cfg)], {
    reject: false,
    timeoutMs: o.durationMs + requestTimeoutMs + 10_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as LoadLoopResult;
  } catch {
    throw new Error(`loadLoop from ${o.fromHost} to ${o.url} printed no result (exit ${r.exitCode}): ${r.stderr.slice(-1000)}`);
  }
}

/**
 * loadLoop again and again, `durationMs` each, until stopped: a load across an operation of unknown length. `stop()`
 * lets the running chunk finish and resolves with every chunk's result.
 */
export function loadUntilStopped(o: LoadLoopOptions): { stop(): Promise<LoadLoopResult[]> } {
  let stopped = false;
  const chunks: LoadLoopResult[] = [];
  const running = (async () => {
    while (!stopped) chunks.push(await loadLoop(o));
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return chunks;
    },
  };
}

export interface WatchLoopOptions {
  lab: Lab;
  fromHost: string;
  /** The watch URL (`https://VIP:PORT/api/v1/namespaces/default/configmaps?watch=true`). */
  url: string;
  ca: string;
  /** The client certificate and key that authenticate the watch (admin.conf's). */
  cert: string;
  key: string;
  durationMs: number;
  /** No event for this long on an open stream is a failure (a stream that silently died); default 5000. */
  stallMs?: number;
  /** A path on this machine: the loop ends as soon as it exists (before durationMs). */
  stopFile?: string;
}

export interface WatchLoopResult {
  /** Events received over all streams. */
  readonly events: number;
  /** Streams the server ended as finished responses (a graceful shutdown): the client watched again. */
  readonly endedCleanly: number;
  /** Connection errors, resets mid-stream, statuses other than 200, stalls. */
  readonly failed: number;
  readonly errors: LoadLoopError[];
  /** Streams opened in all. */
  readonly opened: number;
  readonly startedAtEpochMs: number;
}

/**
 * A watch-like client through the VIP, as a Kubernetes informer keeps one: one long-lived streaming response at a
 * time, opened again at once when the server finishes it. Runs inside the namespace; prints one JSON line.
 */
const WATCH_LOOP_SCRIPT = `
const cfg = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const https = require('node:https');
const started = Date.now();
const res = { events: 0, endedCleanly: 0, failed: 0, errors: [], opened: 0, startedAtEpochMs: started };
const fail = (message) => { res.failed++; if (res.errors.length < 100) res.errors.push({ atMs: Date.now() - started, message }); };
const fs = require('node:fs');
const done = () => Date.now() - started >= cfg.durationMs || (cfg.stopFile && fs.existsSync(cfg.stopFile));
const once = () => new Promise((resolve) => {
  let settled = false;
  const finish = (fn) => { if (settled) return; settled = true; clearInterval(stall); fn(); resolve(); };
  let last = Date.now();
  res.opened++;
  const req = https.get(cfg.url, { agent: false, ca: cfg.ca, cert: cfg.cert, key: cfg.key, timeout: 10000 }, (r) => {
    if (r.statusCode !== 200) { r.resume(); return finish(() => fail('status ' + r.statusCode)); }
    r.setEncoding('utf8');
    let buf = '';
    r.on('data', (c) => { last = Date.now(); buf += c; const lines = buf.split('\\n'); buf = lines.pop(); res.events += lines.filter(Boolean).length; });
    r.on('end', () => finish(() => { if (!done()) res.endedCleanly++; }));
    r.on('aborted', () => finish(() => fail('stream aborted')));
    r.on('error', (e) => finish(() => fail('stream: ' + (e.code || e.message))));
  });
  const stall = setInterval(() => {
    if (done()) { finish(() => undefined); req.destroy(); return; }
    if (Date.now() - last > cfg.stallMs) { finish(() => fail('no event for ' + cfg.stallMs + ' ms')); req.destroy(); }
  }, 100);
  req.on('timeout', () => req.destroy(new Error('no response within 10000 ms')));
  req.on('error', (e) => finish(() => fail((e.code ? e.code + ': ' : '') + e.message)));
});
(async () => {
  while (!done()) await once();
  process.stdout.write(JSON.stringify(res) + '\\n');
  process.exit(0);
})();
`;

export async function watchLoop(o: WatchLoopOptions): Promise<WatchLoopResult> {
  if (!(o.durationMs > 0) || o.durationMs > 10 * 60_000) throw new RangeError(`watchLoop durationMs must be in (0, 600000], got ${o.durationMs}`);
  const cfg = { url: o.url, ca: o.ca, cert: o.cert, key: o.key, durationMs: o.durationMs, stallMs: o.stallMs ?? 5000, stopFile: o.stopFile ?? '' };
  // The client key goes on stdin, not argv, where any process on the machine could read it.
  const r = await o.lab.exec(o.fromHost, process.execPath, ['-e', WATCH_LOOP_SCRIPT], {
    input: JSON.stringify(cfg),
    reject: false,
    timeoutMs: o.durationMs + 30_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as WatchLoopResult;
  } catch {
    throw new Error(`watchLoop from ${o.fromHost} to ${o.url} printed no result (exit ${r.exitCode}): ${r.stderr.slice(-1000)}`);
  }
}
