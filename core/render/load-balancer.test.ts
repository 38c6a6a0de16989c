/**
 * Golden-file tests for every load-balancer template and mode. Each case in test/fixtures/golden/lb-cases.ts is
 * rendered for every node and compared byte for byte, and by mode, with test/fixtures/golden/<case>/<node>/<path>
 * (modes in <case>/<node>/MODES, since git keeps no 0600).
 *
 * After an intended change to a template, rewrite the goldens and review the diff:
 *   UPDATE_GOLDEN=1 npx vitest run core/render/load-balancer.test.ts
 */
import { HAPROXY_CFG_PATH, KEEPALIVED_CONF_PATH } from '../host/paths.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GOLDEN_DIR, LB_CASES, planFor, targetsFor } from '../../test/fixtures/golden/lb-cases.js';

import { KEEPALIVED_CHECK_SCRIPT_PATH, KEEPALIVED_NOTIFY_SCRIPT_PATH } from './keepalived.js';
import { KUBE_VIP_MANIFEST_PATH } from './kube-vip.js';
import { loadBalancerPaths, renderLoadBalancerFiles } from './load-balancer.js';
import { HAPROXY_MANIFEST_PATH, KEEPALIVED_MANIFEST_PATH } from './static-pods.js';
import type { RenderedFile } from './types.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const MODES_FILE = 'MODES';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function modesText(files: readonly RenderedFile[]): string {
  return files.map((f) => `${f.mode.toString(8).padStart(4, '0')} ${f.path}\n`).join('');
}

function writeGolden(dir: string, files: readonly RenderedFile[]): void {
  rmSync(dir, { recursive: true, force: true });
  if (files.length === 0) return;
  for (const f of files) {
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
  }
  writeFileSync(join(dir, MODES_FILE), modesText(files));
}

describe.each(LB_CASES.map((c) => [c.name, c] as const))('golden %s', (_name, c) => {
  const plan = planFor(c);
  for (const target of targetsFor(plan)) {
    it(`${target.node.name} matches its golden files byte for byte, with modes`, () => {
      const files = renderLoadBalancerFiles(target, c.options);
      const dir = join(GOLDEN_DIR, c.name, target.node.name);
      if (UPDATE) writeGolden(dir, files);
      const onDisk = filesUnder(dir)
        .map((p) => `/${relative(dir, p)}`)
        .filter((p) => p !== `/${MODES_FILE}`)
        .sort();
      expect(files.map((f) => f.path).sort()).toEqual(onDisk);
      for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(dir, f.path), 'utf8'));
      if (files.length > 0) expect(modesText(files)).toBe(readFileSync(join(dir, MODES_FILE), 'utf8'));
    });
  }
});

describe('renderLoadBalancerFiles by mode', () => {
  const byName = (name: string) => LB_CASES.find((c) => c.name === name)!;
  const paths = (caseName: string, node = 'master-1') => {
    const c = byName(caseName);
    const target = targetsFor(planFor(c)).find((t) => t.node.name === node)!;
    return renderLoadBalancerFiles(target, c.options).map((f) => [f.path, f.mode.toString(8)]);
  };

  it('keepalived-haproxy as static pods: four config files and two 0600 manifests', () => {
    expect(paths('static-pod')).toEqual([
      [KEEPALIVED_CONF_PATH, '600'],
      [KEEPALIVED_CHECK_SCRIPT_PATH, '755'],
      [KEEPALIVED_NOTIFY_SCRIPT_PATH, '755'],
      [HAPROXY_CFG_PATH, '644'],
      [KEEPALIVED_MANIFEST_PATH, '600'],
      [HAPROXY_MANIFEST_PATH, '600'],
    ]);
  });

  it('keepalived-haproxy under systemd: the config files only', () => {
    expect(paths('systemd')).toEqual([
      [KEEPALIVED_CONF_PATH, '600'],
      [KEEPALIVED_CHECK_SCRIPT_PATH, '755'],
      [KEEPALIVED_NOTIFY_SCRIPT_PATH, '755'],
      [HAPROXY_CFG_PATH, '644'],
    ]);
  });

  it('kube-vip: its manifest only', () => {
    expect(paths('kube-vip-steady')).toEqual([[KUBE_VIP_MANIFEST_PATH, '600']]);
  });

  it('workers get nothing in any mode', () => {
    for (const c of LB_CASES) {
      for (const t of targetsFor(planFor(c)).filter((t) => t.node.role === 'worker')) expect(renderLoadBalancerFiles(t, c.options)).toEqual([]);
    }
  });

  it('renders the published backend set and records its version', () => {
    const c = byName('static-pod');
    const target = targetsFor(planFor(c))[0]!;
    const files = renderLoadBalancerFiles(target, {
      backends: [
        { name: 'master-0', address: '198.18.0.11', port: 6443, state: 'active' },
        { name: 'master-2', address: '198.18.0.13', port: 6443, state: 'draining' },
      ],
      backendVersion: 7,
    });
    const cfg = files.find((f) => f.path === HAPROXY_CFG_PATH)!.content;
    expect(cfg).toContain('# backend-set-version: 7\n');
    expect(cfg.match(/^ {4}server .*$/gm)).toEqual([
      '    server master-0 198.18.0.11:6443 check check-ssl verify none inter 1s fall 2 rise 2',
      '    server master-2 198.18.0.13:6443 check check-ssl verify none inter 1s fall 2 rise 2 disabled',
    ]);
  });
});

