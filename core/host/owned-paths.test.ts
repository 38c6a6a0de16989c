import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../errors.js';
import { planCluster } from '../plan.js';
import { cleanupPaths, KNOWN_LB_PATHS } from '../render/cleanup.js';
import { renderHostFiles } from '../render/host.js';
import { loadBalancerPaths } from '../render/load-balancer.js';
import { kubeadmConfigFile, kubeadmOpsConfigFile, LB_SPEC_PATH, loadBalancerFiles, renderNodeFiles } from '../render/node-files.js';
import type { RenderedFile } from '../render/types.js';
import type { ClusterSpec } from '../spec.js';
import { loadSpec } from '../validate.js';
import {
  checkFileMode,
  checkHostWrite,
  checkKubeadmConfigPath,
  checkOwnedMode,
  checkOwnedPath,
  isOwnedPath,
  normaliseHostPath,
  OWNED_FILES,
} from './owned-paths.js';
import { AGENT_CONFIG_PATH, LOAD_BALANCER_MANIFEST_NAMES, STOPPED_MANIFESTS_DIR } from './paths.js';

const FIXTURE = readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8');
const REGISTRY = '{"auths":{"r.example.test":{"auth":"dTpw"}}}';

function refusal(fn: () => unknown): AuthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return err as AuthError;
  }
  throw new Error('expected a refusal');
}

/** The fixture spec under each load-balancer mode, with registry auth: every renderer branch that writes a file. */
function specs(): ClusterSpec[] {
  const base = loadSpec(FIXTURE).spec;
  const endpoint = base.controlPlaneEndpoint;
  return [
    { ...base, registryAuth: { configJson: 'registry.json' } },
    { ...base, controlPlaneEndpoint: { ...endpoint, runAs: 'systemd' } },
    { ...base, controlPlaneEndpoint: { ...endpoint, loadBalancer: 'kube-vip' } },
  ];
}

/** Everything the renderers produce for a node, in every phase and variant the coordinator sends. */
function everyRenderedFile(spec: ClusterSpec): RenderedFile[] {
  const plan = planCluster(spec);
  const out: RenderedFile[] = [];
  for (const node of [...plan.controlPlane, ...plan.workers]) {
    out.push(...renderNodeFiles(plan, node, { interface: 'eth0', kubeletDropIn: true, registryConfigJson: REGISTRY }));
    out.push(
      ...renderHostFiles({ plan, node, interface: 'eth0' }, { kubelet: { installedByPackageManager: false }, registryAuth: { source: 'r', text: REGISTRY } })
        .files,
    );
    for (const phase of ['init', 'steady'] as const) out.push(...loadBalancerFiles(plan, node, 'eth0', undefined, { phase }));
    out.push(
      kubeadmConfigFile(plan, node, {
        joinCredentials: {
          token: 'abcdef.0123456789abcdef',
          caCertHash: `sha256:${'a'.repeat(64)}`,
          certificateKey: 'b'.repeat(64),
        },
      }),
    );
    if (node.role === 'control-plane') out.push(kubeadmOpsConfigFile(plan, node, { certificateKey: 'c'.repeat(64), tokenTtlMs: 600_000 }));
  }
  return out;
}

