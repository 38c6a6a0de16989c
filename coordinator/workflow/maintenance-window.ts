/**
 * The maintenance window's phases in order, and the one way to run them for a node (coordinator/phases/window/ says
 * what each does). Certificate renewal and upgrades open it around their work on each control-plane node.
 */
import { windowDrainBackendPhase } from '../phases/window/window-drain-backend.js';
import { windowEtcdGatePhase } from '../phases/window/window-etcd-gate.js';
import { windowMoveVipPhase } from '../phases/window/window-move-vip.js';
import { windowRestoreBackendPhase } from '../phases/window/window-restore-backend.js';
import type { WindowContext, WindowView } from '../phases/window/window-target.js';
import { windowWaitReadyPhase } from '../phases/window/window-wait-ready.js';
import { windowWorkPhase } from '../phases/window/window-work.js';
import { runPhases } from './engine.js';
import { UNRECORDED, type Phase } from './phase.js';

export const WINDOW_PHASES: readonly Phase<WindowContext, WindowView>[] = [
  windowEtcdGatePhase,
  windowDrainBackendPhase,
  windowMoveVipPhase,
  windowWorkPhase,
  windowWaitReadyPhase,
  windowRestoreBackendPhase,
];

/**
 * One node through the window. A failure leaves it drained, and says how to go on: the same command again (the
 * window runs again from reality and skips done work).
 */
export async function runWindow(ctx: WindowContext): Promise<void> {
  await runPhases<WindowContext>(
    WINDOW_PHASES,
    { ...ctx, progress: UNRECORDED },
    `${ctx.target.name} is left drained: no new connection goes to its apiserver, and the VIP stays on another node. Fix the cause, then run the same command again: the window opens again for ${ctx.target.name} and skips what is done.`,
  );
}
