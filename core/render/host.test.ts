import fc from 'fast-check';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../errors.js';
import { KERNEL_MODULES } from '../host/kernel.js';
import { KUBELET_REGISTRY_AUTH_PATH } from '../host/paths.js';
import { planCluster } from '../plan.js';
import { loadSpec } from '../validate.js';
import {
  activeSwapEntries,
  commentOutSwap,
  KUBELET_DROP_IN_PATH,
  KUBELET_UNIT_PATH,
  MODULES_LOAD_PATH,
  renderHostFiles,
  renderKubeletDropIn,
  renderKubeletUnit,
  renderModulesLoad,
  renderRegistryAuth,
  renderSysctl,
  SYSCTL_PATH,
} from './host.js';
import type { RenderTarget } from './types.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/golden/kubeadm/host');

function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing; run the test with UPDATE_GOLDEN=1 to create it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** What systemd accepts in a unit file: comments, blank lines, [Section] headers and Key=Value. */
function expectSystemdSyntax(content: string): void {
  for (const line of content.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    expect(line, line).toMatch(/^(\[[A-Za-z]+\]|[A-Za-z]+=.*)$/);
  }
}

describe('kubelet drop-in and unit', () => {
  it('is seed 000 with $KUBELET_EXTRA_ARGS whole again', () => {
    const file = renderKubeletDropIn();
    expect(file).toMatchObject({ path: KUBELET_DROP_IN_PATH, mode: 0o644 });
    expectGolden('10-kubeadm.conf', file.content);
    expectSystemdSyntax(file.content);
    const execStarts = file.content.split('\n').filter((l) => l.startsWith('ExecStart='));
    // The empty ExecStart= clears the unit's own before ours replaces it.
    expect(execStarts).toEqual([
      'ExecStart=',
      'ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS',
    ]);
    expect(file.content).not.toMatch(/KUBELET_EXT\s+RA_ARGS/);
    expect(file.content).toContain('EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n');
    expect(file.content).toContain('EnvironmentFile=-/etc/default/kubelet\n');
  });

  it('takes a kubelet path and an RPM-style environment file, and refuses paths systemd would split', () => {
    const content = renderKubeletDropIn({ binaryPath: '/usr/local/bin/kubelet', environmentFile: '/etc/sysconfig/kubelet' }).content;
    expect(content).toContain('ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS');
    expect(content).toContain('EnvironmentFile=-/etc/sysconfig/kubelet\n');
    expect(() => renderKubeletDropIn({ binaryPath: '/opt/my kubelet' })).toThrow(/absolute path/);
    expect(() => renderKubeletDropIn({ binaryPath: 'kubelet' })).toThrow(/absolute path/);
  });

  it('provides the base unit the drop-in extends', () => {
    const file = renderKubeletUnit();
    expect(file).toMatchObject({ path: KUBELET_UNIT_PATH, mode: 0o644 });
    expectGolden('kubelet.service', file.content);
    expectSystemdSyntax(file.content);
    expect(file.content).toContain('\nExecStart=/usr/bin/kubelet\n');
    expect(file.content).toContain('\nWantedBy=multi-user.target\n');
  });
});

