import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { installPackages, kubeadmUpgrade, kubectlUncordon, nodeVersions, restartKubelet } from './upgrade.js';

let host: ScriptedHostOps;
afterEach(() => host?.dispose());
const ctx = { progress: () => undefined };

describe('upgrade tasks', () => {
  it('installs with apt on Debian (pinned past the hold, held again) and with dnf on Rocky (past the exclude)', async () => {
    host = new ScriptedHostOps();
    await host.writeFile('/etc/os-release', 'ID=debian\n', 0o644);
    host.on(/^apt-get /, { stdout: 'Setting up kubeadm (1.32.0-1.1) ...\n' });
    const apt = await installPackages(host, ['kubeadm'], 'v1.32.0', ctx);
    expect(host.calls).toEqual(['apt-get install -y --allow-change-held-packages kubeadm=1.32.0-*', 'apt-mark hold kubeadm']);
    expect(apt).toEqual({ manager: 'apt', lines: ['Setting up kubeadm (1.32.0-1.1) ...'] });
    host.dispose();
    host = new ScriptedHostOps();
    await host.writeFile('/etc/os-release', 'ID="rocky"\nID_LIKE="rhel centos fedora"\n', 0o644);
    expect((await installPackages(host, ['kubelet', 'kubectl'], 'v1.32.0', ctx)).manager).toBe('dnf');
    expect(host.calls).toEqual(['dnf install -y kubelet-1.32.0 kubectl-1.32.0 --disableexcludes=kubernetes']);
  });

  it('refuses an unknown system, another package, or a version that is not X.Y.Z, before running anything', async () => {
    host = new ScriptedHostOps();
    await expect(installPackages(host, ['kubeadm'], 'v1.32.0', ctx)).rejects.toThrow('names neither a Debian nor a Red Hat family system');
    await host.writeFile('/etc/os-release', 'ID=debian\n', 0o644);
    await expect(installPackages(host, ['openssh-server'], 'v1.32.0', ctx)).rejects.toThrow('is not one of kubeadm, kubelet, kubectl');
    await expect(installPackages(host, ['kubeadm'], '1.32.0 && reboot', ctx)).rejects.toThrow('is not a release version');
    expect(host.calls).toEqual([]);
  });

  it('a tarball host (spec.kubernetes.binariesDir): each staged binary must report the version, then replaces the one in place, the previous kept', async () => {
    host = new ScriptedHostOps();
    const dir = '/opt/kubernetes/releases';
    await host.makeDir(`${dir}/v1.32.0`, 0o755);
    await host.writeFile(`${dir}/v1.32.0/kubelet`, 'kubelet 1.32.0 binary', 0o755);
    await host.writeFile(`${dir}/v1.32.0/kubectl`, 'kubectl 1.32.0 binary', 0o755);
    await host.writeFile('/usr/bin/kubelet', 'kubelet 1.31.4 binary', 0o755);
    host.on(`${host.root}${dir}/v1.32.0/kubelet --version`, { stdout: 'Kubernetes v1.32.0\n' });
    host.on(`${host.root}${dir}/v1.32.0/kubectl version --client`, { stdout: 'Client Version: v1.32.0\nKustomize Version: v5.5.0\n' });
    const lines: string[] = [];
    const r = await installPackages(host, ['kubelet', 'kubectl'], 'v1.32.0', { progress: (l) => lines.push(l) }, dir);
    expect(r.manager).toBe('binaries');
    // Replaced where it was (/usr/bin, as seed 000's kubelet.service runs it); kubectl, absent, goes to /usr/local/bin.
    expect(await host.readFile('/usr/bin/kubelet')).toBe('kubelet 1.32.0 binary');
    expect(await host.mode('/usr/bin/kubelet')).toBe(0o755);
    expect(await host.readFile('/usr/bin/kubelet.kubeadm-ha-previous')).toBe('kubelet 1.31.4 binary');
    expect(await host.readFile('/usr/local/bin/kubectl')).toBe('kubectl 1.32.0 binary');
    expect(lines).toEqual([
      `kubelet v1.32.0 installed from ${dir}/v1.32.0/kubelet as /usr/bin/kubelet (the previous one kept as /usr/bin/kubelet.kubeadm-ha-previous)`,
      `kubectl v1.32.0 installed from ${dir}/v1.32.0/kubectl as /usr/local/bin/kubectl`,
    ]);
    // No package manager ran.
    expect(host.calls.filter((c) => /apt|dnf/.test(c))).toEqual([]);
    // Run again (a resumed upgrade): nothing is replaced, and the kept previous one is still the old one.
    host.on(`${host.root}/usr/bin/kubelet --version`, { stdout: 'Kubernetes v1.32.0\n' });
    host.on(`${host.root}/usr/local/bin/kubectl version --client`, { stdout: 'Client Version: v1.32.0\n' });
    const again = await installPackages(host, ['kubelet', 'kubectl', 'kubelet'], 'v1.32.0', ctx, dir);
    expect(again.lines).toEqual(['kubelet v1.32.0 already installed as /usr/bin/kubelet', 'kubectl v1.32.0 already installed as /usr/local/bin/kubectl']);
    expect(await host.readFile('/usr/bin/kubelet.kubeadm-ha-previous')).toBe('kubelet 1.31.4 binary');
  });

  it('a tarball host: refuses a binary that reports another version, is missing, or that someone other than root could have written, before replacing anything', async () => {
    host = new ScriptedHostOps();
    const dir = '/opt/kubernetes/releases';
    await host.makeDir(`${dir}/v1.32.0`, 0o755);
    await host.writeFile('/usr/bin/kubelet', 'kubelet 1.31.4 binary', 0o755);
    await host.writeFile(`${dir}/v1.32.0/kubelet`, 'kubelet 1.31.4 binary, mislabelled', 0o755);
    host.on(`${host.root}${dir}/v1.32.0/kubelet --version`, { stdout: 'Kubernetes v1.31.4\n' });
    await expect(installPackages(host, ['kubelet'], 'v1.32.0', ctx, dir)).rejects.toThrow(
      `${dir}/v1.32.0/kubelet reports v1.31.4, not v1.32.0: stage the v1.32.0 release there`,
    );
    await expect(installPackages(host, ['kubeadm'], 'v1.32.0', ctx, dir)).rejects.toThrow(
      `${dir}/v1.32.0/kubeadm does not exist: stage the v1.32.0 binaries in ${dir}/v1.32.0/ on this host first`,
    );
    await host.chmod(`${dir}/v1.32.0/kubelet`, 0o775);
    const before = host.calls.length;
    await expect(installPackages(host, ['kubelet'], 'v1.32.0', ctx, dir)).rejects.toThrow(/refusing to install .*kubelet: .* writable by nobody else/);
    // Never run: the version check would have run it as root.
    expect(host.calls.slice(before).filter((c) => c.includes(`${dir}/v1.32.0/kubelet`))).toEqual([]);
    // Nor when a directory above it is writable by others: they could swap it after the check.
    await host.chmod(`${dir}/v1.32.0/kubelet`, 0o755);
    await host.chmod('/opt/kubernetes', 0o775);
    await expect(installPackages(host, ['kubelet'], 'v1.32.0', ctx, dir)).rejects.toThrow(
      /refusing to install .*: \/opt\/kubernetes is owned by uid \d+ with mode 775/,
    );
    await host.chmod('/opt/kubernetes', 0o755);
    // A release candidate is not the release.
    host.on(`${host.root}${dir}/v1.32.0/kubelet --version`, { stdout: 'Kubernetes v1.32.0-rc.1\n' });
    await expect(installPackages(host, ['kubelet'], 'v1.32.0', ctx, dir)).rejects.toThrow('reports v1.32.0-rc.1, not v1.32.0');
    // Two copies on the host: the one replaced might not be the one that runs.
    await host.writeFile('/usr/local/bin/kubelet', 'another kubelet', 0o755);
    await expect(installPackages(host, ['kubelet'], 'v1.32.0', ctx, dir)).rejects.toThrow(
      'kubelet is in /usr/bin/kubelet and /usr/local/bin/kubelet: remove the copies the host does not run',
    );
    await expect(installPackages(host, ['kubelet'], 'v1.32.0', ctx, '/opt/../etc')).rejects.toThrow('is not an absolute path without .. segments');
    expect(await host.readFile('/usr/bin/kubelet')).toBe('kubelet 1.31.4 binary');
  });

  it("runs kubeadm's upgrade commands, and nothing else", async () => {
    host = new ScriptedHostOps();
    host.on('kubeadm upgrade apply', { stdout: '[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "v1.32.0".\n' });
    expect((await kubeadmUpgrade(host, 'apply', 'v1.32.0', ctx)).outputTail).toContain('SUCCESS!');
    await kubeadmUpgrade(host, 'node', '', ctx);
    await expect(kubeadmUpgrade(host, 'diff', 'v1.32.0', ctx)).rejects.toThrow('is not plan, apply or node');
    await expect(kubeadmUpgrade(host, 'apply', '--force', ctx)).rejects.toThrow('is not a release version');
    expect(host.calls).toEqual(['kubeadm upgrade apply v1.32.0 --yes', 'kubeadm upgrade node']);
  });

  it('reads both versions, restarts the kubelet and checks it runs, and treats an uncordoned node as done', async () => {
    host = new ScriptedHostOps();
    host.on('kubeadm version', { stdout: 'v1.32.0\n' }).on('kubelet --version', { stdout: 'Kubernetes v1.31.4\n' });
    expect(await nodeVersions(host)).toEqual({ kubeadm: 'v1.32.0', kubelet: 'v1.31.4' });
    host.on('systemctl is-active kubelet', { exitCode: 3, stdout: 'failed\n' });
    await expect(restartKubelet(host, ctx)).rejects.toThrow('kubelet is failed after its restart');
    expect(host.calls.slice(-3)).toEqual(['systemctl daemon-reload', 'systemctl restart kubelet', 'systemctl is-active kubelet']);
    host.on(/ uncordon /, { exitCode: 1, stderr: 'node/worker-0 already uncordoned\n' });
    await expect(kubectlUncordon(host, 'worker-0', '', ctx)).resolves.toBeUndefined();
    await expect(kubectlUncordon(host, '--all', '', ctx)).rejects.toThrow('is not a node name');
  });
});
