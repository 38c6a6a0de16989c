import { describe, expect, it } from 'vitest';
import { installPackagesArgv, packageManagerOf } from '../host/packages.js';
import { upgradeApplyArgv, upgradeNodeArgv, upgradePlanArgv } from '../kubeadm/argv.js';
import { nodeUpgradeStep, upgradeRefusals } from './policy.js';

const node = (name: string, kubelet = 'v1.31.4', ready = true) => ({ node: name, role: 'worker' as const, kubelet, ready });

describe('upgradeRefusals', () => {
  it('lets a one-minor or a patch upgrade go', () => {
    expect(upgradeRefusals({ target: 'v1.32.0', cluster: 'v1.31.4', nodes: [node('a'), node('b', 'v1.29.9')] })).toEqual([]);
    expect(upgradeRefusals({ target: 'v1.31.9', cluster: 'v1.31.4', nodes: [node('a')] })).toEqual([]);
  });

  it('names each rule and node it breaks', () => {
    expect(upgradeRefusals({ target: 'v1.33.0', cluster: 'v1.31.4', nodes: [node('w-1', 'v1.29.0', false), node('w-2', 'v1.34.0')] })).toEqual([
      'one minor version at a time: v1.31.4 → v1.33.0 skips a minor; upgrade to v1.32 first',
      'every node Ready: w-1 is not Ready',
      "kubelet version skew: w-1's kubelet v1.29.0 would be more than 3 minors behind v1.33.0; upgrade it first",
      "kubelet version skew: w-2's kubelet v1.34.0 is newer than v1.33.0",
    ]);
    expect(upgradeRefusals({ target: 'v1.30.0', cluster: 'v1.31.4', nodes: [] })).toEqual(['no downgrade: the cluster runs v1.31.4, above v1.30.0']);
    expect(upgradeRefusals({ target: '1.32', cluster: 'v1.31.4', nodes: [] })[0]).toMatch(/^target version: "1.32" is not a release version/);
  });

  it('decides a node step from what it runs', () => {
    expect(nodeUpgradeStep('v1.32.0', 'v1.31.4', 'v1.31.4')).toBe('kubeadm');
    expect(nodeUpgradeStep('v1.32.0', 'v1.32.0', 'v1.31.4')).toBe('kubelet');
    expect(nodeUpgradeStep('v1.32.0', 'v1.32.0', 'v1.32.0')).toBe('done');
  });
});

describe('package and kubeadm command lines', () => {
  it('pins and holds with apt, names the version past the exclude with dnf', () => {
    expect(installPackagesArgv('apt', ['kubeadm'], 'v1.32.0')).toEqual([
      ['apt-get', 'install', '-y', '--allow-change-held-packages', 'kubeadm=1.32.0-*'],
      ['apt-mark', 'hold', 'kubeadm'],
    ]);
    expect(installPackagesArgv('dnf', ['kubelet', 'kubectl'], '1.32.0')).toEqual([
      ['dnf', 'install', '-y', 'kubelet-1.32.0', 'kubectl-1.32.0', '--disableexcludes=kubernetes'],
    ]);
    expect(() => installPackagesArgv('apt', ['bash'], 'v1.32.0')).toThrow('is not one of kubeadm, kubelet, kubectl');
    expect(() => installPackagesArgv('apt', ['kubeadm'], '1.32.0; rm -rf /')).toThrow('is not a release version');
  });

  it('knows the package manager from /etc/os-release', () => {
    expect(packageManagerOf('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')).toBe('apt');
    expect(packageManagerOf('ID=ubuntu\nID_LIKE=debian\n')).toBe('apt');
    expect(packageManagerOf('ID="rocky"\nID_LIKE="rhel centos fedora"\n')).toBe('dnf');
    expect(packageManagerOf('ID=arch\n')).toBeUndefined();
  });

  it("builds kubeadm's upgrade command lines with a checked version", () => {
    expect(upgradeApplyArgv('v1.32.0')).toEqual(['kubeadm', 'upgrade', 'apply', 'v1.32.0', '--yes']);
    expect(upgradePlanArgv('v1.32.0')).toEqual(['kubeadm', 'upgrade', 'plan', 'v1.32.0']);
    expect(upgradeNodeArgv()).toEqual(['kubeadm', 'upgrade', 'node']);
    expect(() => upgradeApplyArgv('--force')).toThrow('is not a release version');
  });
});
