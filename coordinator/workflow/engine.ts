/**
 * The one engine every action runs on (deploy, add-node, remove-node, reset, verify): phases in order, each asked
 * whether reality still needs it, failures named by phase and host, outcomes persisted. It is also the one gate of
 * the dry run (k0sctl's "Wet" seam): with `--dry-run` a phase is only asked and described, never run, so every host
 * side effect is either done by `run` or described by `describe`, and nothing else reaches a host.
 */
import { KubeadmHaError, PreconditionError, withContext } from '../../core/errors.js';
import { READ_ONLY_TASK_KINDS, READ_ONLY_TASKS } from '../../core/task-overlap.js';
import type { TaskKind } from '../../proto/index.js';
import type { EngineContext, Phase, PlanStep } from './phase.js';
import type { AgentGateway } from './ports.js';

/** An action: an ordered list of phases, and what to tell the operator when one of them fails. */
export interface Action<C, V = C> {
  /** `deploy`, `remove-node`…; the key of the action's own progress record. */
  readonly kind: string;
  readonly phases: readonly Phase<C, V>[];
  /** Appended to a failure: how to resume (every action resumes by running it again). */
  readonly resumeHint: string;
  /** Phases that only look (validate, wait for agents, verify): they never count as a change. */
  readonly observing?: readonly string[];
}

export interface EngineResult {
  /** Phases that changed something. */
  readonly ran: readonly string[];
  /** Phases with nothing to do, that found everything in place, or that only observe. */
  readonly skipped: readonly string[];
}

/**
 * Runs phases in order. A phase is skipped when it says it has nothing to do; a failure names the phase (and the
 * host, when the phase set one) and is rethrown after the phase's cleanUp. Outcomes are recorded for status.
 */
export async function runPhases<C extends EngineContext>(
  phases: readonly Phase<C, never>[],
  ctx: C,
  resumeHint: string,
  observing: readonly string[] = [],
): Promise<EngineResult> {
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
    (unchanged || observing.includes(phase.id) ? skipped : ran).push(phase.id);
    ctx.emit({ kind: 'phase-done', phase: phase.id, message: `${phase.title}: ${unchanged ? 'already as it should be' : 'done'}` });
    log.info('phase done');
  }
  return { ran, skipped };
}

/**
 * Runs an action and keeps its own record beside its phases' (`deploy`: running, done or failed), the same way for
 * every action, so a coordinator that restarts can tell which action was cut off and run it again.
 */
export async function runAction<C extends EngineContext>(action: Action<C, never>, ctx: C, subject: string): Promise<EngineResult> {
  await ctx.progress.recordPhase(action.kind, 'running', `${action.kind} of ${subject}`);
  try {
    const result = await runPhases(action.phases, ctx, action.resumeHint, action.observing);
    await ctx.progress.recordPhase(action.kind, 'done', result.ran.length === 0 ? 'unchanged' : 'done');
    return result;
  } catch (err) {
    await ctx.progress.recordPhase(action.kind, 'failed', err instanceof Error ? err.message : String(err)).catch(() => undefined);
    throw err;
  }
}

/** The offline plan: every phase described from the view alone (`coordinatorctl plan -f cluster.yaml`). */
export function describePhases<V>(phases: readonly Phase<never, V>[], view: V): PlanStep[] {
  return phases.map((phase) => {
    const description = phase.describe(view);
    return { ...description, phase: phase.id, title: description.title ?? phase.title };
  });
}

/**
 * The dry run: each phase asks reality whether it would run (read-only tasks only) and, if so, says what it would
 * do. Later phases are asked about the cluster as it is now, not as earlier phases would leave it, so a dry run of a
 * fresh cluster lists everything and one of a finished cluster lists nothing to do.
 */
export async function dryRunPhases<C extends EngineContext & V, V>(phases: readonly Phase<C, V>[], dryCtx: C): Promise<PlanStep[]> {
  const ctx = readOnly(dryCtx);
  const steps: PlanStep[] = [];
  for (const phase of phases) {
    ctx.signal?.throwIfAborted();
    if (!(await phase.shouldRun(ctx))) {
      ctx.emit({ kind: 'phase-skip', phase: phase.id, message: `${phase.title}: nothing to do` });
      continue;
    }
    const description = phase.describe(ctx);
    const step: PlanStep = { ...description, phase: phase.id, title: description.title ?? phase.title };
    steps.push(step);
    ctx.emit({ kind: 'plan', phase: phase.id, message: `would run: ${step.title}` });
    for (const line of formatStepHosts(step)) ctx.emit({ kind: 'plan', phase: phase.id, message: line });
  }
  return steps;
}

// core names the kinds as strings (it does not import the proto types): a renamed kind fails to compile here.
READ_ONLY_TASK_KINDS satisfies readonly TaskKind[];

function readOnly<C>(ctx: C): C {
  const agents = (ctx as { agents?: AgentGateway }).agents;
  if (!agents) return ctx;
  const gate: AgentGateway = {
    ...agents,
    runTask: (agent, kind, args, options) => {
      if (!READ_ONLY_TASKS.has(kind)) return Promise.reject(new PreconditionError(`a dry run does not send ${kind} to ${agent}: it only asks`));
      return agents.runTask(agent, kind, args, options);
    },
  };
  return { ...ctx, agents: gate };
}

const ORDER_WORDS = { parallel: 'in parallel', sequential: 'one at a time', single: '', none: '' } as const;

/** The host and detail lines of a step, as `plan` and `--dry-run` print them under its title. */
export function formatStepHosts(step: PlanStep): string[] {
  const lines: string[] = [];
  const how = ORDER_WORDS[step.order];
  if (step.hosts.length > 0) lines.push(`hosts${how ? ` (${how})` : ''}: ${step.hosts.join(', ')}`);
  else if (step.order !== 'none') lines.push('hosts: none');
  for (const detail of step.details) lines.push(`- ${detail}`);
  return lines;
}
