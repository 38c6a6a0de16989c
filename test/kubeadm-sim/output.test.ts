import { describe, it, expect } from 'vitest';
import { flatJoinCommand, initDoneText, joinCommand, preflightErrorText, checkName, tokenListText, tabwrite, versionText, withStackHint } from './output.js';
import { parseKubeadmConfig, validateCertificateKey, validateNodeName } from './config.js';
import { apiServerAltNames } from './node-files.js';
import { parseStaticPod, podsOf, nodesTable } from './cluster-view.js';
import type { ClusterState } from './state.js';

const HASH = 'sha256:' + 'ab'.repeat(32);
const KEY = 'cd'.repeat(32);

describe('join commands', () => {
  it('prints the multi-line worker and control-plane forms of cmd/util/join.go', () => {
    expect(joinCommand('198.18.0.100:8443', 'abcdef.0123456789abcdef', [HASH], false, '')).toBe(
      `kubeadm join 198.18.0.100:8443 --token abcdef.0123456789abcdef \\\n\t--discovery-token-ca-cert-hash ${HASH} `,
    );
    expect(joinCommand('198.18.0.100:8443', 'abcdef.0123456789abcdef', [HASH], true, KEY)).toBe(
      `kubeadm join 198.18.0.100:8443 --token abcdef.0123456789abcdef \\\n\t--discovery-token-ca-cert-hash ${HASH} \\\n\t--control-plane --certificate-key ${KEY}`,
    );
  });

  it('flattens for --print-join-command, keeping the trailing space of the worker form', () => {
    expect(flatJoinCommand(joinCommand('vip:8443', 't', [HASH], false, ''))).toBe(`kubeadm join vip:8443 --token t --discovery-token-ca-cert-hash ${HASH} `);
    expect(flatJoinCommand(joinCommand('vip:8443', 't', [HASH], true, KEY))).toBe(
      `kubeadm join vip:8443 --token t --discovery-token-ca-cert-hash ${HASH} --control-plane --certificate-key ${KEY}`,
    );
  });

  it('shows the control-plane join only with a controlPlaneEndpoint', () => {
    const base = { kubeConfigPath: '/etc/kubernetes/admin.conf', uploadCerts: true, joinControlPlaneCommand: 'CP', joinWorkerCommand: 'W' };
    const withEndpoint = initDoneText({ ...base, controlPlaneEndpoint: 'vip:8443' });
    expect(withEndpoint).toContain('Your Kubernetes control-plane has initialized successfully!');
    expect(withEndpoint).toContain('You can now join any number of the control-plane node running the following command on each as root:\n\n  CP\n');
    expect(withEndpoint).toContain('"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.');
    expect(withEndpoint.endsWith('Then you can join any number of worker nodes by running the following on each as root:\n\nW\n')).toBe(true);
    expect(initDoneText({ ...base, controlPlaneEndpoint: '' })).not.toContain('CP');
    expect(initDoneText({ ...base, controlPlaneEndpoint: 'vip:8443', uploadCerts: false })).toContain('by copying certificate authorities');
  });
});

describe('preflight and errors', () => {
  it('names checks and formats the fatal block as kubeadm does', () => {
    expect(checkName('DirAvailable', '/etc/kubernetes/manifests')).toBe('DirAvailable--etc-kubernetes-manifests');
    expect(checkName('FileAvailable', '/etc/kubernetes/manifests/kube-apiserver.yaml')).toBe('FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml');
    expect(preflightErrorText([{ name: 'DirAvailable--etc-kubernetes-manifests', message: '/etc/kubernetes/manifests is not empty' }])).toBe(
      '[preflight] Some fatal errors occurred:\n\t[ERROR DirAvailable--etc-kubernetes-manifests]: /etc/kubernetes/manifests is not empty\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`',
    );
    expect(withStackHint('boom')).toBe('boom\nTo see the stack trace of this error execute with --v=5 or higher\n');
  });
});

