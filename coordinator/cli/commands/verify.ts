import { formatTable } from '../../../core/format/table.js';
import type { VerifyReport__Output } from '../../../proto/generated/kubeadm_ha/v1/VerifyReport.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, unary } from '../client.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  failover: { type: 'boolean', default: false },
  output: { type: 'string', short: 'o' },
  ...CONNECTION_OPTIONS,
} satisfies CommandOptions;

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Check the deployed cluster (agents, joins, keepalived, haproxy backends, one VIP holder, apiserver via the VIP); --failover runs the drill',
  usage: 'coordinatorctl verify [--failover] [-o json]',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    const client = await connect(values);
    try {
      const report = await unary<object, VerifyReport__Output>(client, 'verify', { failover: values.failover }, 'verify');
      if (values.output === 'json') {
        io.out(JSON.stringify(report, null, 2) + '\n');
        return report.ok ? 0 : 1;
      }
      io.out(
        formatTable(
          ['CHECK', 'HOST', 'RESULT', 'DETAIL'],
          report.rows.map((r) => [r.check, r.host || '-', r.ok ? 'PASS' : 'FAIL', r.detail]),
        ) + '\n',
      );
      const failed = report.rows.filter((r) => !r.ok).length;
      if (values.failover && report.failoverMs > 0)
        io.out(
          `\nfailover time: ${(report.failoverMs / 1000).toFixed(2)} s (load balancer stopped on the VIP holder → /healthz through the VIP answered from another host)\n`,
        );
      io.out(`\n${report.ok ? 'PASS' : 'FAIL'}: ${report.rows.length - failed}/${report.rows.length} checks passed\n`);
      return report.ok ? 0 : 1;
    } finally {
      client.close();
    }
  },
};
