import { describeDeploy, planCluster } from '../../../core/plan.js';
import { parseCommandArgs, requireOption, type Command } from '../command.js';
import { loadSpecFile } from '../spec-file.js';

export const planCommand: Command = {
  name: 'plan',
  summary: 'Print the ordered deploy plan, phase by phase and host by host (dry run)',
  usage: 'coordinatorctl plan -f cluster.yaml',
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, { file: { type: 'string', short: 'f' } });
    const { spec, warnings } = await loadSpecFile(requireOption(this, values.file, '-f'));
    const plan = planCluster(spec);
    for (const w of warnings) io.err(`warning: ${w.path}: ${w.message}\n`);
    io.out(`Deploy plan for cluster ${spec.name} (dry run, nothing is changed)\n`);
    describeDeploy(plan).forEach((step, i) => {
      const how = { parallel: 'in parallel', sequential: 'one at a time', single: '', none: '' }[step.order];
      io.out(`\n${i + 1}. ${step.phase}: ${step.title}\n`);
      if (step.hosts.length > 0) io.out(`   hosts${how ? ` (${how})` : ''}: ${step.hosts.join(', ')}\n`);
      else if (step.order !== 'none') io.out('   hosts: none\n');
      for (const detail of step.details) io.out(`   - ${detail}\n`);
    });
    return 0;
  },
};
