/**
 * `kubeadm certs check-expiration` and `kubeadm certs renew` of the simulator against the real texts
 * (../shared/kubeadm-reference/v1.28.4/output/certs_*.txt; v1.31's configuration lines and super-admin.conf).
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tabwrite } from './cmd-certs.js';
import { createCA, signLeaf } from './pki.js';
import { ensureSimulatorBuilt, runSim } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeadm-sim-certs-'));
const root = join(dir, 'master0');
const env = {
  KUBEADM_SIM_ROOT: root,
  KUBEADM_SIM_STATE: join(dir, 'state'),
  KUBEADM_SIM_KEY_ALGORITHM: 'ECDSA-P256',
  KUBEADM_SIM_APISERVER: 'off',
};
const pem = (path: string) => new X509Certificate(readFileSync(join(root, path), 'utf8'));
const kubeconfigCert = (file: string) =>
  new X509Certificate(
    Buffer.from(
      (parse(readFileSync(join(root, 'etc/kubernetes', file), 'utf8')) as { users: { user: Record<string, string> }[] }).users[0]!.user[
        'client-certificate-data'
      ]!,
      'base64',
    ),
  );

beforeAll(async () => {
  await ensureSimulatorBuilt();
  mkdirSync(join(root, 'etc/kubeadm-ha'), { recursive: true });
  writeFileSync(
    join(root, 'etc/kubeadm-ha/kubeadm.yaml'),
    `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration: {name: master0}
localAPIEndpoint: {advertiseAddress: 198.18.0.11, bindPort: 6443}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.31.4
controlPlaneEndpoint: 198.18.0.100:8443
`,
  );
  const init = await runSim('kubeadm', ['init', '--config', '/etc/kubeadm-ha/kubeadm.yaml', '--skip-phases', 'addon/kube-proxy'], env);
  expect(init.code, init.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubeadm certs', () => {
  it("tabwrite pads like Go's tabwriter(10, 4, 3): every column but the last, blocks split by lines without tabs", () => {
    expect(tabwrite(['A\tBB\tc', 'longer-name\tx\tyes     ', '', 'CA\tZ'])).toBe(
      ['A             BB        c', 'longer-name   x         yes     ', '', 'CA        Z', ''].join('\n'),
    );
  });

  it('check-expiration prints both tables as kubeadm does, with super-admin.conf from v1.29', async () => {
    const r = await runSim('kubeadm', ['certs', 'check-expiration'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
      "[check-expiration] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it.",
      '',
    ]);
    expect(lines[3]).toBe('CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED');
    const names = lines.slice(4, 15).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual([
      'admin.conf',
      'apiserver',
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'controller-manager.conf',
      'etcd-healthcheck-client',
      'etcd-peer',
      'etcd-server',
      'front-proxy-client',
      'scheduler.conf',
      'super-admin.conf',
    ]);
    expect(lines[5]).toMatch(/^apiserver {18}[A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2} UTC {3}36[45]d {12}ca {22}no {6}$/);
    expect(lines[6]).toMatch(/ etcd-ca {17}no {6}$/);
    expect(lines[15]).toBe('');
    expect(lines[16]).toBe('CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED');
    expect(lines[17]).toMatch(/^ca {22}[A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2} UTC {3}9y {14}no {6}$/);
    expect(lines.slice(17, 20).map((l) => l.split(/\s+/)[0])).toEqual(['ca', 'etcd-ca', 'front-proxy-ca']);
  });

  it('renew all: a new key and validity for every certificate, same subject and SANs, kubeconfigs updated, the real lines', async () => {
    const before = pem('etc/kubernetes/pki/apiserver.crt');
    const adminBefore = kubeconfigCert('admin.conf');
    const keyBefore = readFileSync(join(root, 'etc/kubernetes/pki/apiserver.key'), 'utf8');
    const r = await runSim('kubeadm', ['certs', 'renew', 'all'], { ...env, KUBEADM_SIM_CERT_VALIDITY: '2h' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed\ncertificate for serving the Kubernetes API renewed\n',
    );
    expect(r.stdout).toContain('certificate embedded in the kubeconfig file for the super-admin renewed\n');
    expect(
      r.stdout.endsWith(
        '\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n',
      ),
    ).toBe(true);
    const after = pem('etc/kubernetes/pki/apiserver.crt');
    expect(after.subject).toBe(before.subject);
    expect(after.subjectAltName).toBe(before.subjectAltName);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(readFileSync(join(root, 'etc/kubernetes/pki/apiserver.key'), 'utf8')).not.toBe(keyBefore);
    const hours = (Date.parse(after.validTo) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThan(2.1);
    expect(after.checkIssued(pem('etc/kubernetes/pki/ca.crt'))).toBe(true);
    expect(pem('etc/kubernetes/pki/etcd/peer.crt').checkIssued(pem('etc/kubernetes/pki/etcd/ca.crt'))).toBe(true);
    const admin = kubeconfigCert('admin.conf');
    expect(admin.subject).toBe(adminBefore.subject);
    expect(admin.validTo).not.toBe(adminBefore.validTo);
    const check = await runSim('kubeadm', ['certs', 'check-expiration'], env);
    expect(check.stdout).toMatch(/\napiserver {18}\S.* UTC {3}1h {14}ca/);
    // The CAs are not renewed.
    expect(check.stdout).toMatch(/\nca {22}.* UTC {3}9y /);
  });

  it('a renewal never gets the key it replaces, though leaf keys come from a pool of eight (a CI run drew the same one)', async () => {
    const ca = await createCA('kubernetes', 'ECDSA-P256', Date.now());
    const req = { commonName: 'kube-apiserver', usages: ['server' as const], dnsNames: ['kubernetes'] };
    let current = await signLeaf(ca, req, 'ECDSA-P256', Date.now());
    // 40 renewals: drawing from the pool without excluding the old key repeats it with a chance of 1 - (7/8)^40 > 99 %.
    for (let i = 0; i < 40; i++) {
      const next = await signLeaf(ca, req, 'ECDSA-P256', Date.now(), current.certPem);
      expect(next.keyPem).not.toBe(current.keyPem);
      current = next;
    }
  });

  it('renews one certificate by name, and says MISSING for one that is not there (a joined node has no super-admin.conf)', async () => {
    rmSync(join(root, 'etc/kubernetes/super-admin.conf'));
    const one = await runSim('kubeadm', ['certs', 'renew', 'apiserver'], env);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.split('\n').filter(Boolean).at(-1)).toBe('certificate for serving the Kubernetes API renewed');
    const missing = await runSim('kubeadm', ['certs', 'renew', 'super-admin.conf'], env);
    expect(missing.stdout.split('\n').filter(Boolean).at(-1)).toBe('MISSING! certificate embedded in the kubeconfig file for the super-admin');
    const check = await runSim('kubeadm', ['certs', 'check-expiration'], env);
    // The MISSING row is a cell of its own, widening the first column as Go's tabwriter does.
    expect(check.stdout).toMatch(/\n!MISSING! super-admin\.conf {3,}\n/);
    expect(check.stdout).toMatch(/\nCERTIFICATE {18}EXPIRES/);
    expect(check.stdout).toMatch(/\napiserver {20}\S/);
    expect((await runSim('kubeadm', ['certs', 'renew'], env)).code).not.toBe(0);
  });
});
