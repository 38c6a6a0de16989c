/**
 * Join credentials, minted on a joined control-plane node right before a join and deleted right after: a short-lived
 * CA-pinned token and, for a control-plane join, a fresh certificate key with the kubeadm-certs Secret re-uploaded
 * (it expires after 2 h). Shared by the control-plane and the worker join phases.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDurationMs } from '../../../core/duration.js';
import { CommandError, KubeadmHaError, TimeoutError } from '../../../core/errors.js';
import { ownApiserverUrl, type PlannedNode } from '../../../core/plan.js';
import { KUBEADM_CONFIG_PATH } from '../../../core/render/kubeadm-config.js';
import { kubeadmConfigFile, kubeadmOpsConfigFile, KUBEADM_OPS_CONFIG_PATH, type JoinCredentials } from '../../../core/render/node-files.js';
import { randomCertificateKey } from '../../../lib/secrets.js';
import { KUBELET_KUBECONFIG_PATH } from '../../../core/host/paths.js';
import { peerUrlOf } from '../../../core/etcd/gateway.js';
import { healthyReporters } from '../../../core/etcd/health.js';
import { etcdReports, joinedControlPlaneNodes, stackedEtcd } from '../../workflow/etcd.js';
import { existingPaths, joinedControlPlane, writeFiles } from '../../workflow/host-tasks.js';
import type { ClusterContext } from '../../workflow/ports.js';

/** The kubeadm messages that mean "the certificate key or the kubeadm-certs Secret is gone or wrong". */
export function isCertificateKeyFailure(err: unknown): boolean {
  const text = err instanceof CommandError ? `${err.stderrTail}\n${err.message}` : err instanceof Error ? err.message : '';
  return /kubeadm-certs|certificate key|error downloading certs|decrypt/i.test(text);
}

/** A joined, connected control-plane node other than `exclude` to run kubeadm token/upload-certs on. */
export async function controlPlaneRunner(ctx: ClusterContext, exclude?: string): Promise<PlannedNode> {
  const runner = await joinedControlPlane(ctx, exclude);
  if (runner) return runner;
  throw new KubeadmHaError('no joined control-plane node is available to mint join credentials; deploy the first control-plane node first', { host: exclude });
}

/** Mints join credentials on `runner`: a token from the ops config, plus (control-plane) a freshly uploaded certificate key. */
export async function mintCredentials(ctx: ClusterContext, runner: PlannedNode, withCertificateKey: boolean, ttlMs: number): Promise<JoinCredentials> {
  const certificateKey = withCertificateKey ? randomCertificateKey() : undefined;
  await writeFiles(ctx.agents, runner.name, [kubeadmOpsConfigFile(ctx.plan, runner, { tokenTtlMs: ttlMs, ...(certificateKey ? { certificateKey } : {}) })]);
  if (certificateKey)
    await ctx.agents.runTask(runner.name, 'uploadCerts', { configPath: KUBEADM_OPS_CONFIG_PATH, certificateKey }, { timeoutMs: ctx.timeouts.joinMs });
  const token = await ctx.agents.runTask(runner.name, 'createJoinToken', { configPath: KUBEADM_OPS_CONFIG_PATH, ttlSeconds: Math.ceil(ttlMs / 1000) });
  if (!token.token || !token.caCertHash) throw new KubeadmHaError('kubeadm token create printed no join command', { host: runner.name });
  return { token: token.token, caCertHash: token.caCertHash, ...(certificateKey ? { certificateKey } : {}) };
}

/**
 * Deletes what mintCredentials made; best effort, each step on its own, because the join's outcome matters more.
 * `certsSecret` deletes the kubeadm-certs Secret even without credentials: a mint that failed after upload-certs
 * (token create failed, or its answer was lost) returned none, but the Secret is there for 2 h.
 */
export async function revokeCredentials(
  ctx: ClusterContext,
  runner: PlannedNode,
  credentials: JoinCredentials | undefined,
  opts: { readonly certsSecret?: boolean } = {},
): Promise<void> {
  const log = ctx.logger.child({ host: runner.name });
  const attempts: [string, () => Promise<unknown>][] = [];
  if (credentials)
    attempts.push(['delete the join token', () => ctx.agents.runTask(runner.name, 'deleteToken', { tokenId: credentials.token.split('.')[0]! })]);
  if (credentials?.certificateKey || opts.certsSecret)
    attempts.push(['delete the kubeadm-certs Secret', () => ctx.agents.runTask(runner.name, 'deleteCertsSecret', {})]);
  attempts.push(['remove the ops config', () => writeFiles(ctx.agents, runner.name, [], [KUBEADM_OPS_CONFIG_PATH])]);
  // Independent of one another (none reads what another removes): side by side, so the join's next step waits for one round trip.
  await Promise.all(
    attempts.map(([what, attempt]) =>
      attempt().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, `could not ${what}`)),
    ),
  );
}

/**
 * Awaits `cleanUp` and `work` side by side, and settles as `work` does only once both are done: the cleanup after a
 * join runs while the node comes up, and is never left running behind the step's outcome. The cleanups are best effort
 * and log their own failures; one that rejects anyway changes neither the outcome nor when it is reported.
 */
