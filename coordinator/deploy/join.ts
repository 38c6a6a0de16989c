/**
 * Joining one node: the sequence every path shares (deploy, add-node, auto-join). The control-plane sequence follows
 * the field notes: a fresh certificate key and re-upload right before the join (kubeadm-certs expires after 2 h), a
 * short-lived CA-pinned token, the node's LB files first, the join, a health wait, the backend set, and then the token
 * and the certs secret are deleted again.
 */
import { addBackend, type BackendSet } from '../../core/backend-set.js';
import { CommandError, KubeadmHaError, withContext } from '../../core/errors.js';
import { IGNORE_MANIFESTS_DIR } from '../../core/kubeadm/argv.js';
import type { PlannedNode } from '../../core/plan.js';
import { kubeadmConfigFile, kubeadmOpsConfigFile, KUBEADM_OPS_CONFIG_PATH, loadBalancerFiles, type JoinCredentials } from '../../core/render/node-files.js';
import { randomCertificateKey } from '../../lib/secrets.js';
import { KUBEADM_CONFIG_PATH, nodeInterface, type DeployContext } from './context.js';
import { existingPaths, KUBELET_CONF, writeFiles } from './tasks.js';


/** The kubeadm messages that mean "the certificate key or the kubeadm-certs Secret is gone or wrong". */
export function isCertificateKeyFailure(err: unknown): boolean {
  const text = err instanceof CommandError ? `${err.stderrTail}\n${err.message}` : err instanceof Error ? err.message : '';
  return /kubeadm-certs|certificate key|error downloading certs|decrypt/i.test(text);
}

/** A joined, connected control-plane node other than `exclude` to run kubeadm token/upload-certs on. */
export async function controlPlaneRunner(ctx: DeployContext, exclude?: string): Promise<PlannedNode> {
  for (const node of ctx.plan.controlPlane) {
    if (node.name === exclude) continue;
    const record = await ctx.cluster.node(node.name);
    if (record?.joined) return node;
  }
  throw new KubeadmHaError('no joined control-plane node is available to mint join credentials; deploy the first control-plane node first', { host: exclude });
}

/** Mints join credentials on `runner`: a token from the ops config, plus (control-plane) a freshly uploaded certificate key. */
async function mintCredentials(ctx: DeployContext, runner: PlannedNode, withCertificateKey: boolean, ttlMs: number): Promise<JoinCredentials> {
  const certificateKey = withCertificateKey ? randomCertificateKey() : undefined;
  await writeFiles(ctx.agents, runner.name, [kubeadmOpsConfigFile(ctx.plan, runner, { tokenTtlMs: ttlMs, ...(certificateKey ? { certificateKey } : {}) })]);
  if (certificateKey) await ctx.agents.runTask(runner.name, 'uploadCerts', { configPath: KUBEADM_OPS_CONFIG_PATH, certificateKey }, { timeoutMs: ctx.timeouts.joinMs });
  const created = await ctx.agents.runTask(runner.name, 'createJoinToken', { configPath: KUBEADM_OPS_CONFIG_PATH, ttlSeconds: Math.ceil(ttlMs / 1000) });
  const token = created;
  if (!token.token || !token.caCertHash) throw new KubeadmHaError('kubeadm token create printed no join command', { host: runner.name });
  return { token: token.token, caCertHash: token.caCertHash, ...(certificateKey ? { certificateKey } : {}) };
}

/** Deletes what mintCredentials made; best effort, each step on its own, because the join's outcome matters more. */
async function revokeCredentials(ctx: DeployContext, runner: PlannedNode, credentials: JoinCredentials | undefined): Promise<void> {
  const log = ctx.logger.child({ host: runner.name });
  const attempts: [string, () => Promise<unknown>][] = [
    ...(credentials ? ([['delete the join token', () => ctx.agents.runTask(runner.name, 'deleteToken', { tokenId: credentials.token.split('.')[0]! })]] as [string, () => Promise<unknown>][]) : []),
    ...(credentials?.certificateKey ? ([['delete the kubeadm-certs Secret', () => ctx.agents.runTask(runner.name, 'deleteCertsSecret', {})]] as [string, () => Promise<unknown>][]) : []),
    ['remove the ops config', () => writeFiles(ctx.agents, runner.name, [], [KUBEADM_OPS_CONFIG_PATH])],
  ];
  for (const [what, attempt] of attempts) {
    await attempt().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, `could not ${what}`));
  }
}

async function isAlreadyJoined(ctx: DeployContext, node: PlannedNode): Promise<boolean> {
  return (await existingPaths(ctx.agents, node.name, [KUBELET_CONF])).length > 0;
}

export async function publishBackendFor(ctx: DeployContext, node: PlannedNode): Promise<BackendSet> {
  const current = await ctx.backends.current();
  const next = addBackend(current, { name: node.name, address: node.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort });
  if (next.version !== current.version) await ctx.backends.publish(next);
  return next;
}