describe('kernel modules and sysctls', () => {
  it('loads the ipvs, bridge and conntrack modules at boot', () => {
    const file = renderModulesLoad();
    expect(file).toMatchObject({ path: MODULES_LOAD_PATH, mode: 0o644 });
    const modules = file.content.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(modules).toEqual(['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'br_netfilter', 'nf_conntrack']);
    expect(modules).toEqual([...KERNEL_MODULES]);
    expect(renderModulesLoad({ conntrackModule: 'nf_conntrack_ipv4' }).content).toMatch(/^nf_conntrack_ipv4$/m);
    expect(renderModulesLoad({ conntrackModule: 'nf_conntrack_ipv4' }).content).not.toMatch(/^nf_conntrack$/m);
  });

  it('persists forwarding and bridge netfilter, plus IPv6 forwarding on IPv6 nodes', () => {
    const file = renderSysctl();
    expect(file).toMatchObject({ path: SYSCTL_PATH, mode: 0o644 });
    expectGolden('99-kubeadm-ha.conf', file.content);
    const settings = file.content.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(settings).toEqual(['net.ipv4.ip_forward = 1', 'net.bridge.bridge-nf-call-iptables = 1', 'net.bridge.bridge-nf-call-ip6tables = 1']);
    expect(file.content).not.toContain('ip_nonlocal_bind');
    const v6 = renderSysctl({ ipv6: true }).content;
    expect(v6).toContain('net.ipv6.conf.all.forwarding = 1\n');
    expect(v6).toContain('net.ipv6.conf.default.forwarding = 1\n');
  });
});

describe('registry credentials for kubelet', () => {
  const SOURCE = '/srv/deploy/registry-config.json';
  const auth = Buffer.from('robot$ci:pa55:word').toString('base64');

  it('copies a docker login config.json byte for byte, mode 0600', () => {
    const text = `{\n\t"auths": {\n\t\t"registry.example.test": {\n\t\t\t"auth": "${auth}"\n\t\t}\n\t}\n}`;
    const file = renderRegistryAuth(SOURCE, text);
    expect(file).toEqual({ path: KUBELET_REGISTRY_AUTH_PATH, mode: 0o600, content: text });
    expect(renderRegistryAuth(SOURCE, '{"auths":{"r.example.test":{"username":"u","password":"p"}}}').content).toContain('"username"');
  });

  const problem = (text: string): SpecError => {
    try {
      renderRegistryAuth(SOURCE, text);
    } catch (err) {
      expect(err).toBeInstanceOf(SpecError);
      return err as SpecError;
    }
    throw new Error('expected a SpecError');
  };

  it('names the source file and the position of a JSON error without quoting the content', () => {
    const err = problem(`{\n  "auths": {\n    "r.example.test": { "auth": "${auth}" ,, }\n  }\n}`);
    expect(err.source).toBe(SOURCE);
    expect(err.message).toContain(SOURCE);
    expect(err.issues[0]!.message).toMatch(/is not valid JSON \(line 3, column \d+\)/);
    expect(err.message).not.toContain(auth);
  });

  it('wants an "auths" object', () => {
    expect(problem('[]').issues[0]!.message).toMatch(/"auths" object/);
    expect(problem('{"credsStore":"desktop"}').issues).toEqual([{ path: 'auths', message: expect.stringMatching(/missing or not an object/) }]);
    expect(problem('{"auths":[]}').issues[0]!.path).toBe('auths');
  });

  it('spots entries whose secret sits in a credential helper kubelet cannot call', () => {
    const err = problem('{"auths":{"registry.example.test":{}},"credsStore":"secretservice"}');
    expect(err.issues).toEqual([
      { path: 'auths["registry.example.test"]', message: expect.stringMatching(/"secretservice" credential store.*cannot use credential helpers/) },
    ]);
  });

  it('checks that "auth" is base64 of user:password', () => {
    const err = problem(`{"auths":{"r.example.test":{"auth":"${Buffer.from('no-colon').toString('base64')}"}}}`);
    expect(err.issues[0]).toEqual({ path: 'auths["r.example.test"].auth', message: 'is not base64 of "username:password"' });
    expect(problem('{"auths":{"r.example.test":{"auth":"%%%"}}}').issues[0]!.path).toBe('auths["r.example.test"].auth');
  });
});

// Realistic /etc/fstab files as installers write them.
const UBUNTU = `# /etc/fstab: static file system information.
#
# Use 'blkid' to print the universally unique identifier for a
# device; this may be used with UUID= as a more robust way to name devices
# that works even if disks are added and removed. See fstab(5).
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
# / was on /dev/ubuntu-vg/ubuntu-lv during curtin installation
/dev/disk/by-id/dm-uuid-LVM-Xc8TnJ4wq2v0 / ext4 defaults 0 1
# /boot was on /dev/sda2 during curtin installation
/dev/disk/by-uuid/6a1c0a3e-2b6f-4c61-9d0b-1f3e4a5b6c7d /boot ext4 defaults 0 1
/swap.img\tnone\tswap\tsw\t0\t0
`;
const RHEL = `
#
# /etc/fstab
# Created by anaconda on Tue Mar  4 10:12:33 2025
#
# Accessible filesystems, by reference, are maintained under '/dev/disk/'.
# See man pages fstab(5), findfs(8), mount(8) and/or blkid(8) for more info.
#
/dev/mapper/rhel-root   /                       xfs     defaults        0 0
UUID=8b2f7c1e-3d4a-4f5b-9c6d-7e8f9a0b1c2d /boot                   xfs     defaults        0 0
/dev/mapper/rhel-swap   none                    swap    defaults        0 0
`;
const DEBIAN = `# swap was on /dev/vda5 during installation
UUID=2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f none            swap    sw              0       0
LABEL=SWAP2  swap  swap  defaults,pri=5  0 0
#/swapfile none swap sw 0 0
/dev/sdb1 /mnt/swapdata ext4 defaults 0 2
tmpfs /tmp tmpfs defaults,size=2G 0 0`;

describe('commentOutSwap', () => {
  it('comments out the swap file of an Ubuntu install and nothing else', () => {
    const out = commentOutSwap(UBUNTU);
    expect(out).toBe(UBUNTU.replace('/swap.img\t', '#/swap.img\t'));
  });

  it('comments out an LVM swap volume (RHEL) keeping the leading blank line', () => {
    expect(commentOutSwap(RHEL)).toBe(RHEL.replace('/dev/mapper/rhel-swap', '#/dev/mapper/rhel-swap'));
  });

  it('handles UUID= and LABEL= entries, keeps commented and look-alike lines, and a missing final newline', () => {
    const out = commentOutSwap(DEBIAN);
    expect(out.split('\n')).toEqual([
      '# swap was on /dev/vda5 during installation',
      '#UUID=2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f none            swap    sw              0       0',
      '#LABEL=SWAP2  swap  swap  defaults,pri=5  0 0',
      '#/swapfile none swap sw 0 0',
      '/dev/sdb1 /mnt/swapdata ext4 defaults 0 2',
      'tmpfs /tmp tmpfs defaults,size=2G 0 0',
    ]);
    expect(out.endsWith('0 0')).toBe(true);
  });

  it('keeps CRLF line endings', () => {
    const crlf = DEBIAN.replace(/\n/g, '\r\n');
    expect(commentOutSwap(crlf)).toBe(commentOutSwap(DEBIAN).replace(/\n/g, '\r\n'));
  });

  it('is idempotent and leaves a swapless fstab unchanged', () => {
    for (const fstab of [UBUNTU, RHEL, DEBIAN]) expect(commentOutSwap(commentOutSwap(fstab))).toBe(commentOutSwap(fstab));
    const swapless = UBUNTU.replace(/^\/swap\.img.*\n/m, '');
    expect(commentOutSwap(swapless)).toBe(swapless);
  });

  it('lists the active swap entries', () => {
    expect(activeSwapEntries(DEBIAN)).toEqual([
      'UUID=2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f none            swap    sw              0       0',
      'LABEL=SWAP2  swap  swap  defaults,pri=5  0 0',
    ]);
    expect(activeSwapEntries(commentOutSwap(DEBIAN))).toEqual([]);
  });

  it('changes only active swap lines, by one leading "#", for any fstab-like text', () => {
    const field = fc.stringMatching(/^[A-Za-z0-9=/_.,-]{1,12}$/);
    const sep = fc.constantFrom(' ', '\t', '   ', ' \t ');
    const line = fc.oneof(
      fc
        .tuple(fc.constantFrom('', ' ', '\t'), field, sep, field, sep, fc.constantFrom('swap', 'ext4', 'xfs', 'none'), sep, field)
        .map((parts) => parts.join('')),
      fc.string().map((s) => s.replace(/[\r\n]/g, '')),
      fc.constant('# comment swap swap swap'),
      fc.constant(''),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const text = lines.join(eol);
        const out = commentOutSwap(text);
        expect(commentOutSwap(out)).toBe(out);
        const before = text.split(eol);
        const after = out.split(eol);
        expect(after).toHaveLength(before.length);
        for (const [i, l] of before.entries()) expect(after[i]).toBe(activeSwapEntries(l).length > 0 ? `#${l}` : l);
        expect(activeSwapEntries(out)).toEqual([]);
      }),
    );
  });
});

