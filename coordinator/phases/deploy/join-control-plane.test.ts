import { readFileSync } from 'node:fs';
import { fakeClusterContext, memoryBackendSets, memoryNodeRecords } from '../../../test/support/cluster-context.js';
import { describe, expect, it } from 'vitest';
import { emptyBackendSet } from '../../../core/backend-set.js';
import { CommandError } from '../../../core/errors.js';
import { loadSpec } from '../../../core/validate.js';
import type { TaskArgs, TaskKind } from '../../../proto/index.js';
import type { AgentGateway, NodeRecord } from '../../workflow/ports.js';
import { fakeEtcdStatus, fakeMember, type FakeMember } from '../../../test/support/fake-etcd.js';
import { joinControlPlaneNode } from './join-control-plane.js';
import { isCertificateKeyFailure } from './join-credentials.js';

const EXPIRED =
  'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one';

interface HostState {
  /** Paths verifyClean finds on the joining node. */
  present?: string[];
  /** What nodeStatus answers about the joining node. */
  node?: { registered: boolean; ready: boolean; detail: string };
  /** The etcd members (default: master-0's alone, healthy). */
  etcd?: FakeMember[];
}

function fakeContext(joinFailures: string[], host: HostState = {}) {
  const { spec } = loadSpec(readFileSync(new URL('../../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));
  const calls: { agent: string; kind: TaskKind; args: unknown }[] = [];
  const nodes = new Map<string, NodeRecord>([['master-0', { name: 'master-0', role: 'control-plane', joined: true }]]);
  let tokens = 0;
  const etcd = { members: host.etcd ?? [fakeMember('master-0', spec.nodes[0]!.address, 0)] };
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
          case 'etcdStatus':
            return fakeEtcdStatus(etcd.members, agent);
          case 'etcdRemoveMember': {
            const id = (args as TaskArgs['etcdRemoveMember']).memberId;
            etcd.members = etcd.members.filter((m) => m.id !== id);
            return { removed: true, detail: `removed etcd member ${id}` };
          }
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
  return { ctx, calls, nodes, backends: backends.stored, etcd };
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

  it('revokes the credentials while it waits for the new apiserver, and counts the node joined only after both', async () => {
    const { ctx, calls, nodes } = fakeContext([]);
    const agents = ctx.agents;
    let waitAsked: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (waitAsked = resolve));
    let overlapped = false;
    let revokedBeforeJoined = false;
    const overlapping = {
      ...ctx,
      agents: {
        ...agents,
        runTask: (async (a: string, k: TaskKind, x: never, o?: never) => {
          if (k === 'waitApiserver' && a === 'master-1') waitAsked();
          // The token is deleted only once the apiserver wait was asked for: a cleanup before the wait never gets there.
          if (k === 'deleteToken') overlapped = await Promise.race([waiting.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]);
          if (k === 'deleteCertsSecret') revokedBeforeJoined = nodes.get('master-1') === undefined;
          return agents.runTask(a, k, x, o);
        }) as AgentGateway['runTask'],
      },
    };
    await joinControlPlaneNode(overlapping, overlapping.plan.controlPlane[1]!);
    expect(overlapped).toBe(true);
    expect(revokedBeforeJoined).toBe(true);
    expect(calls.map((c) => c.kind)).toEqual(expect.arrayContaining(['deleteToken', 'deleteCertsSecret', 'waitApiserver', 'nodeStatus']));
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('a failed join revokes the credentials before it reports the failure', async () => {
    const { ctx, calls, nodes } = fakeContext(['some other failure']);
    await expect(joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!)).rejects.toThrow(/some other failure/);
    const kinds = calls.map((c) => c.kind);
    expect(kinds).toContain('deleteToken');
    expect(kinds).toContain('deleteCertsSecret');
    expect(kinds).not.toContain('waitApiserver');
    expect(nodes.get('master-1')).toBeUndefined();
  });

  it('a mint that fails after the certs were uploaded still deletes the kubeadm-certs Secret', async () => {
    const { ctx, calls, nodes } = fakeContext([]);
    const agents = ctx.agents;
    const failing = {
      ...ctx,
      agents: {
        ...agents,
        runTask: (async (a: string, k: TaskKind, x: never, o?: never) => {
          const answer = await agents.runTask(a, k, x, o);
          if (k === 'createJoinToken') throw new CommandError('kubeadm token create', 1, 'timed out waiting for the condition');
          return answer;
        }) as AgentGateway['runTask'],
      },
    };
    await expect(joinControlPlaneNode(failing, failing.plan.controlPlane[1]!)).rejects.toThrow(/timed out waiting for the condition/);
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(kinds.indexOf('master-0:deleteCertsSecret')).toBeGreaterThan(kinds.indexOf('master-0:uploadCerts'));
    expect(kinds).not.toContain('master-1:kubeadmJoin');
    expect(nodes.get('master-1')).toBeUndefined();
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
    // Its etcd member is started and voting too: the join went through, only its record was never written.
    const { ctx, calls, nodes } = fakeContext([], {
      present: ['/etc/kubernetes/kubelet.conf'],
      etcd: [fakeMember('master-0', '198.18.0.11', 0), fakeMember('master-1', '198.18.0.12', 1)],
    });
    await joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!);
    expect(calls.map((c) => `${c.agent}:${c.kind}`)).toEqual(['master-1:verifyClean', 'master-0:nodeStatus', 'master-0:etcdStatus', 'master-1:waitApiserver']);
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('a Ready Node whose etcd member was added but never started is a cut-off join: reset, the member removed, joined again', async () => {
    const events: string[] = [];
    const { ctx, calls, etcd, nodes } = fakeContext([], {
      present: ['/etc/kubernetes/kubelet.conf'],
      etcd: [fakeMember('master-0', '198.18.0.11', 0), fakeMember('master-1', '198.18.0.12', 1, { unstarted: true, learner: true })],
    });
    const run = { ...ctx, emit: (e: { message: string }) => void events.push(e.message) };
    await joinControlPlaneNode(run, ctx.plan.controlPlane[1]!);
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(events.join('\n')).toMatch(/an earlier join was cut off here \(.*etcd member \S+ was added but never started\)/);
    expect(kinds.indexOf('master-1:kubeadmReset')).toBeGreaterThan(-1);
    expect(kinds.indexOf('master-1:kubeadmReset')).toBeLessThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(etcd.members.filter((m) => m.unstarted)).toEqual([]);
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('a fresh join counts only once its Node is registered and Ready', async () => {
    const { ctx, calls, nodes } = fakeContext([]);
    await joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!);
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(kinds.lastIndexOf('master-0:nodeStatus')).toBeGreaterThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('checks etcd health right before the join (after a cut-off join is reset), through the joined nodes', async () => {
    const { ctx, calls } = fakeContext([]);
    await joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!);
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(kinds.indexOf('master-0:etcdStatus')).toBeGreaterThan(-1);
    expect(kinds.indexOf('master-0:etcdStatus')).toBeLessThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(calls.find((c) => c.kind === 'etcdStatus')!.args).toEqual({ address: '198.18.0.11' });
  });

  it('removes the dangling member of a join killed between member add and start through a healthy node, says so, then joins', async () => {
    const events: string[] = [];
    const dangling = fakeMember('master-1', '198.18.0.12', 1, { unstarted: true, learner: true });
    const { ctx, calls, etcd, nodes } = fakeContext([], {
      present: ['/etc/kubernetes/kubelet.conf'],
      node: { registered: false, ready: false, detail: 'node master-1 is not registered' },
      etcd: [fakeMember('master-0', '198.18.0.11', 0), dangling],
    });
    await joinControlPlaneNode({ ...ctx, emit: (e) => events.push(e.message) }, ctx.plan.controlPlane[1]!);
    const kinds = calls.map((c) => `${c.agent}:${c.kind}`);
    expect(kinds.indexOf('master-0:etcdRemoveMember')).toBeLessThan(kinds.indexOf('master-1:kubeadmJoin'));
    expect(calls.find((c) => c.kind === 'etcdRemoveMember')!.args).toEqual({
      address: '198.18.0.11',
      memberId: dangling.id,
      peerUrl: 'https://198.18.0.12:2380',
    });
    expect(etcd.members.map((m) => m.name)).toEqual(['master-0']);
    expect(events.some((e) => /removing the dangling etcd member \(never started\) 1001 with master-1's peer URL https:\/\/198\.18\.0\.12:2380/.test(e))).toBe(
      true,
    );
    expect(nodes.get('master-1')?.joined).toBe(true);
  });

  it('refuses to join on an unhealthy etcd, naming the problem, and joins nothing', async () => {
    const { ctx, calls, nodes } = fakeContext([], {
      etcd: [fakeMember('master-0', '198.18.0.11', 0, { dbSize: 2 * 1024 ** 3 })],
    });
    await expect(joinControlPlaneNode(ctx, ctx.plan.controlPlane[1]!)).rejects.toThrow(
      /etcd is unhealthy; refusing to join master-1 to etcd:\n {2}- etcd member master-0 \(1000\): database 2\.00 GiB has reached its quota of 2\.00 GiB\n.*--force/,
    );
    expect(calls.some((c) => c.kind === 'kubeadmJoin' || c.kind === 'uploadCerts')).toBe(false);
    expect(nodes.get('master-1')).toBeUndefined();
  });

  it('refuses when no control-plane node reaches etcd at all; --force goes on and says what it skipped', async () => {
    const down = [fakeMember('master-0', '198.18.0.11', 0, { down: true })];
    const refused = fakeContext([], { etcd: down });
    await expect(joinControlPlaneNode(refused.ctx, refused.ctx.plan.controlPlane[1]!)).rejects.toThrow(
      /etcd quorum lost: 0 of 1 voting member answer, 1 needed/,
    );
    const events: string[] = [];
    const forced = fakeContext([], { etcd: down });
    await joinControlPlaneNode({ ...forced.ctx, force: true, emit: (e) => events.push(e.message) }, forced.ctx.plan.controlPlane[1]!);
    expect(forced.nodes.get('master-1')?.joined).toBe(true);
    expect(events.find((e) => e.startsWith('warning: --force: going on to join master-1 to etcd although etcd is unhealthy'))).toMatch(/quorum lost/);
  });

  it('recognises the kubeadm texts of an expired or wrong certificate key', () => {
    expect(isCertificateKeyFailure(new CommandError('kubeadm join', 1, EXPIRED))).toBe(true);
    expect(
      isCertificateKeyFailure(new CommandError('kubeadm join', 1, 'error downloading certs: error decoding certs: cipher: message authentication failed')),
    ).toBe(true);
    expect(isCertificateKeyFailure(new CommandError('kubeadm join', 1, "couldn't validate the identity of the API Server"))).toBe(false);
  });
});