describe('tables', () => {
  it('pads like text/tabwriter(minwidth 10, padding 3) for kubeadm token list', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const text = tokenListText(
      [
        {
          token: 'abcdef.0123456789abcdef',
          expiresAtMs: now + 24 * 3_600_000 - 1000,
          usages: ['signing', 'authentication'],
          description: '',
          groups: ['system:bootstrappers:kubeadm:default-node-token'],
        },
      ],
      now,
    );
    const [head, row] = text.split('\n');
    expect(head).toBe('TOKEN                     TTL       EXPIRES                USAGES                   DESCRIPTION   EXTRA GROUPS');
    expect(row).toBe(
      'abcdef.0123456789abcdef   23h       2026-01-01T23:59:59Z   authentication,signing   <none>        system:bootstrappers:kubeadm:default-node-token',
    );
    expect(tabwrite([['a', 'b']], 0, 3)).toBe('a   b\n');
  });

  it('lists static pods as <manifest name>-<node>, plus kube-proxy and CoreDNS', () => {
    const state = {
      imageRepository: 'registry.k8s.io',
      kubernetesVersion: 'v1.31.4',
      createdAtMs: 0,
      nodes: [
        {
          name: 'm0',
          role: 'control-plane',
          root: '/r0',
          address: '198.18.0.11',
          bindPort: 6443,
          joinedAtMs: 0,
          unschedulable: false,
          kubeletStopped: false,
          kubeletVersion: 'v1.31.4',
          criSocket: '',
        },
        {
          name: 'w0',
          role: 'worker',
          root: '/r1',
          address: '198.18.0.21',
          bindPort: 0,
          joinedAtMs: 0,
          unschedulable: false,
          kubeletStopped: false,
          kubeletVersion: 'v1.31.4',
          criSocket: '',
        },
      ],
    } as unknown as ClusterState;
    const haproxy = parseStaticPod(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'haproxy', namespace: 'kube-system' },
        spec: { containers: [{ name: 'haproxy', image: 'haproxy:2.6' }] },
      },
      'haproxy.yaml',
    );
    const etcd = parseStaticPod({ kind: 'Pod', metadata: { name: 'etcd', namespace: 'kube-system' }, spec: { containers: [{ name: 'etcd' }] } }, 'etcd.yaml');
    expect(parseStaticPod({ kind: 'ConfigMap' }, 'x.yaml')).toBeNull();
    const pods = podsOf(state, new Map([['m0', { manifests: [etcd!, haproxy!], apiserverUp: true }]]));
    const names = pods.map((p) => p.name);
    expect(names).toContain('haproxy-m0');
    expect(names).toContain('etcd-m0');
    expect(names.filter((n) => n.startsWith('kube-proxy-'))).toHaveLength(2);
    expect(pods.filter((p) => p.name.startsWith('coredns-')).every((p) => p.nodeName === 'm0')).toBe(true);
    expect(nodesTable(state.nodes, 0, false, false).split('\n')[0]).toBe('NAME   STATUS   ROLES           AGE   VERSION');
  });
});

