import { SpecError } from '../../../core/errors.js';
import { validateSpec } from '../../../core/validate.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

/**
 * The spec was parsed and validated at the boundary, before any context existed; this phase says so in the action's
 * output, with the warnings, and guards the invariant for specs that reach a deploy another way (auto-join's edit).
 */
export const validatePhase: Phase<ClusterContext, ClusterView> = {
  id: 'validate',
  title: 'Validate the spec',
  describe: () => ({ hosts: [], order: 'none', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const { errors, warnings } = validateSpec(ctx.spec);
    if (errors.length > 0) throw new SpecError(`the spec of cluster ${ctx.spec.name}`, errors);
    for (const w of warnings) ctx.emit({ kind: 'progress', phase: 'validate', message: `warning: ${w.path}: ${w.message}` });
  },
};