describe('the allow-list of what the coordinator may write', () => {
  it('allows every file the renderers produce for the fixture spec, with the mode they give it', () => {
    for (const spec of specs()) {
      const files = everyRenderedFile(spec);
      expect(files.length).toBeGreaterThan(20);
      for (const f of files) expect(() => checkHostWrite([f]), f.path).not.toThrow();
    }
  });

  it('allows every path the removal and reset lists name', () => {
    const plan = planCluster(loadSpec(FIXTURE).spec);
    const all = cleanupPaths({
      lbPaths: loadBalancerPaths({ plan, node: plan.controlPlane[0]!, interface: '' }),
      written: { registryAuth: true, kubeletDropIn: true, kubeletUnit: true },
    });
    const removals = [
      ...KNOWN_LB_PATHS,
      ...all.staticPodManifests,
      ...all.files,
      ...LOAD_BALANCER_MANIFEST_NAMES.map((n) => `${STOPPED_MANIFESTS_DIR}/${n}`),
      LB_SPEC_PATH,
    ];
    expect(() => checkHostWrite([], removals)).not.toThrow();
  });

  it.each([
    ['/etc/shadow'],
    ['/etc/cron.d/x'],
    ['/etc/kubernetes/../shadow'],
    ['/etc/kubeadm-ha/../cron.d/x'],
    ['/etc/kubernetes/manifests/etcd.yaml'],
    ['/etc/kubernetes/admin.conf'],
    ['/etc/kubeadm-ha'],
    ['/etc/kubeadm-ha/'],
    ['/etc'],
    ['/'],
    ['/root/.ssh/authorized_keys'],
    ['/etc/systemd/system/evil.service'],
    ['etc/kubeadm-ha/kubeadm.yaml'],
    ['/etc/kubeadm-ha/x\n/etc/shadow'],
    [AGENT_CONFIG_PATH],
  ])('refuses %j, naming it', (path) => {
    const err = refusal(() => checkOwnedPath(path));
    expect(err.message).toContain(JSON.stringify(path));
    expect(() => checkHostWrite([], [path])).toThrow(AuthError);
    expect(() => checkHostWrite([{ path, mode: 0o600 }])).toThrow(AuthError);
  });

  it('says why: a ".." is refused, never resolved, even when it would land on an allowed file', () => {
    expect(refusal(() => checkOwnedPath('/etc/kubernetes/../shadow')).message).toMatch(/"\/etc\/kubernetes\/\.\.\/shadow": a "\.\." segment/);
    expect(() => checkOwnedPath('/etc/haproxy/../haproxy/haproxy.cfg')).toThrow(/"\.\." segment/);
    expect(refusal(() => checkOwnedPath('/etc/cron.d/x')).message).toMatch(/not a file kubeadm-ha writes/);
  });

  it('normalises doubled slashes, "." segments and a trailing slash to the one spelling it then checks', () => {
    expect(normaliseHostPath('//etc/./haproxy//haproxy.cfg/')).toBe('/etc/haproxy/haproxy.cfg');
    expect(checkOwnedPath('/etc//kubeadm-ha/./kubeadm.yaml')).toBe('/etc/kubeadm-ha/kubeadm.yaml');
    // Normalising never turns a refused path into an allowed one: the directory itself stays refused.
    expect(() => checkOwnedPath('/etc/kubeadm-ha/.')).toThrow(AuthError);
    expect(isOwnedPath('/etc/kubeadm-ha.evil/x')).toBe(false);
    expect(isOwnedPath('/etc/haproxy/haproxy.cfg.d')).toBe(false);
  });

  it.each([
    ['0o4755', 0o4755, /setuid, setgid or sticky/],
    ['0o2755', 0o2755, /setuid, setgid or sticky/],
    ['0o1777', 0o1777, /setuid, setgid or sticky/],
    ['0o666', 0o666, /world-writable/],
    ['0o602', 0o602, /world-writable/],
    ['0o10644', 0o10644, /not a file mode/],
    ['-1', -1, /not a file mode/],
    ['1.5', 1.5, /not a file mode/],
  ])('refuses mode %s on any file, naming the path', (_shown, mode, why) => {
    const err = refusal(() => checkFileMode('/etc/haproxy/haproxy.cfg', mode));
    expect(err.message).toMatch(why);
    expect(err.message).toContain('"/etc/haproxy/haproxy.cfg"');
    expect(() => checkHostWrite([{ path: '/etc/keepalived/check_apiserver.sh', mode }])).toThrow(AuthError);
  });

  it('keeps files that can hold secrets to root: cluster.json, keepalived.conf, the kubeadm configs, registry auth, all of /etc/kubeadm-ha', () => {
    for (const path of [
      LB_SPEC_PATH,
      '/etc/keepalived/keepalived.conf',
      '/etc/kubeadm-ha/kubeadm.yaml',
      '/var/lib/kubelet/config.json',
      '/etc/kubeadm-ha/new-token',
    ]) {
      expect(refusal(() => checkOwnedMode(path, 0o644)).message).toMatch(/can hold secrets/);
      expect(refusal(() => checkOwnedMode(path, 0o640)).message).toMatch(/can hold secrets/);
      expect(checkOwnedMode(path, 0o600)).toBe(0o600);
    }
    expect(checkOwnedMode('/etc/keepalived/check_apiserver.sh', 0o755)).toBe(0o755);
    expect(checkOwnedMode('/etc/haproxy/haproxy.cfg', 0o644)).toBe(0o644);
  });

  it('lists no directory as a file, and nothing outside /etc and /var/lib/kubelet', () => {
    for (const f of OWNED_FILES) {
      expect(normaliseHostPath(f)).toBe(f);
      expect(f.startsWith('/etc/') || f.startsWith('/var/lib/kubelet/')).toBe(true);
    }
  });

  it('lets kubeadm read only our two configs', () => {
    expect(checkKubeadmConfigPath('/etc/kubeadm-ha/kubeadm.yaml')).toBe('/etc/kubeadm-ha/kubeadm.yaml');
    expect(checkKubeadmConfigPath('/etc/kubeadm-ha/kubeadm-ops.yaml')).toBe('/etc/kubeadm-ha/kubeadm-ops.yaml');
    for (const p of ['/tmp/evil.yaml', '/etc/kubeadm-ha/../../tmp/x.yaml', '--dry-run']) expect(() => checkKubeadmConfigPath(p)).toThrow(AuthError);
  });
});
