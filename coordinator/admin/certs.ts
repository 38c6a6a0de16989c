/**
 * `coordinatorctl certs check`: every certificate the cluster depends on, per node. Read-only, so it runs beside an
 * operation. Control-plane nodes answer with `kubeadm certs check-expiration` (through their agents), every node with
 * its kubelet's client certificate; the coordinator adds its own CA, admin certificate and each agent's.
 */
import { PreconditionError } from '../../core/errors.js';
import { expiresWithin } from '../../core/cert-lifetime.js';
import { startCertsRenew } from '../actions/certs-renew.js';
import { agentGateway } from '../actions/cluster-context.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import { forEachHost } from '../workflow/for-each-host.js';

export interface CertificateRow {
  readonly node: string;
  readonly certificate: string;
  readonly notAfter: string;
  readonly authority: string;
  readonly missing: boolean;
  readonly expiringSoon: boolean;
  readonly externallyManaged: boolean;
}

const CHECK_TIMEOUT_MS = 70_000;

export async function certsCheck(rt: CoordinatorRuntime, signal?: AbortSignal): Promise<{ rows: CertificateRow[]; problems: string[] }> {
  const spec = await storedSpec(rt);
  if (!spec) throw new PreconditionError('no cluster has been deployed yet: run coordinatorctl deploy -f cluster.yaml first');
  const now = new Date();
  const soon = (notAfter: string) => notAfter !== '' && expiresWithin(new Date(notAfter), now);
  const agents = agentGateway(rt.hub);
  const connected = new Set(agents.connected?.() ?? []);
  const byNode = new Map<string, CertificateRow[]>();
  const problems: string[] = [];
  await forEachHost(spec.nodes, { limit: 8, phase: 'certs-check', ...(signal ? { signal } : {}) }, async (node) => {
    if (!connected.has(node.name)) {
      problems.push(`${node.name}: agent not connected`);
      return;
    }
    try {
      const r = await agents.runTask(node.name, 'certsCheck', { controlPlane: node.role === 'control-plane' }, { timeoutMs: CHECK_TIMEOUT_MS });
      const rows = [...r.certificates, ...r.authorities, ...(r.kubeletClient ? [r.kubeletClient] : [])].map((c) => ({
        node: node.name,
        certificate: c.name,
        notAfter: c.notAfter,
        authority: c.authority,
        missing: c.missing,
        expiringSoon: soon(c.notAfter),
        externallyManaged: c.externallyManaged,
      }));
      byNode.set(node.name, rows);
    } catch (err) {
      problems.push(`${node.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  const own: CertificateRow[] = [];
  for (const c of (await rt.coordinatorCertificates?.()) ?? []) {
    own.push({
      node: 'coordinator',
      certificate: c.name,
      notAfter: c.notAfter.toISOString(),
      authority: '',
      missing: false,
      expiringSoon: expiresWithin(c.notAfter, now),
      externallyManaged: false,
    });
  }
  for (const a of await rt.registry.list()) {
    if (!a.certNotAfter) continue;
    own.push({
      node: 'coordinator',
      certificate: `agent ${a.name}`,
      notAfter: new Date(a.certNotAfter).toISOString(),
      authority: 'coordinator CA',
      missing: false,
      expiringSoon: soon(a.certNotAfter),
      externallyManaged: false,
    });
  }
  const rows = [...spec.nodes.flatMap((n) => byNode.get(n.name) ?? []), ...own];
  return { rows, problems: problems.sort() };
}

/** The earliest expiry among kubeadm's renewable certificates in a node's check (no CA, no missing, none external). */
export function earliestRenewable(certificates: readonly { notAfter: string; missing: boolean; externallyManaged: boolean }[]): number | undefined {
  const times = certificates.filter((c) => !c.missing && !c.externallyManaged && c.notAfter).map((c) => Date.parse(c.notAfter));
  return times.length > 0 ? Math.min(...times) : undefined;
}

/**
 * spec.certificates.renewBefore: every `tickMs` (default hourly, first after a minute) the coordinator asks each
 * joined control-plane node for its certificates and renews, one node at a time and each as its own certs-renew
 * operation (recorded, in `status`), the nodes whose earliest kubeadm certificate expires within that window. Never
 * while another operation runs or waits to resume; a failure is logged and waits a tick.
 */
export function startCertRenewalSchedule(rt: CoordinatorRuntime, tickMs = 3_600_000, firstMs = Math.min(60_000, tickMs)): { stop(): void } {
  const abort = new AbortController();
  let busy = false;
  const tick = async () => {
    if (busy || abort.signal.aborted) return;
    busy = true;
    try {
      const spec = await storedSpec(rt);
      const window = spec?.certificates?.renewBeforeMs;
      if (!spec || !window) return;
      const agents = agentGateway(rt.hub);
      for (const node of spec.nodes.filter((n) => n.role === 'control-plane')) {
        if (abort.signal.aborted) return;
        const record = (await rt.state.operation.get())?.value;
        if (rt.operations.running() || record?.status === 'running') return;
        if (!(await rt.progress.node(node.name))?.joined || !agents.connected?.().includes(node.name)) continue;
        const check = await agents.runTask(node.name, 'certsCheck', { controlPlane: true }, { timeoutMs: CHECK_TIMEOUT_MS });
        const earliest = earliestRenewable(check.certificates);
        if (earliest === undefined || earliest - Date.now() > window) continue;
        rt.logger.info({ host: node.name, expires: new Date(earliest).toISOString() }, 'certificates expire within spec.certificates.renewBefore: renewing');
        const op = await startCertsRenew(rt, node.name, { signal: abort.signal, automatic: true });
        await op.done;
      }
    } catch (err) {
      rt.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'automatic certificate renewal failed; trying again at the next check');
    } finally {
      busy = false;
    }
  };
  const first = setTimeout(() => void tick(), firstMs);
  first.unref();
  const timer = setInterval(() => void tick(), tickMs);
  timer.unref();
  return {
    stop() {
      abort.abort(new PreconditionError('the coordinator is stopping'));
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
