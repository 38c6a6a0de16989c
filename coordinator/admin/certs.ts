/**
 * `coordinatorctl certs check`: every certificate the cluster depends on, per node. Read-only, so it runs beside an
 * operation. Control-plane nodes answer with `kubeadm certs check-expiration` (through their agents), every node with
 * its kubelet's client certificate; the coordinator adds its own CA, admin certificate and each agent's.
 */
import { PreconditionError } from '../../core/errors.js';
import { expiresWithin } from '../../core/cert-lifetime.js';
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
