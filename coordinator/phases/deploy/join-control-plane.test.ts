import { readFileSync } from 'node:fs';
import { fakeClusterContext, memoryBackendSets, memoryNodeRecords } from '../../../test/support/cluster-context.js';
import { describe, expect, it } from 'vitest';
import { emptyBackendSet } from '../../../core/backend-set.js';
import { CommandError } from '../../../core/errors.js';
import { loadSpec } from '../../../core/validate.js';
import type { TaskArgs, TaskKind } from '../../../proto/index.js';
import type { AgentGateway, NodeRecord } from '../../workflow/ports.js';
import { joinControlPlaneNode } from './join-control-plane.js';
import { isCertificateKeyFailure } from './join-credentials.js';

const EXPIRED =
  'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one';

interface HostState {
  /** Paths verifyClean finds on the joining node. */
  present?: string[];
  /** What nodeStatus answers about the joining node. */
  node?: { registered: boolean; ready: boolean; detail: string };
}

function fakeContext(joinFailures: string[], host: HostState = {}) {
  const { spec } = loadSpec(readFileSync(new URL('../../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));
  const calls: { agent: string; kind: TaskKind; args: unknown }[] = [];
  const nodes = new Map<string, NodeRecord>([['master-0', { name: 'master-0', role: 'control-plane', joined: true }]]);
  let tokens = 0;
  const agents: AgentGateway = {
    async runTask<K extends TaskKind>(agent: string, kind: K, args: TaskArgs[K]) {
      calls.push({ agent, kind, args });
      const answer = (): unknown => {
        switch (kind) {
          case 'verifyClean':
            return {
              leftovers: (host.present ?? []).filter((p) => (args as { paths: string[] }).paths.includes(p)).map((detail) => ({ kind: 'file', detail })),
            };
          case 'nodeStatus':
            return host.node ?? { registered: true, ready: true, detail: 'True: KubeletReady: kubelet is posting ready status' };
          case 'writeFiles':
            return { changedPaths: [] };
          case 'createJoinToken':
            tokens++;
            return { endpoint: '198.18.0.100:8443', token: `abcde${tokens}.0123456789abcdef`, caCertHash: `sha256:${'a'.repeat(64)}` };
          case 'kubeadmJoin': {
            const failure = joinFailures.shift();
            if (failure) throw new CommandError('kubeadm join', 1, failure);
            // The join registers a Ready Node.
            host.node = undefined;
            return null;
          }
          case 'waitApiserver':
            return { elapsedMs: 1 };
          default:
            return null;
        }
      };
      return answer() as never;
    },
    waitForAgents: async () => undefined,
    facts: () => undefined,
  };
  const backends = memoryBackendSets(emptyBackendSet(spec.name));
  const ctx = fakeClusterContext(spec, agents, { cluster: memoryNodeRecords(nodes), backends });
  return { ctx, calls, nodes, backends: backends.stored };
}

describe('joinControlPlaneNode', () => {
  it('uploads a fresh key and mints a token before the join, and revokes both after', async () => {
    const { ctx, calls, nodes, backends } = fakeContext([]);
    await joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!);
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(kinds.indexOf('master-0:uploadCerts')).toBeLessThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(kinds.indexOf('master-0:createJoinToken')).toBeLessThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(kinds.indexOf('master-0:deleteToken')).toBeGreaterThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(kinds).toContain('master-0:deleteCertsSecret');
    expect(calls.find((c) => c.kind === 'deleteToken')!.args).toEqual({ tokenId: 'abcde1' });
    expect(nodes.get('master-1')?.joined).toBe(true);
    expect(backends().backends.map((b) => b.name)).toEqual(['master-1']);
  });

  it('re-uploads a fresh key and retries once when the certificate key expired before the join', async () => {
    const { ctx, calls, nodes } = fakeContext([EXPIRED]);
    await joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!);
    const keys = calls.filter((c) => c.kind === 'uploadCerts').map((c) => (c.args as { certificateKey: string }).certificateKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    // The failed attempt is reset before the retry, and the first token is revoked.
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(kinds.filter((k) => k === 'master-1:kubeadmJoin')).toHaveLength(2);
    expect(kinds.indexOf('master-1:kubeadmReset')).toBeGreaterThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(calls.filter((c) => c.kind === 'deleteToken').map((c) => c.args)).toEqual([{ tokenId: 'abcde1' }, { tokenId: 'abcde2' }]);
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('does not retry other failures, and records nothing', async () => {
    const { ctx, calls, nodes } = fakeContext(['[ERROR Port-6443]: Port 6443 is in use']);
    await expect(joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!)).rejects.toThrow(/Port 6443 is in use/);
    expect(calls.filter((c) => c.kind === 'kubeadmJoin')).toHaveLength(1);
    expect(calls.some((c) => c.kind === 'deleteToken')).toBe(true);
    expect(nodes.get('master-1')).toBeUndefined();
  });

  it('counts a node with kubelet.conf whose Node is not Ready as a cut-off join: reset, then join again, never recorded as joined before', async () => {
    const { ctx, calls, nodes } = fakeContext([], {
      present: ['/etc/kubernetes/kubelet.conf'],
      node: { registered: true, ready: false, detail: 'Unknown: NodeStatusUnknown: Kubelet stopped posting node status.' },
    });
    await joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!);
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(kinds.slice(0, 3)).toEqual(['master-1:verifyClean', 'master-0:nodeStatus', 'master-1:kubeadmReset']);
    expect(kinds.filter((k) => k === 'master-1:kubeadmJoin')).toHaveLength(1);
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('a join whose Node never gets Ready is not recorded as joined', async () => {
    const { ctx, nodes } = fakeContext([], { node: { registered: false, ready: false, detail: 'node master-1 is not registered' } });
    const stuck = { registered: false, ready: false, detail: 'node master-1 is not registered' };
    const agents = ctx.agents;
    const strict = {
      ...ctx,
      timeouts: { ...ctx.timeouts, apiserverMs: 0 },
      agents: {
        ...agents,
        runTask: (async (a: string, k: TaskKind, x: never, o?: never) => (k === 'nodeStatus' ? stuck : agents.runTask(a, k, x, o))) as AgentGateway['runTask'],
      },
    };
    await expect(joinControlPlaneNode(strict, strict.plan.controlPlane[1]!)).rejects.toThrow(/kubeadm join finished but the Node is not registered after/);
    expect(nodes.get('master-1')).toBeUndefined();
  });

  it('a node with kubelet.conf and a Ready Node is joined already: no second join, its apiserver is checked and it is recorded', async () => {
    const { ctx, calls, nodes } = fakeContext([], { present: ['/etc/kubernetes/kubelet.conf'] });
    await joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!);
    expect(calls.map((c) => `${c.agent}:${c.kind}`)).toEqual(['master-1:verifyClean', 'master-0:nodeStatus', 'master-1:waitApiserver']);
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('a fresh join counts only once its Node is registered and Ready', async () => {
    const { ctx, calls, nodes } = fakeContext([]);
    await joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!);
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(kinds.lastIndexOf('master-0:nodeStatus')).toBeGreaterThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('recognises the kubeadm texts of an expired or wrong certificate key', () => {
    expect(isCertificateKeyFailure(new CommandError('kubeadm join', 1, EXPIRED))).toBe(true);
    expect(
      isCertificateKeyFailure(new CommandError('kubeadm join', 1, 'error downloading certs: error decoding certs: cipher: message authentication failed')),
    ).toBe(true);
    expect(isCertificateKeyFailure(new CommandError('kubeadm join', 1, "couldn't validate the identity of the API Server"))).toBe(false);
  });
});