describe('kubeadm configuration files', () => {
  const init = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  name: master0
  ignorePreflightErrors: [Swap]
localAPIEndpoint:
  advertiseAddress: 198.18.0.11
  bindPort: 6443
certificateKey: ${KEY}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: 198.18.0.100:8443
apiServer:
  certSANs: [198.18.0.100, master0]
  extraArgs:
  - name: audit-log-maxage
    value: "7"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
`;

  it('reads v1beta4 init documents', () => {
    const c = parseKubeadmConfig(init, 'init', 'v1.31.4');
    expect(c.init?.nodeRegistration.name).toBe('master0');
    expect(c.init?.certificateKey).toBe(KEY);
    expect(c.init?.bootstrapTokens[0]?.ttlMs).toBe(24 * 3_600_000);
    expect(c.cluster?.controlPlaneEndpoint).toBe('198.18.0.100:8443');
    expect(c.cluster?.apiServerExtraArgs).toEqual([{ name: 'audit-log-maxage', value: '7' }]);
    expect(c.kubelet?.cgroupDriver).toBe('systemd');
    expect(c.warnings).toEqual([]);
  });

  it('warns on v1beta3 from v1.31 and rejects v1beta4 before it', () => {
    const v3 = init.replaceAll('v1beta4', 'v1beta3');
    expect(parseKubeadmConfig(v3, 'init', 'v1.31.4').warnings[0]).toContain(
      'your configuration file uses a deprecated API spec: "kubeadm.k8s.io/v1beta3" (kind: "InitConfiguration")',
    );
    expect(parseKubeadmConfig(v3, 'init', 'v1.30.8').warnings).toEqual([]);
    expect(() => parseKubeadmConfig(init, 'init', 'v1.30.8')).toThrow('no kind "InitConfiguration" is registered for version "kubeadm.k8s.io/v1beta4"');
  });

  it('rejects old and unknown kubeadm API documents with kubeadm texts', () => {
    expect(() => parseKubeadmConfig(init.replace('kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta2'), 'init', 'v1.31.4')).toThrow(
      'your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta2" (kind: "InitConfiguration"). Please use kubeadm v1.22 instead',
    );
    expect(() => parseKubeadmConfig('apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfig\n', 'init', 'v1.31.4')).toThrow('no kind "InitConfig" is registered');
    expect(() => parseKubeadmConfig('kind: InitConfiguration\n', 'init', 'v1.31.4')).toThrow(
      'kind and apiVersion is mandatory information that must be specified',
    );
    expect(parseKubeadmConfig('apiVersion: example.com/v1\nkind: Thing\n', 'init', 'v1.31.4').warnings[0]).toBe(
      '[config] WARNING: Ignored YAML document with GroupVersionKind example.com/v1, Kind=Thing',
    );
  });

  it('requires a JoinConfiguration for join and ignores the init documents', () => {
    expect(() => parseKubeadmConfig(init, 'join', 'v1.31.4')).toThrow('no JoinConfiguration kind was found in the YAML file');
    const j = parseKubeadmConfig(
      `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    token: abcdef.0123456789abcdef
    apiServerEndpoint: 198.18.0.100:8443
    caCertHashes: [${HASH}]
nodeRegistration:
  name: master1
controlPlane:
  localAPIEndpoint:
    advertiseAddress: 198.18.0.12
    bindPort: 6443
  certificateKey: ${KEY}
`,
      'join',
      'v1.31.4',
    );
    expect(j.join?.bootstrapToken?.apiServerEndpoint).toBe('198.18.0.100:8443');
    expect(j.join?.controlPlane?.certificateKey).toBe(KEY);
  });

  it('validates node names and certificate keys', () => {
    expect(validateNodeName('HCITos_cvm', 'nodeRegistration.name')).toContain('a lowercase RFC 1123 subdomain must consist of');
    expect(validateNodeName('master-0', 'nodeRegistration.name')).toBeNull();
    expect(validateCertificateKey('abcd', 'certificateKey')).toBe(
      'certificateKey: Invalid value: "abcd": invalid certificate key size 2, the key must be an AES key of size 32',
    );
    expect(validateCertificateKey('zz', 'certificateKey')).toContain('certificate key decoding error: encoding/hex: invalid byte');
  });

  it('puts the node name, service IP, endpoint and certSANs in the apiserver certificate', () => {
    const names = apiServerAltNames({
      nodeName: 'master0',
      advertiseAddress: '198.18.0.11',
      controlPlaneEndpoint: '198.18.0.100:8443',
      certSANs: ['198.18.0.100', 'api.example'],
      serviceSubnet: '10.96.0.0/12',
      dnsDomain: 'cluster.local',
      certificatesDir: '/etc/kubernetes/pki',
      localEtcd: true,
    });
    expect(names.dns).toEqual(['api.example', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'master0']);
    expect(names.ips).toEqual(['10.96.0.1', '198.18.0.11', '198.18.0.100']);
  });

  it('prints kubeadm version in every -o form', () => {
    expect(versionText('v1.31.4', 'short')).toBe('v1.31.4\n');
    expect(JSON.parse(versionText('v1.31.4', 'json') ?? '{}').clientVersion.gitVersion).toBe('v1.31.4');
    expect(versionText('v1.31.4', '')).toMatch(/^kubeadm version: &version\.Info\{Major:"1", Minor:"31", GitVersion:"v1\.31\.4"/);
    expect(versionText('v1.31.4', 'xml')).toBeNull();
  });
});
