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
  readonly ran: readonly string[];
  readonly skipped: readonly string[];
}

/**
 * Runs phases in order. A phase is skipped when its progress record says done or when it says it has nothing to do;
 * a failure names the phase (and the host, when the phase set one) and is rethrown after the phase's cleanUp.
 */
export async function runPhases<C extends EngineContext>(phases: readonly Phase<C>[], ctx: C, resumeHint: string): Promise<EngineResult> {
  const ran: string[] = [];
  const skipped: string[] = [];
  for (const phase of phases) {
    ctx.signal?.throwIfAborted();
    const log = ctx.logger.child({ phase: phase.id });
    if ((await ctx.progress.isPhaseDone(phase.id)) || !(await phase.shouldRun(ctx))) {
      skipped.push(phase.id);
      ctx.emit({ kind: 'phase-skip', phase: phase.id, message: `${phase.title}: nothing to do` });
      continue;
    }
    ctx.emit({ kind: 'phase-start', phase: phase.id, message: phase.title });
    log.info('phase started');
    try {
      await phase.run(ctx);
    } catch (err) {
      const failed = withContext(err, { phase: phase.id });
      log.error({ err: failed.message }, 'phase failed');
      if (phase.cleanUp) {
        await phase.cleanUp(ctx, failed).catch((cleanupErr: unknown) => {
          log.error({ err: cleanupErr instanceof Error ? cleanupErr.message : String(cleanupErr) }, 'phase clean-up failed');
        });
      }
      ctx.emit({ kind: 'phase-failed', phase: phase.id, ...(failed.host ? { host: failed.host } : {}), message: `${failed.message}\n${resumeHint}` });
      throw failed instanceof KubeadmHaError ? failed : withContext(failed, {});
    }
    await ctx.progress.markPhaseDone(phase.id);
    ran.push(phase.id);
    ctx.emit({ kind: 'phase-done', phase: phase.id, message: `${phase.title}: done` });
    log.info('phase done');
  }
  return { ran, skipped };
}
