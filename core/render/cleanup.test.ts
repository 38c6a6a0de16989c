/**
 * The cleanup script, run for real with bash against a scratch root (KUBEADM_HA_ROOT) and a PATH that holds only stub
 * `kubeadm`, `ip`, `systemctl` and `pgrep` commands recording their calls, plus the few real tools the script uses.
 * As root, it also runs once inside a network namespace with the real `ip`, to take a real VIP off a real interface.
 */
import { KUBELET_REGISTRY_AUTH_PATH } from '../host/paths.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPlannedNode, planCluster } from '../plan.js';
import { loadSpec } from '../validate.js';
import { CLEANUP_SCRIPT_PATH, cleanupPaths, KNOWN_LB_PATHS, renderCleanupScript, shellQuote, type CleanupOptions } from './cleanup.js';
import { KUBELET_DROP_IN_PATH, KUBELET_UNIT_PATH, MODULES_LOAD_PATH, SYSCTL_PATH } from './host.js';
import { KUBEADM_CONFIG_PATH, KUBEADM_OPS_CONFIG_PATH } from './kubeadm-config.js';
import type { RenderTarget } from './types.js';
import { renderHoldNewConnections } from './vip-handover.js';

const CRI = 'unix:///run/containerd/containerd.sock';

function specYaml(runAs: 'static-pod' | 'systemd'): string {
  return `apiVersion: kubeadm-ha.io/v1alpha1
kind: Cluster
metadata: { name: prod }
spec:
  kubernetes: { version: v1.31.4 }
  controlPlaneEndpoint:
    vip: 198.18.0.100/24
    runAs: ${runAs}
    keepalived: { authPass: s3cr3tpw }
  nodes:
    - { name: master-0, address: 198.18.0.11, role: control-plane, interface: eth0 }
    - { name: master-1, address: 198.18.0.12, role: control-plane, interface: eth0 }
    - { name: master-2, address: 198.18.0.13, role: control-plane, interface: eth0 }
    - { name: worker-0, address: 198.18.0.21, role: worker }
`;
}

function target(runAs: 'static-pod' | 'systemd', name = 'master-1'): RenderTarget {
  const plan = planCluster(loadSpec(specYaml(runAs)).spec);
  return { plan, node: findPlannedNode(plan, name)!, interface: 'eth0' };
}

const ALL_WRITTEN = { kubeletDropIn: true, kubeletUnit: true, registryAuth: true };
const LB_PATHS = [
  '/etc/keepalived/keepalived.conf',
  '/etc/keepalived/check_apiserver.sh',
  '/etc/haproxy/haproxy.cfg',
  '/etc/kubernetes/manifests/keepalived.yaml',
  '/etc/kubernetes/manifests/haproxy.yaml',
];

const STUBS: Record<string, string> = {
  kubeadm: `echo "kubeadm $*" >> "$STUB_LOG"
exit "\${STUB_KUBEADM_EXIT:-0}"`,
  // Emulates \`ip -o addr show to VIP\` (lines kept in $STUB_STATE/vip) and \`ip addr del CIDR dev DEV\`.
  ip: `echo "ip $*" >> "$STUB_LOG"
if [ "$1 $2 $3 $4" = "-o addr show to" ]; then
  [ -f "$STUB_STATE/vip" ] && cat "$STUB_STATE/vip"
  exit 0
fi
if [ "$1 $2" = "addr del" ] && [ "$4" = dev ]; then
  grep -v -- " $3 " "$STUB_STATE/vip" > "$STUB_STATE/vip.new" || true
  mv "$STUB_STATE/vip.new" "$STUB_STATE/vip"
  exit 0
fi
exit 2`,
  // $STUB_STATE/keepalived: how many more times keepalived is "running", or "forever".
  pgrep: `echo "pgrep $*" >> "$STUB_LOG"
n="$(cat "$STUB_STATE/keepalived" 2>/dev/null || echo 0)"
[ "$n" = forever ] && exit 0
if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$STUB_STATE/keepalived"; echo 4242; exit 0; fi
exit 1`,
  // Units exist when $STUB_STATE/unit-NAME does; active-/enabled- markers hold their state.
  systemctl: `echo "systemctl $*" >> "$STUB_LOG"
case "$1" in
  cat) [ -f "$STUB_STATE/unit-$3" ] ;;
  is-active) [ -f "$STUB_STATE/active-$4" ] ;;
  is-enabled) [ -f "$STUB_STATE/enabled-$4" ] ;;
  disable) rm -f "$STUB_STATE/active-$4" "$STUB_STATE/enabled-$4" ;;
  daemon-reload) exit 0 ;;
  *) exit 1 ;;
esac`,
};
const REAL_TOOLS = ['rm', 'sleep', 'cat', 'grep', 'mv'];

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

