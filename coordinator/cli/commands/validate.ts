import { defaultVirtualRouterId, planCluster, vipCidr } from '../../../core/plan.js';
import { formatTable } from '../../../core/format/table.js';
import { SpecError } from '../../../core/errors.js';
import { parseCommandArgs, requireOption, type Command, type CommandOptions } from '../command.js';
import { loadSpecFile } from '../spec-file.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = { file: { type: 'string', short: 'f' } } satisfies CommandOptions;

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check a cluster.yaml and print a summary of what it describes',
  usage: 'coordinatorctl validate -f cluster.yaml',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    const path = requireOption(this, values.file, '-f');
    let loaded;
    try {
      loaded = await loadSpecFile(path);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      for (const issue of err.issues) io.out(`${issue.path}: ${issue.message}\n`);
      io.err(`${path} is invalid: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}\n`);
      return 1;
    }
    const { spec, warnings } = loaded;
    const plan = planCluster(spec);
    const e = spec.controlPlaneEndpoint;
    const routerId =
      e.keepalived.virtualRouterId === 'auto'
        ? `auto (${defaultVirtualRouterId(spec)} unless that id is already advertised on the segment)`
        : String(e.keepalived.virtualRouterId);
    io.out(`${path}: valid\n\n`);
    io.out(`cluster       ${spec.name}, Kubernetes ${spec.kubernetes.version}\n`);
    io.out(`endpoint      ${vipCidr(spec)} port ${e.port} -> apiservers on ${e.apiserverPort}\n`);
    io.out(
      `load balancer ${e.loadBalancer} (${e.runAs})${e.loadBalancer === 'keepalived-haproxy' ? `, VRRPv3 every ${e.keepalived.advertIntervalMs} ms (profile ${e.keepalived.profile}), ${e.keepalived.preempt ? 'preempt' : 'nopreempt'}, ${e.keepalived.unicast ? 'unicast' : 'multicast'}` : ''}\n`,
    );
    if (e.loadBalancer === 'keepalived-haproxy') io.out(`router id     ${routerId}\n`);
    io.out('\n');
    const rows = [...plan.controlPlane, ...plan.workers].map((n) => [
      n.name,
      n.role + (n.isInitNode ? ' (init)' : ''),
      n.address,
      n.interface ?? '(detected)',
      n.priority !== undefined && e.loadBalancer === 'keepalived-haproxy' ? String(n.priority) : '-',
    ]);
    io.out(formatTable(['NODE', 'ROLE', 'ADDRESS', 'INTERFACE', 'PRIORITY'], rows) + '\n');
    if (warnings.length > 0) {
      io.out('\n');
      for (const w of warnings) io.out(`warning: ${w.path}: ${w.message}\n`);
    }
    return 0;
  },
};
