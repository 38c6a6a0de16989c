/**
 * The kubeadm steps, with argv built by core/kubeadm/argv.ts and output read by core/kubeadm/parse.ts. Secrets stay
 * out of argv (they are in the 0600 config) and are masked in every progress line and error. The config path a task
 * names must be one of ours (core/host/owned-paths.ts): kubeadm reads no file the coordinator could not have written.
 */
import { CommandError } from '../../core/errors.js';
import { deleteCertsSecretArgv, deleteNodeArgv, drainNodeArgv, getNodeArgv, getNodeJsonArgv, parseNodeReadiness } from '../../core/host/kubectl.js';
import { checkKubeadmConfigPath } from '../../core/host/owned-paths.js';
import { IGNORE_MANIFESTS_DIR, initArgv, joinArgv, resetArgv, tokenCreateArgv, tokenDeleteArgv, uploadCertsArgv, type Argv } from '../../core/kubeadm/argv.js';
import { formatPreflightErrors, parseInitOutput, parseJoinCommand, parsePreflightErrors } from '../../core/kubeadm/parse.js';
import { removeRestoreLeftovers } from './etcd-restore.js';
import type { HostOps } from '../hostops.js';

export interface StepContext {
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** One kubeadm (or kubectl) run: output lines to progress, secrets masked, kubeadm's preflight errors one per line. */
export async function run(host: HostOps, argv: Argv, ctx: StepContext, secrets: readonly string[] = []) {
  const [cmd, ...args] = argv;
  try {
    return await host.exec(cmd!, args, {
      onLine: ctx.progress,
      secrets,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
    });
  } catch (err) {
    // kubeadm's own preflight errors, one per line, read better than the raw stderr tail.
    if (err instanceof CommandError) {
      const problems = parsePreflightErrors(err.stderrTail);
      if (problems.length > 0) throw new CommandError(err.command, err.exitCode, formatPreflightErrors(problems));
    }
    throw err;
  }
}

export async function kubeadmInit(host: HostOps, configPath: string, ctx: StepContext): Promise<{ caCertHash: string }> {
  const result = await run(host, initArgv(checkKubeadmConfigPath(configPath)), ctx);
  const parsed = parseInitOutput(result.stdout);
  return { caCertHash: parsed.controlPlaneJoin?.caCertHashes[0] ?? parsed.workerJoin?.caCertHashes[0] ?? '' };
}

/** The key is in the config's InitConfiguration.certificateKey: kubeadm refuses --certificate-key next to --config. */
export async function uploadCerts(host: HostOps, configPath: string, certificateKey: string, ctx: StepContext): Promise<void> {
  await run(host, uploadCertsArgv(checkKubeadmConfigPath(configPath), { skipCertificateKeyPrint: true }), ctx, [certificateKey]);
}

export async function createJoinToken(host: HostOps, configPath: string, ctx: StepContext): Promise<{ endpoint: string; token: string; caCertHash: string }> {
  // No progress lines: the only output is the join command, and it carries the token.
  const result = await run(host, tokenCreateArgv({ configPath: checkKubeadmConfigPath(configPath) }), { ...ctx, progress: () => {} });
  const join = parseJoinCommand(result.stdout);
  return { endpoint: join.endpoint, token: join.token, caCertHash: join.caCertHashes[0]! };
}

export async function deleteToken(host: HostOps, tokenId: string, ctx: StepContext): Promise<void> {
  await run(host, tokenDeleteArgv(tokenId), ctx);
}

/** The Secret expires on its own after 2 h; deleting it right after the join shortens the window to minutes. */
export async function deleteCertsSecret(host: HostOps, ctx: StepContext): Promise<void> {
  await run(host, deleteCertsSecretArgv(), ctx);
}

export async function kubeadmJoin(host: HostOps, configPath: string, ignorePreflightErrors: readonly string[], ctx: StepContext): Promise<void> {
  const role = ignorePreflightErrors.includes(IGNORE_MANIFESTS_DIR) ? 'control-plane' : 'worker';
  const extra = ignorePreflightErrors.filter((e) => e !== IGNORE_MANIFESTS_DIR);
  const argv = joinArgv(checkKubeadmConfigPath(configPath), role, extra);
  await run(host, argv, ctx);
}

export async function kubeadmReset(host: HostOps, criSocket: string | undefined, ctx: StepContext): Promise<void> {
  await run(host, resetArgv(criSocket ? { criSocket } : {}), ctx);
  await removeRestoreLeftovers(host, ctx.progress);
}

/**
 * Drain and delete a node through this control-plane node's admin.conf. A node already gone is not an error. The name
 * comes from the coordinator: core/host/kubectl.ts refuses anything but a node name and puts it after `--`.
 */
export async function drainAndDeleteNode(host: HostOps, nodeName: string, timeoutSeconds: number, ctx: StepContext, server?: string): Promise<void> {
  const kubectl = ([cmd, ...args]: string[], allowFailure = false) =>
    host.exec(cmd!, args, {
      onLine: ctx.progress,
      allowFailure,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  const get = await kubectl(getNodeArgv(nodeName, server), true);
  if (get.exitCode !== 0) {
    if (/NotFound|not found/.test(get.stderr)) {
      ctx.progress(`node ${nodeName} is not in the cluster; nothing to drain`);
      return;
    }
    throw new CommandError(`kubectl get node ${nodeName}`, get.exitCode, get.stderr.trim());
  }
  await kubectl(drainNodeArgv(nodeName, timeoutSeconds, server));
  await kubectl(deleteNodeArgv(nodeName, server));
}

/**
 * Whether another node's join finished, asked through this control-plane node's admin.conf: read-only, one Node
 * object. A Node that is not there is an answer (not registered), any other kubectl failure is an error.
 */
export async function nodeStatus(
  host: HostOps,
  nodeName: string,
  ctx: StepContext,
  server?: string,
): Promise<{ registered: boolean; ready: boolean; detail: string }> {
  const [cmd, ...args] = getNodeJsonArgv(nodeName, server);
  const got = await host.exec(cmd!, args, {
    allowFailure: true,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
  });
  if (got.exitCode !== 0) {
    if (/NotFound|not found/.test(got.stderr)) return { registered: false, ready: false, detail: `node ${nodeName} is not registered` };
    throw new CommandError(`kubectl get node ${nodeName}`, got.exitCode, got.stderr.trim());
  }
  return { registered: true, ...parseNodeReadiness(got.stdout) };
}
