/**
 * `kubeadm upgrade plan|apply|node` of the simulator, and the package-manager stand-ins that change which kubeadm and
 * kubelet a host has: kubeadm's version-skew policy with its texts, the control-plane images rewritten, certificates
 * renewed, the stand-in apiserver answering with the new /version, the cluster's version recorded.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSimulatorBuilt, freePort, killSimApiservers, REPO_ROOT, runSim } from './testing.js';

const STUBS = join(REPO_ROOT, 'test/host-stubs/bin');
const dir = mkdtempSync(join(tmpdir(), 'kubeadm-sim-upgrade-'));
const root = join(dir, 'master0');
const env = { KUBEADM_SIM_ROOT: root, KUBEADM_SIM_STATE: join(dir, 'state'), KUBEADM_SIM_KEY_ALGORITHM: 'ECDSA-P256' };
let port = 0;

function stub(tool: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(STUBS, tool), args, { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

function version(): Promise<string> {
  return new Promise((resolve, reject) => {
    const ca = readFileSync(join(root, 'etc/kubernetes/pki/ca.crt'), 'utf8');
    request({ host: '127.0.0.1', port, path: '/version', ca }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve((JSON.parse(body) as { gitVersion: string }).gitVersion));
    })
      .on('error', reject)
      .end();
  });
}

const manifest = (name: string) => readFileSync(join(root, `etc/kubernetes/manifests/${name}.yaml`), 'utf8');

beforeAll(async () => {
  await ensureSimulatorBuilt();
  port = await freePort('127.0.0.1');
  mkdirSync(join(root, 'etc/kubeadm-ha'), { recursive: true });
  writeFileSync(
    join(root, 'etc/kubeadm-ha/kubeadm.yaml'),
    `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration: {name: master0}
localAPIEndpoint: {advertiseAddress: 127.0.0.1, bindPort: ${port}}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.31.4
controlPlaneEndpoint: 127.0.0.1:${port}
`,
  );
  const init = await runSim('kubeadm', ['init', '--config', '/etc/kubeadm-ha/kubeadm.yaml'], env);
  expect(init.code, init.stderr).toBe(0);
}, 120_000);

afterAll(() => {
  killSimApiservers([root]);
  rmSync(dir, { recursive: true, force: true });
});

describe('kubeadm upgrade (simulated) and the package-manager stand-ins', () => {
  it("refuses what kubeadm's version policy refuses, with its texts", async () => {
    const two = await runSim('kubeadm', ['upgrade', 'apply', 'v1.33.0', '-y'], env);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toContain('[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:');
    expect(two.stderr).toContain('\t- Specified version to upgrade to "v1.33.0" is too high; kubeadm can upgrade only 1 minor version at a time\n');
    const newer = await runSim('kubeadm', ['upgrade', 'apply', 'v1.32.0', '-y'], env);
    expect(newer.stderr).toContain(
      '\t- Specified version to upgrade to "v1.32.0" is at least one minor release higher than the kubeadm minor release (32 > 31). Such an upgrade is not supported\n',
    );
    expect(manifest('kube-apiserver')).toContain('kube-apiserver:v1.31.4');
  });

  it('apt-get refuses to change a held kubeadm, installs it with --allow-change-held-packages, and kubeadm reports it', async () => {
    expect((await stub('apt-mark', ['hold', 'kubeadm', 'kubelet'])).stdout).toBe('kubeadm set on hold.\nkubelet set on hold.\n');
    const held = await stub('apt-get', ['install', '-y', 'kubeadm=1.32.0-1.1']);
    expect(held.code).toBe(100);
    expect(held.stderr).toContain('E: Held packages were changed and -y was used without --allow-change-held-packages.');
    expect((await stub('apt-get', ['install', '-y', '--allow-change-held-packages', 'kubeadm=1.34.0-1.1'])).stderr).toContain(
      "E: Version '1.34.0-1.1' for 'kubeadm' was not found",
    );
    expect((await stub('apt-get', ['install', '-y', '--allow-change-held-packages', 'kubeadm=1.32.0-1.1'])).code).toBe(0);
    expect((await runSim('kubeadm', ['version', '-o', 'short'], env)).stdout.trim()).toBe('v1.32.0');
    expect((await stub('kubelet', ['--version'])).stdout.trim()).toBe('Kubernetes v1.31.4');
    expect((await stub('apt-cache', ['madison', 'kubeadm'])).stdout.split('\n')[0]).toBe(
      '   kubeadm | 1.32.0-1.1 | https://pkgs.k8s.io/core:/stable:/v1.32/deb  Packages',
    );
  });

  it('upgrade plan names the target; apply asks first, then upgrades the control plane, renews certificates, reports the new version', async () => {
    const plan = await runSim('kubeadm', ['upgrade', 'plan'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('[upgrade/versions] Cluster version: v1.31.4\n[upgrade/versions] kubeadm version: v1.32.0\n');
    expect(plan.stdout).toContain('\tkubeadm upgrade apply v1.32.0\n');
    const asked = await runSim('kubeadm', ['upgrade', 'apply', 'v1.32.0'], env, 'n\n');
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toContain("won't proceed");
    const serial = new X509Certificate(readFileSync(join(root, 'etc/kubernetes/pki/apiserver.crt'), 'utf8')).serialNumber;
    expect(await version()).toBe('v1.31.4');
    const applied = await runSim('kubeadm', ['upgrade', 'apply', 'v1.32.0', '-y'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('[upgrade/staticpods] Component "kube-apiserver" upgraded successfully!\n');
    expect(applied.stdout).toContain('[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "v1.32.0".\n');
    for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) expect(manifest(c)).toContain(`${c}:v1.32.0`);
    expect(manifest('etcd')).toContain('etcd:3.5.16-0');
    expect(new X509Certificate(readFileSync(join(root, 'etc/kubernetes/pki/apiserver.crt'), 'utf8')).serialNumber).not.toBe(serial);
    expect(await version()).toBe('v1.32.0');
    expect((await runSim('kubeadm', ['upgrade', 'plan'], env)).stdout).toContain("Awesome, you're up-to-date! Enjoy!");
    // The node itself: already at the cluster's version; `upgrade node` rewrites nothing more.
    const node = await runSim('kubeadm', ['upgrade', 'node'], env);
    expect(node.code, node.stderr).toBe(0);
    expect(node.stdout).toContain('[upgrade] The upgrade for this node was successfully completed!\n');
    expect(node.stdout).not.toContain('upgraded successfully!');
  }, 120_000);
});