describe('loadBalancerPaths', () => {
  it('covers every path any mode renders, plus the track file keepalived and the agent create', () => {
    for (const c of LB_CASES) {
      for (const target of targetsFor(planFor(c))) {
        const all = loadBalancerPaths(target);
        for (const f of renderLoadBalancerFiles(target, c.options)) expect(all, `${c.name}/${target.node.name}`).toContain(f.path);
        expect(all).toContain('/etc/keepalived/kubeadm-ha.track');
        expect(new Set(all).size).toBe(all.length);
      }
    }
  });
});

describe('static pod manifests', () => {
  const manifests = LB_CASES.flatMap((c) =>
    targetsFor(planFor(c)).flatMap((t) =>
      renderLoadBalancerFiles(t, c.options)
        .filter((f) => f.path.startsWith('/etc/kubernetes/manifests/'))
        .map((f) => ({ c, t, f })),
    ),
  );

  it('exist for every static-pod and kube-vip case', () => {
    expect(new Set(manifests.map((m) => m.c.name))).toEqual(
      new Set(['static-pod', 'unicast', 'preempt', 'fast', 'negative-weight', 'ipv4-host-vip', 'kube-vip-init', 'kube-vip-steady']),
    );
  });

  it.each(manifests.map((m) => [`${m.c.name}/${m.t.node.name}${m.f.path}`, m] as const))(
    '%s is a v1 Pod on the host network, system-node-critical, 0600',
    (_label, { c, f }) => {
      const pod = parse(f.content) as Record<string, any>;
      expect(f.mode).toBe(0o600);
      expect(pod.apiVersion).toBe('v1');
      expect(pod.kind).toBe('Pod');
      expect(pod.metadata.namespace).toBe('kube-system');
      expect(pod.spec.hostNetwork).toBe(true);
      expect(pod.spec.priorityClassName).toBe('system-node-critical');
      expect(pod.spec.hostAliases).toBeUndefined();
      expect(pod.spec.containers).toHaveLength(1);
      const container = pod.spec.containers[0];
      expect(typeof container.image).toBe('string');
      const mounts = new Map<string, string>(container.volumeMounts.map((m: any) => [m.name, m.mountPath]));
      for (const v of pod.spec.volumes) expect(mounts.has(v.name), v.name).toBe(true);
      if (pod.metadata.name === 'keepalived') {
        // The fast profile's real-time VRRP process needs SYS_NICE; no other case gets it.
        expect(container.securityContext.capabilities.add).toEqual(
          c.name === 'fast' ? ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW', 'SYS_NICE'] : ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW'],
        );
        expect(container.command).toContain('--use-file=/etc/keepalived/keepalived.conf');
        expect(pod.spec.volumes).toEqual([{ name: 'keepalived-config', hostPath: { path: '/etc/keepalived', type: 'Directory' } }]);
        expect(mounts.get('keepalived-config')).toBe('/etc/keepalived');
      } else if (pod.metadata.name === 'haproxy') {
        expect(container.livenessProbe.httpGet).toEqual({ host: '127.0.0.1', port: 8404, path: '/healthz', scheme: 'HTTP' });
        expect(container.command.slice(0, 5)).toEqual(['haproxy', '-W', '-db', '-f', '/etc/haproxy/haproxy.cfg']);
        expect(pod.spec.volumes).toEqual([
          { name: 'haproxy-config', hostPath: { path: '/etc/haproxy', type: 'Directory' } },
          { name: 'haproxy-run', hostPath: { path: '/run/haproxy', type: 'DirectoryOrCreate' } },
        ]);
        expect(mounts.get('haproxy-run')).toBe('/run/haproxy');
      } else {
        expect(pod.metadata.name).toBe('kube-vip');
        expect(container.securityContext.capabilities.add).toEqual(['NET_ADMIN', 'NET_RAW']);
        expect(pod.spec.volumes[0].hostPath.type).toBe('File');
      }
    },
  );
});