export async function settledBoth<T>(cleanUp: Promise<void>, work: Promise<T>): Promise<T> {
  const [, outcome] = await Promise.allSettled([cleanUp, work]);
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}

/**
 * Rewrites a joined (or failed) node's kubeadm.yaml without the join credentials, keeping its JoinConfiguration for
 * reference; best effort: a failure is logged (the file is root-only, 0600) and never rejects.
 */
export async function scrubJoinCredentials(ctx: ClusterContext, node: PlannedNode): Promise<void> {
  try {
    await writeFiles(ctx.agents, node.name, [kubeadmConfigFile(ctx.plan, node, {})]);
  } catch (err) {
    ctx.logger
      .child({ host: node.name })
      .warn({ err: err instanceof Error ? err.message : String(err) }, `could not take the join credentials out of ${KUBEADM_CONFIG_PATH}`);
  }
}

/**
 * How often a join's Node is looked at while waiting for it to be Ready: soon after the join first (a kubelet with its
 * network up is Ready within a second of kubeadm's end, and every control-plane join waits on this), then backing off
 * to every 2 s, since each look is a kubectl run on a control-plane node, once per joining host.
 */
const NODE_READY_POLLS_MS = [250, 500, 1_000, 2_000] as const;

/**
 * Where a node's join stands when its record does not say joined: `joined` (kubelet.conf on the host and its Node
 * registered and Ready), `cut-off` (kubelet.conf but no Ready Node: a kubeadm join that was killed after
 * kubelet-start; a new join would fail kubeadm's preflight on kubelet.conf, so the host is reset first) or
 * `not-joined`. kubelet.conf alone is what a half-done join leaves too, so it never counts on its own.
 */
export async function joinState(
  ctx: ClusterContext,
  node: PlannedNode,
): Promise<{ readonly state: 'joined' | 'cut-off' | 'not-joined'; readonly detail: string }> {
  if ((await existingPaths(ctx.agents, node.name, [KUBELET_KUBECONFIG_PATH])).length === 0) return { state: 'not-joined', detail: 'no kubelet.conf' };
  const status = await nodeStatus(ctx, node);
  if (status.ready) {
    const member = node.role === 'control-plane' ? await etcdMemberMissing(ctx, node) : undefined;
    if (member) return { state: 'cut-off', detail: `kubelet.conf present and the Node Ready, but ${member}` };
    return { state: 'joined', detail: `kubelet.conf present, Node Ready (${status.detail})` };
  }
  return { state: 'cut-off', detail: `kubelet.conf present but ${status.registered ? `the Node is not Ready (${status.detail})` : 'no Node is registered'}` };
}

/**
 * Why a control-plane node whose Node is Ready is still not a joined etcd member, as the other joined control-plane
 * nodes' etcd sees it; undefined when it is one (started, voting), or when no other node could read the member list
 * (the etcd gates judge that case). kubeadm's control-plane join registers the kubelet before it adds the etcd
 * member: a join killed between `member add` and the member's start leaves a Ready Node, an unstarted learner and an
 * apiserver that can never reach its local etcd.
 */
async function etcdMemberMissing(ctx: ClusterContext, node: PlannedNode): Promise<string | undefined> {
  if (!stackedEtcd(ctx.spec)) return undefined;
  const others = (await joinedControlPlaneNodes(ctx)).filter((n) => n.name !== node.name);
  if (others.length === 0) return undefined;
  const members = healthyReporters(await etcdReports(ctx.agents, others, 'join-control-plane', ctx.signal))[0]?.members;
  if (!members) return undefined;
  const own = members.find((m) => m.peerUrls.includes(peerUrlOf(node.address)));
  if (!own) return `etcd has no member with its peer URL ${peerUrlOf(node.address)}`;
  if (!own.name) return `its etcd member ${own.id} was added but never started`;
  if (own.isLearner) return `its etcd member ${own.name} (${own.id}) is still a learner`;
  return undefined;
}

/** The node's Node object as a joined control-plane node's kubectl sees it (read-only NodeStatus task). */
async function nodeStatus(ctx: ClusterContext, node: PlannedNode) {
  const runner = await controlPlaneRunner(ctx, node.name);
  return ctx.agents.runTask(
    runner.name,
    'nodeStatus',
    { nodeName: node.name, server: ownApiserverUrl(ctx.spec, runner) },
    { timeoutMs: 60_000, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
}

/** After kubeadm join: the join counts once its Node is registered and Ready, asked through a joined master. */
export async function waitNodeReady(ctx: ClusterContext, node: PlannedNode, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const status = await nodeStatus(ctx, node);
    if (status.ready) return;
    if (Date.now() >= deadline) {
      throw new TimeoutError(
        `kubeadm join finished but the Node is not ${status.registered ? 'Ready' : 'registered'} after ${formatDurationMs(timeoutMs)}: ${status.detail}`,
        { host: node.name },
      );
    }
    const pause = NODE_READY_POLLS_MS[Math.min(attempt, NODE_READY_POLLS_MS.length - 1)]!;
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), undefined, ctx.signal ? { signal: ctx.signal } : {});
  }
}