export async function joinControlPlaneNode(ctx: DeployContext, node: PlannedNode): Promise<void> {
  const emit = (message: string) => ctx.emit({ kind: 'progress', phase: 'join-control-plane', host: node.name, message });
  if (await isAlreadyJoined(ctx, node)) {
    // A coordinator that died after the join but before recording it: confirm health and record, never join twice.
    emit('already joined (kubelet.conf present); checking its apiserver');
    await ctx.agents.runTask(node.name, 'waitApiserver', { address: node.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort, timeoutMs: ctx.timeouts.apiserverMs }, { timeoutMs: ctx.timeouts.apiserverMs + 10_000 });
  } else {
    const runner = await controlPlaneRunner(ctx, node.name);
    const iface = nodeInterface(ctx, node);
    const current = await ctx.backends.current();
    const withNode = addBackend(current, { name: node.name, address: node.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort });
    let credentials: JoinCredentials | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        // Written on every attempt: a `kubeadm reset` between attempts empties /etc/kubernetes/manifests.
        emit(`writing load-balancer files (priority ${node.priority})`);
        await writeFiles(ctx.agents, node.name, loadBalancerFiles(ctx.plan, node, iface, withNode));
        emit(attempt === 1 ? `minting a certificate key and a ${Math.round(ctx.joinTokenTtlMs / 60_000)}-minute token on ${runner.name}` : 'certificate key expired before the join: re-uploading with a fresh key');
        if (credentials) await revokeCredentials(ctx, runner, credentials);
        credentials = await mintCredentials(ctx, runner, true, ctx.joinTokenTtlMs);
        await writeFiles(ctx.agents, node.name, [kubeadmConfigFile(ctx.plan, node, { joinCredentials: credentials })]);
        emit('kubeadm join --control-plane');
        try {
          await ctx.agents.runTask(
            node.name,
            'kubeadmJoin',
            { configPath: KUBEADM_CONFIG_PATH, ignorePreflightErrors: [IGNORE_MANIFESTS_DIR] },
            { timeoutMs: ctx.timeouts.joinMs, onProgress: (line) => emit(line) },
          );
          break;
        } catch (err) {
          if (attempt >= 2 || !isCertificateKeyFailure(err)) throw err;
          // The failed join stopped at download-certs; reset so the retry starts from a clean node.
          await ctx.agents.runTask(node.name, 'kubeadmReset', {}, { timeoutMs: ctx.timeouts.joinMs });
        }
      }
    } finally {
      await revokeCredentials(ctx, runner, credentials);
      // The node's kubeadm.yaml keeps its JoinConfiguration for reference, without the credentials.
      await writeFiles(ctx.agents, node.name, [kubeadmConfigFile(ctx.plan, node, {})]).catch(() => undefined);
    }
    emit('waiting for its kube-apiserver to be healthy');
    await ctx.agents.runTask(node.name, 'waitApiserver', { address: node.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort, timeoutMs: ctx.timeouts.apiserverMs }, { timeoutMs: ctx.timeouts.apiserverMs + 10_000 });
  }
  const published = await publishBackendFor(ctx, node);
  emit(`backend set v${published.version} published`);
  await ctx.cluster.putNode({ name: node.name, role: 'control-plane', joined: true, joinedAt: new Date().toISOString() });
}

/** Worker credentials are shared by a batch: one token for all workers of a deploy, deleted at its end. */
export async function withWorkerCredentials<T>(ctx: DeployContext, work: (credentials: JoinCredentials) => Promise<T>): Promise<T> {
  const runner = await controlPlaneRunner(ctx);
  const ttlMs = Math.max(ctx.timeouts.joinMs * 2, 60 * 60_000);
  const credentials = await mintCredentials(ctx, runner, false, ttlMs);
  try {
    return await work(credentials);
  } finally {
    await revokeCredentials(ctx, runner, credentials);
  }
}

export async function joinWorkerNode(ctx: DeployContext, node: PlannedNode, credentials: JoinCredentials): Promise<void> {
  const emit = (message: string) => ctx.emit({ kind: 'progress', phase: 'join-workers', host: node.name, message });
  if (await isAlreadyJoined(ctx, node)) emit('already joined (kubelet.conf present)');
  else {
    await writeFiles(ctx.agents, node.name, [kubeadmConfigFile(ctx.plan, node, { joinCredentials: credentials })]);
    emit('kubeadm join');
    try {
      await ctx.agents.runTask(node.name, 'kubeadmJoin', { configPath: KUBEADM_CONFIG_PATH, ignorePreflightErrors: [] }, { timeoutMs: ctx.timeouts.joinMs, onProgress: (line) => emit(line) });
    } catch (err) {
      throw withContext(err, { host: node.name });
    } finally {
      await writeFiles(ctx.agents, node.name, [kubeadmConfigFile(ctx.plan, node, {})]).catch(() => undefined);
    }
  }
  await ctx.cluster.putNode({ name: node.name, role: 'worker', joined: true, joinedAt: new Date().toISOString() });
}