interface Sandbox {
  readonly dir: string;
  readonly root: string;
  readonly state: string;
  readonly log: string;
  readonly script: string;
  readonly path: string;
}

function which(tool: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) if (existsSync(join(dir, tool))) return join(dir, tool);
  throw new Error(`${tool} not found`);
}

function sandbox(content: string, options: { stubs?: readonly string[] } = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-ha-cleanup-'));
  scratch.push(dir);
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  const bin = join(dir, 'bin');
  for (const d of [root, state, bin]) mkdirSync(d);
  for (const name of options.stubs ?? Object.keys(STUBS)) {
    writeFileSync(join(bin, name), `#!/bin/bash\n${STUBS[name]}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  for (const tool of REAL_TOOLS) symlinkSync(which(tool), join(bin, tool));
  const script = join(root, CLEANUP_SCRIPT_PATH);
  put(root, CLEANUP_SCRIPT_PATH, content, 0o700);
  return { dir, root, state, log: join(dir, 'calls.log'), script, path: bin };
}

function put(root: string, path: string, content = `content of ${path}\n`, mode = 0o644): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content, { mode });
}

function run(box: Sandbox, env: Record<string, string> = {}) {
  const result = spawnSync('/bin/bash', [box.script], {
    env: { PATH: box.path, KUBEADM_HA_ROOT: box.root, STUB_LOG: box.log, STUB_STATE: box.state, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const calls = existsSync(box.log) ? readFileSync(box.log, 'utf8').trim().split('\n').filter(Boolean) : [];
  writeFileSync(box.log, '');
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const OURS = [
  ...KNOWN_LB_PATHS,
  KUBELET_REGISTRY_AUTH_PATH,
  KUBELET_DROP_IN_PATH,
  KUBELET_UNIT_PATH,
  SYSCTL_PATH,
  MODULES_LOAD_PATH,
  KUBEADM_CONFIG_PATH,
  KUBEADM_OPS_CONFIG_PATH,
];
const NOT_OURS = [
  '/etc/kubernetes/manifests/etcd.yaml',
  '/etc/keepalived/keepalived.conf.dpkg-dist',
  '/etc/haproxy/errors/503.http',
  '/var/lib/kubelet/config.yaml',
  '/etc/sysctl.d/10-network-security.conf',
  '/etc/modules-load.d/modules.conf',
  '/etc/fstab',
];
const VIP_LINE = '3: eth0    inet 198.18.0.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever\n';

describe('renderCleanupScript', () => {
  it('is a 0700 bash script with set -eu that bash accepts', () => {
    const file = renderCleanupScript(target('static-pod'), { lbPaths: LB_PATHS, written: ALL_WRITTEN });
    expect(file.path).toBe('/etc/kubeadm-ha/cleanup.sh');
    expect(file.mode).toBe(0o700);
    expect(file.content.startsWith('#!/bin/bash\n')).toBe(true);
    expect(file.content).toMatch(/^set -eu$/m);
    const syntax = spawnSync('/bin/bash', ['-n'], { input: file.content, encoding: 'utf8' });
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
  });

  it('removes the optional host files only when we wrote them, and lists every LB path', () => {
    const none = cleanupPaths({ lbPaths: [], written: { kubeletDropIn: false, kubeletUnit: false, registryAuth: false } });
    expect(none.files).not.toContain(KUBELET_REGISTRY_AUTH_PATH);
    expect(none.files).not.toContain(KUBELET_DROP_IN_PATH);
    expect(none.files).not.toContain(KUBELET_UNIT_PATH);
    expect(none.staticPodManifests).toEqual([
      '/etc/kubernetes/manifests/keepalived.yaml',
      '/etc/kubernetes/manifests/haproxy.yaml',
      '/etc/kubernetes/manifests/kube-vip.yaml',
    ]);
    const extra = cleanupPaths({ lbPaths: ['/etc/keepalived/other-check.sh'], written: ALL_WRITTEN });
    expect(extra.files).toContain('/etc/keepalived/other-check.sh');
    expect(extra.files).toContain(KUBELET_REGISTRY_AUTH_PATH);
    expect(() => cleanupPaths({ lbPaths: ['relative/path'], written: ALL_WRITTEN })).toThrow(/absolute/);
    expect(() => cleanupPaths({ lbPaths: ['/etc/../root/x'], written: ALL_WRITTEN })).toThrow(/absolute/);
  });

  it('quotes every value for the shell', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const out = spawnSync('/bin/bash', ['-c', `printf %s ${shellQuote("a b'c$HOME`x`")}`], { encoding: 'utf8' });
    expect(out.stdout).toBe("a b'c$HOME`x`");
  });
});

describe('cleanup.sh against a scratch root', () => {
  function populated(options: CleanupOptions, runAs: 'static-pod' | 'systemd' = 'static-pod') {
    const box = sandbox(renderCleanupScript(target(runAs), options).content);
    for (const p of [...OURS, ...NOT_OURS]) put(box.root, p);
    writeFileSync(join(box.state, 'vip'), VIP_LINE);
    return box;
  }

  it('removes everything it wrote, resets kubeadm, takes the VIP off, and leaves the rest alone', () => {
    const box = populated({ lbPaths: LB_PATHS, written: ALL_WRITTEN });
    const first = run(box);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    for (const p of OURS) {
      expect(existsSync(join(box.root, p)), p).toBe(false);
      expect(first.stdout).toContain(`removed ${p}\n`);
    }
    for (const p of NOT_OURS) expect(readFileSync(join(box.root, p), 'utf8'), p).toBe(`content of ${p}\n`);
    expect(existsSync(box.script)).toBe(true);
    expect(first.calls).toContain(`kubeadm reset -f --cri-socket ${CRI}`);
    expect(first.calls).toContain('ip -o addr show to 198.18.0.100');
    expect(first.calls).toContain('ip addr del 198.18.0.100/24 dev eth0');
    expect(first.stdout).toContain('removed VIP 198.18.0.100/24 from eth0\n');
    expect(first.calls).toContain('systemctl daemon-reload');
    // The reverse of the deploy: kubeadm first (the VIP still routes to the other apiservers), the VIP last.
    const order = [
      'running kubeadm reset -f',
      'removed /etc/kubernetes/manifests/keepalived.yaml',
      'removed /etc/keepalived/keepalived.conf',
      'removed VIP',
    ].map((s) => first.stdout.indexOf(s));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);

    const second = run(box);
    expect(second.status).toBe(0);
    expect(second.stdout).not.toContain('removed');
    expect(second.stdout).toContain('cleanup finished\n');
    expect(second.calls.filter((c) => c.startsWith('ip addr del'))).toEqual([]);
  });

  it("removes an etcd restore's kept copies of the data beside /var/lib/etcd, and no other directory there", () => {
    const box = populated({ lbPaths: LB_PATHS, written: ALL_WRITTEN });
    put(box.root, '/var/lib/etcd.before-restore-20261203T193000Z/member/snap/db');
    put(box.root, '/var/lib/etcd.kubeadm-ha-restore/restored');
    put(box.root, '/var/lib/etcd.backup/member/snap/db');
    const r = run(box);
    expect(r.status).toBe(0);
    expect(existsSync(join(box.root, 'var/lib/etcd.before-restore-20261203T193000Z'))).toBe(false);
    expect(existsSync(join(box.root, 'var/lib/etcd.kubeadm-ha-restore'))).toBe(false);
    expect(existsSync(join(box.root, 'var/lib/etcd.backup/member/snap/db'))).toBe(true);
    expect(r.stdout).toContain('removed /var/lib/etcd.before-restore-20261203T193000Z\n');
    expect(r.stdout).toContain('removed /var/lib/etcd.kubeadm-ha-restore\n');
  });

  it('keeps the registry credentials and kubelet unit files it did not write', () => {
    const box = populated({ lbPaths: LB_PATHS, written: { kubeletDropIn: false, kubeletUnit: false, registryAuth: false } });
    const result = run(box);
    expect(result.status).toBe(0);
    for (const p of [KUBELET_REGISTRY_AUTH_PATH, KUBELET_DROP_IN_PATH, KUBELET_UNIT_PATH]) expect(existsSync(join(box.root, p)), p).toBe(true);
    expect(result.calls).not.toContain('systemctl daemon-reload');
  });

  it('stops and disables the systemd units in systemd mode, once', () => {
    const box = populated({ lbPaths: LB_PATHS, written: ALL_WRITTEN }, 'systemd');
    for (const unit of ['keepalived.service', 'haproxy.service']) {
      for (const marker of ['unit', 'active', 'enabled']) writeFileSync(join(box.state, `${marker}-${unit}`), '');
    }
    const first = run(box);
    expect(first.status).toBe(0);
    expect(first.calls).toContain('systemctl disable --now -- keepalived.service');
    expect(first.calls).toContain('systemctl disable --now -- haproxy.service');
    expect(first.stdout).toContain('stopped and disabled keepalived.service\n');
    const second = run(box);
    expect(second.status).toBe(0);
    expect(second.calls.filter((c) => c.includes('disable'))).toEqual([]);
  });

  it('does not touch units on a worker', () => {
    const content = renderCleanupScript(target('systemd', 'worker-0'), { lbPaths: [], written: ALL_WRITTEN }).content;
    expect(content).not.toMatch(/^stop_unit /m);
  });

  it('goes on after a failed kubeadm reset, removes the VIP, and exits 1', () => {
    const box = populated({ lbPaths: LB_PATHS, written: ALL_WRITTEN });
    const result = run(box, { STUB_KUBEADM_EXIT: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('kubeadm reset failed; removing the rest anyway');
    expect(result.calls).toContain('ip addr del 198.18.0.100/24 dev eth0');
    expect(existsSync(join(box.root, KUBEADM_CONFIG_PATH))).toBe(false);
  });

  it('skips the reset when kubeadm is not installed', () => {
    const box = sandbox(renderCleanupScript(target('static-pod'), { lbPaths: LB_PATHS, written: ALL_WRITTEN }).content, {
      stubs: ['ip', 'pgrep', 'systemctl'],
    });
    put(box.root, KUBEADM_CONFIG_PATH);
    const result = run(box);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('kubeadm is not installed; nothing to reset\n');
    expect(existsSync(join(box.root, KUBEADM_CONFIG_PATH))).toBe(false);
  });

  it('removes a leftover VIP with the prefix it really has, from whichever interface holds it', () => {
    const box = populated({ lbPaths: [], written: ALL_WRITTEN });
    writeFileSync(join(box.state, 'vip'), '2: ens5    inet 198.18.0.100/32 scope global ens5\\       valid_lft forever preferred_lft forever\n');
    const result = run(box);
    expect(result.status).toBe(0);
    expect(result.calls).toContain('ip addr del 198.18.0.100/32 dev ens5');
  });

  it('waits for keepalived to exit before removing the VIP, and gives up after the timeout', () => {
    const box = populated({ lbPaths: LB_PATHS, written: ALL_WRITTEN });
    writeFileSync(join(box.state, 'keepalived'), '2');
    const waited = run(box);
    expect(waited.status).toBe(0);
    expect(waited.calls.filter((c) => c === 'pgrep -x keepalived')).toHaveLength(3);
    expect(waited.calls.indexOf('ip addr del 198.18.0.100/24 dev eth0')).toBeGreaterThan(waited.calls.lastIndexOf('pgrep -x keepalived'));

    writeFileSync(join(box.state, 'vip'), VIP_LINE);
    writeFileSync(join(box.state, 'keepalived'), 'forever');
    const gaveUp = run(box, { KUBEADM_HA_STOP_TIMEOUT: '1' });
    expect(gaveUp.status).toBe(0);
    expect(gaveUp.stderr).toContain('keepalived is still running after 1s; removing the VIP anyway');
    expect(gaveUp.calls).toContain('ip addr del 198.18.0.100/24 dev eth0');
  });
});

const isRoot = process.getuid?.() === 0;
const hasIp = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some(existsSync);
const hasNft = ['/usr/sbin/nft', '/sbin/nft'].some(existsSync);

describe.skipIf(!isRoot || !hasIp)('cleanup.sh with the real ip in a network namespace (needs root and iproute2)', () => {
  const ns = `khcleanup${process.pid}`;
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('takes the VIP off the interface and keeps the node address', () => {
    const ip = (...args: string[]) => {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'addr', 'add', '198.18.0.12/24', 'dev', 'eth0');
    ip('-n', ns, 'addr', 'add', '198.18.0.100/24', 'dev', 'eth0');

    const box = sandbox(renderCleanupScript(target('static-pod'), { lbPaths: LB_PATHS, written: ALL_WRITTEN }).content, {
      stubs: ['kubeadm', 'pgrep', 'systemctl'],
    });
    symlinkSync(which('ip'), join(box.path, 'ip'));
    const result = spawnSync('ip', ['netns', 'exec', ns, '/bin/bash', box.script], {
      env: { PATH: box.path, KUBEADM_HA_ROOT: box.root, STUB_LOG: box.log, STUB_STATE: box.state },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('removed VIP 198.18.0.100/24 from eth0\n');
    const left = ip('-n', ns, '-o', 'addr', 'show', 'dev', 'eth0');
    expect(left).not.toContain('198.18.0.100');
    expect(left).toContain('198.18.0.12/24');

    const again = spawnSync('ip', ['netns', 'exec', ns, '/bin/bash', box.script], {
      env: { PATH: box.path, KUBEADM_HA_ROOT: box.root, STUB_LOG: box.log, STUB_STATE: box.state },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('removed VIP');
  });
});

describe.skipIf(!isRoot || !hasNft)('cleanup.sh and a VIP handover hold left behind (needs root and nftables; setup-debian.sh installs it)', () => {
  const ns = `khcleanupnft${process.pid}`;
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('deletes the nftables table a handover interrupted half-way left, and only that table', () => {
    const inNs = (cmd: string, args: string[], input?: string) => {
      const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', input });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    inNs('nft', ['-f', '-'], renderHoldNewConnections('198.18.0.100', 8443));
    inNs('nft', ['add', 'table', 'inet', 'operator_rules']);
    expect(inNs('nft', ['list', 'tables'])).toContain('kubeadm_ha_vip_handover');

    const box = sandbox(renderCleanupScript(target('static-pod'), { lbPaths: LB_PATHS, written: ALL_WRITTEN }).content, {
      stubs: ['kubeadm', 'pgrep', 'systemctl', 'ip'],
    });
    symlinkSync(which('nft'), join(box.path, 'nft'));
    // The absolute ip: PATH below is the sandbox's, where `ip` is the stub the script sees.
    const runInNs = () =>
      spawnSync(which('ip'), ['netns', 'exec', ns, '/bin/bash', box.script], {
        env: { PATH: box.path, KUBEADM_HA_ROOT: box.root, STUB_LOG: box.log, STUB_STATE: box.state },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const result = runInNs();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('removed nftables table inet kubeadm_ha_vip_handover\n');
    const tables = inNs('nft', ['list', 'tables']);
    expect(tables).not.toContain('kubeadm_ha_vip_handover');
    expect(tables).toContain('operator_rules');
    const again = runInNs();
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('nftables');
  });
});
