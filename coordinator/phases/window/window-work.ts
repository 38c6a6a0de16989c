import type { Phase } from '../../workflow/phase.js';
import { onTarget, say, type WindowContext, type WindowView } from './window-target.js';

/** The work the window was opened for; skipped when the node already has what it gives (a resumed action). */
export const windowWorkPhase: Phase<WindowContext, WindowView> = {
  id: 'window-work',
  title: 'The work on the drained node',
  describe: (view) => onTarget(view, 'the work (certificate renewal, upgrade)'),
  shouldRun: async (ctx) => {
    const done = await ctx.work.done(ctx);
    if (done) say(ctx, ctx.work.id, 'already done');
    return !done;
  },
  async run(ctx) {
    await ctx.work.run(ctx);
  },
};