describe('renderHostFiles', () => {
  const yaml = (registry: boolean, address = '198.18.0.11') => `apiVersion: kubeadm-ha.io/v1alpha1
kind: Cluster
metadata: { name: prod }
spec:
  kubernetes: { version: v1.31.4 }
  controlPlaneEndpoint: { vip: ${address.includes(':') ? '"2001:db8::100/64"' : '198.18.0.100/24'}, keepalived: { authPass: s3cr3tpw } }
${registry ? '  registryAuth: { configJson: ./registry.json }\n' : ''}  nodes:
    - { name: master-0, address: "${address}", role: control-plane, interface: eth0 }
`;
  const target = (registry: boolean, address?: string): RenderTarget => {
    const plan = planCluster(loadSpec(yaml(registry, address)).spec);
    return { plan, node: plan.initNode, interface: 'eth0' };
  };
  const REGISTRY = { source: 'registry.json', text: '{"auths":{"r.example.test":{"username":"u","password":"p"}}}' };

  it('writes no kubelet unit files for a packaged kubelet', () => {
    const { files, written } = renderHostFiles(target(false), { kubelet: { installedByPackageManager: true } });
    expect(files.map((f) => f.path)).toEqual([MODULES_LOAD_PATH, SYSCTL_PATH]);
    expect(written).toEqual({ kubeletDropIn: false, kubeletUnit: false, registryAuth: false });
  });

  it('writes unit and drop-in for a hand-installed kubelet, only the drop-in when a unit exists', () => {
    const bare = renderHostFiles(target(false), { kubelet: { installedByPackageManager: false } });
    expect(bare.files.map((f) => f.path)).toEqual([MODULES_LOAD_PATH, SYSCTL_PATH, KUBELET_UNIT_PATH, KUBELET_DROP_IN_PATH]);
    expect(bare.written).toEqual({ kubeletDropIn: true, kubeletUnit: true, registryAuth: false });
    const withUnit = renderHostFiles(target(false), { kubelet: { installedByPackageManager: false, unitPresent: true } });
    expect(withUnit.files.map((f) => f.path)).toEqual([MODULES_LOAD_PATH, SYSCTL_PATH, KUBELET_DROP_IN_PATH]);
    expect(withUnit.written.kubeletUnit).toBe(false);
  });

  it('writes the registry credentials the spec names, and refuses to forget them', () => {
    const { files, written } = renderHostFiles(target(true), { kubelet: { installedByPackageManager: true }, registryAuth: REGISTRY });
    expect(files.find((f) => f.path === KUBELET_REGISTRY_AUTH_PATH)).toEqual({ path: KUBELET_REGISTRY_AUTH_PATH, mode: 0o600, content: REGISTRY.text });
    expect(written.registryAuth).toBe(true);
    expect(() => renderHostFiles(target(true), { kubelet: { installedByPackageManager: true } })).toThrow(/registryAuth\.configJson \(\.\/registry\.json\)/);
  });

  it('adds IPv6 forwarding on an IPv6 node', () => {
    const { files } = renderHostFiles(target(false, '2001:db8::11'), { kubelet: { installedByPackageManager: true } });
    expect(files.find((f) => f.path === SYSCTL_PATH)!.content).toContain('net.ipv6.conf.all.forwarding = 1');
  });
});
