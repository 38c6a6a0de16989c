import { describe, expect, it } from 'vitest';
import { getNodeJsonArgv, parseNodeReadiness } from './kubectl.js';

const node = (condition: Record<string, string> | undefined) => JSON.stringify({ kind: 'Node', status: { conditions: condition ? [condition] : [] } });

describe('parseNodeReadiness (kubectl get node -o json)', () => {
  it('Ready=True is a finished join', () => {
    expect(parseNodeReadiness(node({ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }))).toEqual({
      ready: true,
      detail: 'True: KubeletReady: kubelet is posting ready status',
    });
  });

  it('NotReady only for want of a CNI counts too: kubeadm-ha installs none, and the kubelet runs and posts status', () => {
    const message =
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';
    expect(parseNodeReadiness(node({ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message })).ready).toBe(true);
  });

  it('a kubelet that stopped posting (Unknown), another NotReady reason or no condition yet is not joined', () => {
    expect(
      parseNodeReadiness(node({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' })).ready,
    ).toBe(false);
    expect(parseNodeReadiness(node({ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' })).ready).toBe(false);
    expect(parseNodeReadiness(node(undefined))).toEqual({ ready: false, detail: 'no Ready condition yet (the kubelet has not posted status)' });
    expect(() => parseNodeReadiness('error: oops')).toThrow(/printed no JSON/);
  });

  it('names the node after --', () => {
    expect(getNodeJsonArgv('w1')).toEqual(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'node', '-o', 'json', '--', 'w1']);
    expect(() => getNodeJsonArgv('--all')).toThrow(/not a node name/);
  });
});
