import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LB_CASES, planFor, targetsFor } from '../../test/fixtures/golden/lb-cases.js';
import {
  ADMIN_KUBECONFIG,
  DEFAULT_KUBE_VIP_IMAGE,
  SUPER_ADMIN_KUBECONFIG,
  hasSuperAdminConf,
  kubeVipKubeconfigHostPath,
  renderKubeVipManifest,
  type KubeVipPhase,
} from './kube-vip.js';

const kubeVipCase = LB_CASES.find((c) => c.name === 'kube-vip-steady')!;

function planWithVersion(version: string) {
  return planFor({
    name: `kube-vip ${version}`,
    mutate: (d) => {
      kubeVipCase.mutate(d);
      (d.spec as Record<string, any>).kubernetes.version = version;
    },
  });
}

type Pod = {
  spec: {
    hostAliases?: unknown;
    volumes: { hostPath: { path: string; type: string } }[];
    containers: { image: string; env: { name: string; value: string }[]; volumeMounts: { mountPath: string }[] }[];
  };
};

function pod(version: string, node: number, phase: KubeVipPhase, image?: string): Pod {
  const target = targetsFor(planWithVersion(version))[node]!;
  return parse(renderKubeVipManifest(target, { phase, ...(image ? { image } : {}) })) as Pod;
}

const env = (p: Pod) => Object.fromEntries(p.spec.containers[0]!.env.map((e) => [e.name, e.value]));

describe('kube-vip static pod', () => {
  it('on Kubernetes >= 1.29, master0 mounts super-admin.conf during init and admin.conf afterwards', () => {
    expect(pod('v1.31.4', 0, 'init').spec.volumes[0]!.hostPath).toEqual({ path: SUPER_ADMIN_KUBECONFIG, type: 'File' });
    expect(pod('v1.29.0', 0, 'init').spec.volumes[0]!.hostPath.path).toBe(SUPER_ADMIN_KUBECONFIG);
    expect(pod('v1.31.4', 0, 'steady').spec.volumes[0]!.hostPath.path).toBe(ADMIN_KUBECONFIG);
    // kube-vip reads the same path inside the container either way.
    for (const phase of ['init', 'steady'] as const) expect(pod('v1.31.4', 0, phase).spec.containers[0]!.volumeMounts[0]!.mountPath).toBe(ADMIN_KUBECONFIG);
  });

  it('joining masters and clusters before 1.29 always use admin.conf', () => {
    expect(pod('v1.31.4', 1, 'init').spec.volumes[0]!.hostPath.path).toBe(ADMIN_KUBECONFIG);
    expect(pod('v1.28.9', 0, 'init').spec.volumes[0]!.hostPath.path).toBe(ADMIN_KUBECONFIG);
    expect(hasSuperAdminConf(planWithVersion('v1.28.9').spec)).toBe(false);
    expect(kubeVipKubeconfigHostPath(targetsFor(planWithVersion('v1.30.0'))[2]!, 'init')).toBe(ADMIN_KUBECONFIG);
  });

  it('ARP mode with leader election, reaching its own apiserver by address, without hostAliases', () => {
    const p = pod('v1.31.4', 2, 'steady');
    expect(p.spec.hostAliases).toBeUndefined();
    expect(env(p)).toMatchObject({
      vip_arp: 'true',
      address: '198.18.0.100',
      vip_subnet: '24',
      port: '6443',
      vip_interface: 'eth0',
      vip_nodename: 'master-2',
      cp_enable: 'true',
      svc_enable: 'false',
      vip_leaderelection: 'true',
      vip_leasename: 'plndr-cp-lock',
      vip_leaseduration: '5',
      vip_renewdeadline: '3',
      vip_retryperiod: '1',
      kubernetes_addr: '198.18.0.13:6443',
    });
    expect(p.spec.containers[0]!.image).toBe(DEFAULT_KUBE_VIP_IMAGE);
    expect(pod('v1.31.4', 0, 'steady', 'registry.example/kube-vip:v1.2.2').spec.containers[0]!.image).toBe('registry.example/kube-vip:v1.2.2');
  });

  it('refuses workers', () => {
    const worker = targetsFor(planWithVersion('v1.31.4')).find((t) => t.node.role === 'worker')!;
    expect(() => renderKubeVipManifest(worker, { phase: 'steady' })).toThrow(/control-plane/);
  });
});
