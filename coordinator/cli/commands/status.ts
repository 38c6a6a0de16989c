import { formatTable } from '../../../core/format/table.js';
import type { CertsCheckResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/CertsCheckResponse.js';
import type { NodesResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/NodesResponse.js';
import type { StatusResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/StatusResponse.js';
import { roleFromProto } from '../../../proto/index.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, unary } from '../client.js';
import { agentCertWarning, certExpiryCell } from './nodes.js';

/** What renews it: the coordinator re-issues admin.conf at start when it has less than 30 days left. */
function coordinatorCertHint(name: string): string {
  return name === 'admin.conf' ? ': restart kubeadm-ha-coordinator to re-issue it' : '';
}

type CertRow = CertsCheckResponse__Output['rows'][number];

/** How long status waits for the nodes' certificates before it prints without them. */
const STATUS_CERTS_DEADLINE_MS = 5_000;

/** kubeadm's CAs (ca, etcd-ca, front-proxy-ca): listed by `certs check`, but not something `certs renew` renews. */
function isAuthority(row: CertRow): boolean {
  return /(^|-)ca$/.test(row.certificate);
}

/** A node's own certificates (kubeadm's, its kubelet's): the earliest to expire, flagged when any is within 30 days. */
function nodeCertsCell(rows: readonly CertRow[] | undefined): string {
  const live = (rows ?? []).filter((r) => !r.missing && r.notAfter);
  if (live.length === 0) return '-';
  const earliest = live.reduce((a, b) => (Date.parse(b.notAfter) < Date.parse(a.notAfter) ? b : a));
  return certExpiryCell(
    earliest.notAfter,
    live.some((r) => r.expiringSoon),
  );
}

function nodeCertWarning(row: CertRow, role: string | undefined): string {
  const what = `${row.node}: ${row.certificate} expires at ${row.notAfter}, within 30 days`;
  if (row.externallyManaged) return `${what}: it comes from an external CA, which must renew it`;
  if (isAuthority(row)) return `${what}: kubeadm does not renew a CA; plan a CA rotation (kubeadm's "manual certificate renewal" guide)`;
  if (row.certificate === 'kubelet-client') return `${what}: the kubelet rotates it itself (rotateCertificates); check the kubelet's log on ${row.node}`;
  return role === 'control-plane' ? `${what}: coordinatorctl certs renew --node ${row.node}` : what;
}

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = { output: { type: 'string', short: 'o' }, ...CONNECTION_OPTIONS } satisfies CommandOptions;

export const statusCommand: Command = {
  name: 'status',
  summary: "The cluster's phases, its backend-set version, and which load balancers lag behind it",
  usage: 'coordinatorctl status [-o json]',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    const client = await connect(values);
    try {
      const status = await unary<object, StatusResponse__Output>(client, 'status', {}, 'status');
      const nodes = await unary<object, NodesResponse__Output>(client, 'nodes', {}, 'nodes');
      // Each node's own certificates, through its agent, as `certs check` sees them: flagged here too. Bounded, so that
      // status stays quick when an agent is slow to answer: past it, status says so and `certs check` waits longer.
      let certs: CertsCheckResponse__Output | undefined;
      let certsUnknown = '';
      if (status.specPresent) {
        try {
          certs = await unary<object, CertsCheckResponse__Output>(client, 'certsCheck', {}, 'certs check', STATUS_CERTS_DEADLINE_MS);
        } catch (err) {
          certsUnknown = `${err instanceof Error ? err.message : String(err)} (coordinatorctl certs check waits longer)`;
        }
      }
      const certRows = (node: string) => certs?.rows.filter((r) => r.node === node);
      if (values.output === 'json') {
        io.out(
          JSON.stringify(
            { status, nodes: nodes.nodes.map(({ facts: _facts, ...n }) => n), nodeCertificates: certs?.rows.filter((r) => r.node !== 'coordinator') ?? [] },
            null,
            2,
          ) + '\n',
        );
        return 0;
      }
      io.out(`cluster ${status.clusterName}: ${status.specPresent ? `VIP ${status.vip}` : 'no spec deployed yet'}\n`);
      io.out(`agents: ${status.agentsConnected} connected of ${status.agentsRegistered} registered; backend set v${status.lbBackendVersion}\n`);
      for (const c of status.certificates) io.out(`${c.name}: expires ${certExpiryCell(c.notAfter, c.expiringSoon)}\n`);
      io.out('\n');
      if (status.operations.length > 0) {
        io.out(
          formatTable(
            ['OPERATION', 'ON', 'STATE', 'STARTED', 'ENDED', 'DETAIL'],
            status.operations.map((o) => [
              o.kind,
              o.key,
              o.status,
              o.startedAt,
              o.finishedAt || '-',
              [o.automatic ? 'automatic' : '', o.error].filter(Boolean).join(': ') || '-',
            ]),
          ) + '\n\n',
        );
      }
      if (status.phases.length > 0) {
        io.out(
          formatTable(
            ['PHASE', 'STATE', 'UPDATED', 'MESSAGE'],
            status.phases.map((p) => [p.name, p.state.replace('PHASE_STATE_', '').toLowerCase(), p.updated, p.message.split('\n')[0] ?? '']),
          ) + '\n\n',
        );
      }
      const lbs = nodes.nodes.filter((n) => roleFromProto(n.role) === 'control-plane');
      const rows = nodes.nodes.map((n) => {
        const isLb = lbs.includes(n);
        const lag =
          isLb && n.joined && n.appliedLbVersion < nodes.lbBackendVersion
            ? `LAGGING (${nodes.lbBackendVersion - n.appliedLbVersion} behind)`
            : isLb && n.joined
              ? 'current'
              : '-';
        return [
          n.name,
          roleFromProto(n.role) ?? '?',
          n.connected ? 'yes' : 'no',
          n.joined ? 'yes' : 'no',
          isLb ? `v${n.appliedLbVersion}` : '-',
          lag,
          certExpiryCell(n.certNotAfter, n.certExpiringSoon),
          nodeCertsCell(certRows(n.name)),
        ];
      });
      io.out(formatTable(['NODE', 'ROLE', 'CONNECTED', 'JOINED', 'LB APPLIED', 'LB STATE', 'AGENT CERT', 'NODE CERTS'], rows) + '\n');
      for (const c of status.certificates.filter((x) => x.expiringSoon))
        io.err(`${c.name} expires at ${c.notAfter}, within 30 days${coordinatorCertHint(c.name)}\n`);
      for (const n of nodes.nodes.filter((x) => x.certExpiringSoon)) io.err(agentCertWarning(n.name, n.certNotAfter) + '\n');
      const roleOf = (node: string) => roleFromProto(nodes.nodes.find((n) => n.name === node)?.role ?? 'ROLE_UNSPECIFIED');
      for (const r of certs?.rows.filter((x) => x.node !== 'coordinator' && x.expiringSoon && !x.missing) ?? [])
        io.err(nodeCertWarning(r, roleOf(r.node)) + '\n');
      for (const p of certs?.problems ?? []) io.err(`certificates: cannot check ${p}\n`);
      if (certsUnknown) io.err(`certificates: cannot check the nodes' certificates: ${certsUnknown}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
