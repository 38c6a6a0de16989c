import { DEFAULT_WORKER_CONCURRENCY, planCluster } from '../../../core/plan.js';
import { DEPLOY } from '../../actions/deploy.js';
import { describePhases, formatStepHosts } from '../../workflow/engine.js';
import { parseCommandArgs, requireOption, type Command, type CommandOptions } from '../command.js';
import { loadSpecFile } from '../spec-file.js';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = { file: { type: 'string', short: 'f' } } satisfies CommandOptions;

export const planCommand: Command = {
  name: 'plan',
  summary: 'Print the ordered deploy plan, phase by phase and host by host (dry run)',
  usage: 'coordinatorctl plan -f cluster.yaml',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    const { spec, warnings } = await loadSpecFile(requireOption(this, values.file, '-f'));
    for (const w of warnings) io.err(`warning: ${w.path}: ${w.message}\n`);
    io.out(`Deploy plan for cluster ${spec.name} (dry run, nothing is changed)\n`);
    // The deploy's own phases describe themselves: the plan cannot drift from what deploy runs.
    const steps = describePhases(DEPLOY.phases, { spec, plan: planCluster(spec), workerConcurrency: DEFAULT_WORKER_CONCURRENCY });
    steps.forEach((step, i) => {
      io.out(`\n${i + 1}. ${step.phase}: ${step.title}\n`);
      for (const line of formatStepHosts(step)) io.out(`   ${line}\n`);
    });
    return 0;
  },
};
