import { KubeadmHaError, withContext } from '../../core/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Phase, PhaseEvent, PhaseProgress } from './phase.js';

export interface EngineContext {
  readonly progress: PhaseProgress;
  readonly emit: (event: PhaseEvent) => void;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

export interface EngineResult {
  /** Phases that changed something. */
  readonly ran: readonly string[];
  /** Phases with nothing to do, or that found everything in place. */
  readonly skipped: readonly string[];
}

/**
 * Runs phases in order. A phase is skipped when it says it has nothing to do; a failure names the phase (and the
 * host, when the phase set one) and is rethrown after the phase's cleanUp. Outcomes are recorded for status.
 */
export async function runPhases<C extends EngineContext>(phases: readonly Phase<C>[], ctx: C, resumeHint: string): Promise<EngineResult> {
  const ran: string[] = [];
  const skipped: string[] = [];
  for (const phase of phases) {
    ctx.signal?.throwIfAborted();
    const log = ctx.logger.child({ phase: phase.id });
    if (!(await phase.shouldRun(ctx))) {
      skipped.push(phase.id);
      await ctx.progress.recordPhase(phase.id, 'skipped', 'nothing to do');
      ctx.emit({ kind: 'phase-skip', phase: phase.id, message: `${phase.title}: nothing to do` });
      continue;
    }
    ctx.emit({ kind: 'phase-start', phase: phase.id, message: phase.title });
    await ctx.progress.recordPhase(phase.id, 'running', phase.title);
    log.info('phase started');
    let outcome: void | 'unchanged';
    try {
      outcome = await phase.run(ctx);
    } catch (err) {
      const failed = withContext(err, { phase: phase.id });
      log.error({ err: failed.message }, 'phase failed');
      if (phase.cleanUp) {
        await phase.cleanUp(ctx, failed).catch((cleanupErr: unknown) => {
          log.error({ err: cleanupErr instanceof Error ? cleanupErr.message : String(cleanupErr) }, 'phase clean-up failed');
        });
      }
      await ctx.progress.recordPhase(phase.id, 'failed', failed.message).catch(() => undefined);
      ctx.emit({ kind: 'phase-failed', phase: phase.id, ...(failed.host ? { host: failed.host } : {}), message: `${failed.message}\n${resumeHint}` });
      throw failed instanceof KubeadmHaError ? failed : withContext(failed, {});
    }
    const unchanged = outcome === 'unchanged';
    await ctx.progress.recordPhase(phase.id, unchanged ? 'unchanged' : 'done', unchanged ? 'already as it should be' : 'done');
    (unchanged ? skipped : ran).push(phase.id);
    ctx.emit({ kind: 'phase-done', phase: phase.id, message: `${phase.title}: ${unchanged ? 'already as it should be' : 'done'}` });
    log.info('phase done');
  }
  return { ran, skipped };
}
