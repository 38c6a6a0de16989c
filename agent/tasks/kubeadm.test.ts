import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, KubeadmHaError } from '../../core/errors.js';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { createJoinToken, drainAndDeleteNode, kubeadmInit, kubeadmJoin, uploadCerts } from './kubeadm.js';

const ctx = { progress: () => {} };

describe('kubeadm and kubectl steps: names from the coordinator never read as flags', () => {
  let host: ScriptedHostOps;
  beforeEach(() => {
    host = new ScriptedHostOps();
  });
  afterEach(() => host.dispose());

  it.each([['-A'], ['--all'], ['--selector=x'], ['--kubeconfig=/tmp/evil']])('refuses to drain %j and runs nothing', async (name) => {
    await expect(drainAndDeleteNode(host, name, 60, ctx)).rejects.toThrow(KubeadmHaError);
    expect(host.calls).toEqual([]);
  });

  it('drains and deletes a node with its name after "--"', async () => {
    await drainAndDeleteNode(host, 'master-2', 60, ctx);
    expect(host.calls).toEqual([
      'kubectl --kubeconfig /etc/kubernetes/admin.conf get node -o name -- master-2',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf drain --ignore-daemonsets --delete-emptydir-data --force --timeout=60s -- master-2',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf delete node -- master-2',
    ]);
    for (const line of host.calls) expect(line.split(' ').filter((w) => w.startsWith('-') && w.includes('master-2'))).toEqual([]);
  });

  it('lets kubeadm read only our own configs, whatever config path the task names', async () => {
    for (const path of ['/tmp/evil.yaml', '--dry-run', '/etc/kubeadm-ha/../../tmp/x.yaml']) {
      await expect(kubeadmInit(host, path, ctx)).rejects.toThrow(AuthError);
      await expect(kubeadmJoin(host, path, [], ctx)).rejects.toThrow(AuthError);
      await expect(uploadCerts(host, path, 'k', ctx)).rejects.toThrow(AuthError);
      await expect(createJoinToken(host, path, ctx)).rejects.toThrow(AuthError);
    }
    expect(host.calls).toEqual([]);
    await expect(kubeadmJoin(host, '/etc/kubeadm-ha/kubeadm.yaml', ['--v=9'], ctx)).rejects.toThrow(/not a preflight check name/);
    expect(host.calls).toEqual([]);
    await kubeadmJoin(host, '/etc/kubeadm-ha/kubeadm.yaml', ['DirAvailable--etc-kubernetes-manifests'], ctx);
    expect(host.calls).toEqual(['kubeadm join --config /etc/kubeadm-ha/kubeadm.yaml --ignore-preflight-errors=DirAvailable--etc-kubernetes-manifests']);
  });
});
