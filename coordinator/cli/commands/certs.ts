import { UsageError } from '../../../core/errors.js';
import { formatTable } from '../../../core/format/table.js';
import type { CertsCheckResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/CertsCheckResponse.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, followEvents, unary } from '../client.js';

const USAGE = [
  'coordinatorctl certs check [-o json]                       every certificate per node (kubeadm, kubelet, ours); exit 1 when one',
  '                                                           expires within 30 days or is missing',
  '       coordinatorctl certs renew [--node NAME] [--dry-run] [--force]',
  '                                                           kubeadm certs renew all on each control-plane node (or one), one at a',
  '                                                           time behind its load-balancer drain, the VIP moved off it first',
].join('\n');

function residual(notAfter: string, now: number): string {
  if (!notAfter) return '-';
  const ms = Date.parse(notAfter) - now;
  if (ms <= 0) return 'EXPIRED';
  const days = ms / 86_400_000;
  return days >= 365
    ? `${Math.floor(days / 365)}y`
    : days >= 1
      ? `${Math.floor(days)}d`
      : ms >= 3_600_000
        ? `${Math.floor(ms / 3_600_000)}h`
        : `${Math.floor(ms / 60_000)}m`;
}

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  output: { type: 'string', short: 'o' },
  node: { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  ...CONNECTION_OPTIONS,
} satisfies CommandOptions;

export const certsCommand: Command = {
  name: 'certs',
  summary: 'Certificates: check (every node, ours included) and renew (one control-plane node at a time, behind a drain)',
  usage: USAGE,
  options: OPTIONS,
  subcommands: ['check', 'renew'],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(this, args, OPTIONS, true);
    const [sub, ...rest] = positionals;
    if ((sub !== 'check' && sub !== 'renew') || rest.length > 0) throw new UsageError(`certs: expected check or renew\nusage: ${this.usage}`);
    if (sub === 'check' && (values.node !== undefined || values['dry-run'] || values.force))
      throw new UsageError(`certs check: --node, --dry-run and --force are for certs renew\nusage: ${this.usage}`);
    if (sub === 'renew' && values.output !== undefined) throw new UsageError(`certs renew: -o is for certs check\nusage: ${this.usage}`);
    if (values.output !== undefined && values.output !== 'json') throw new UsageError(`certs: -o takes only json\nusage: ${this.usage}`);
    const client = await connect(values);
    try {
      if (sub === 'renew') {
        return await followEvents(
          client.certsRenew({ nodeName: values.node ?? '', dryRun: values['dry-run'] === true, force: values.force === true }),
          io,
          'certs renew',
        );
      }
      const r = await unary<object, CertsCheckResponse__Output>(client, 'certsCheck', {}, 'certs check', 120_000);
      const bad = r.rows.some((row) => row.expiringSoon || row.missing) || r.problems.length > 0;
      if (values.output === 'json') {
        io.out(`${JSON.stringify(r, null, 2)}\n`);
        return bad ? 1 : 0;
      }
      const now = Date.now();
      io.out(
        `${formatTable(
          ['NODE', 'CERTIFICATE', 'EXPIRES', 'RESIDUAL', 'AUTHORITY', ''],
          r.rows.map((row) => [
            row.node,
            row.certificate,
            row.missing ? 'MISSING' : row.notAfter.replace(/\.\d{3}Z$/, 'Z'),
            row.missing ? '-' : residual(row.notAfter, now),
            row.authority || '-',
            row.expiringSoon ? 'EXPIRES WITHIN 30 DAYS' : row.externallyManaged ? 'external' : '',
          ]),
        )}\n`,
      );
      for (const p of r.problems) io.err(`problem: ${p}\n`);
      const soon = r.rows.filter((row) => row.expiringSoon);
      if (soon.length > 0) io.out(`\n${soon.length} certificate${soon.length === 1 ? '' : 's'} expire within 30 days: coordinatorctl certs renew\n`);
      return bad ? 1 : 0;
    } finally {
      client.close();
    }
  },
};
