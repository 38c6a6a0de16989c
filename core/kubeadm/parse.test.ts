/**
 * Samples follow kubeadm's own output byte for byte in form (cmd/kubeadm/app/cmd/util/join.go, init.go's
 * initDoneTempl, phases/uploadcerts, preflight/checks.go), as seen in real runs quoted in kubeadm docs and issues;
 * addresses, tokens, hashes and keys are replaced with our own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseCheckExpiration,
  formatPreflightErrors,
  parseCertificateKey,
  parseInitOutput,
  parseJoinCommand,
  parseJoinCommands,
  parsePreflightErrors,
  parsePreflightWarnings,
  parseVersionShort,
  preflightHint,
  tokenIdOf,
} from './parse.js';

const TOKEN = 'q4m8zt.2w7c1pxk9ad0fj3h';
const HASH = 'sha256:7d1f0c2b9e84a6353c2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c';
const KEY = '5b0e7c3a9d1f4e2b8c6a0d9e7f1b3c5a2e4d6f8a0c1b3e5d7f9a2c4e6b8d0f1a';

// `kubeadm init --config kubeadm.yaml --upload-certs`, v1.29–v1.31 layout; the join commands are tab-indented.
const INIT_OUTPUT = `[init] Using Kubernetes version: v1.31.4
[preflight] Running pre-flight checks
[preflight] Pulling images required for setting up a Kubernetes cluster
[preflight] This might take a minute or two, depending on the speed of your internet connection
[preflight] You can also perform this action beforehand using 'kubeadm config images pull'
[certs] Using certificateDir folder "/etc/kubernetes/pki"
[certs] Generating "ca" certificate and key
[certs] Generating "apiserver" certificate and key
[certs] apiserver serving cert is signed for DNS names [kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local localhost master-0 master-1 master-2] and IPs [10.96.0.1 198.18.0.11 198.18.0.100 198.18.0.12 198.18.0.13 127.0.0.1]
[kubeconfig] Using kubeconfig folder "/etc/kubernetes"
[kubeconfig] Writing "admin.conf" kubeconfig file
[kubeconfig] Writing "super-admin.conf" kubeconfig file
[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"
[control-plane] Using manifest folder "/etc/kubernetes/manifests"
[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"
[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"
[kubelet-start] Starting the kubelet
[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"
[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s
[kubelet-check] The kubelet is healthy after 501.527397ms
[api-check] Waiting for a healthy API server. This can take up to 4m0s
[api-check] The API server is healthy after 6.00218279s
[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace
[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster
[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace
[upload-certs] Using certificate key:
${KEY}
[mark-control-plane] Marking the node master-0 as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]
[mark-control-plane] Marking the node master-0 as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]
[bootstrap-token] Using token: ${TOKEN}
[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles
[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace
[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key
[addons] Applied essential addon: CoreDNS
[addons] Applied essential addon: kube-proxy

Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/

You can now join any number of control-plane nodes running the following command on each as root:

  kubeadm join 198.18.0.100:8443 --token ${TOKEN} \\
\t--discovery-token-ca-cert-hash ${HASH} \\
\t--control-plane --certificate-key ${KEY}

Please note that the certificate-key gives access to cluster sensitive data, keep it secret!
As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use
"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.

Then you can join any number of worker nodes by running the following on each as root:

kubeadm join 198.18.0.100:8443 --token ${TOKEN} \\
\t--discovery-token-ca-cert-hash ${HASH} 
`;

describe('join commands', () => {
  it('reads both join commands of the init output, backslash-newline continuations and all', () => {
    const [cp, worker] = parseJoinCommands(INIT_OUTPUT);
    expect(cp).toEqual({ endpoint: '198.18.0.100:8443', token: TOKEN, caCertHashes: [HASH], controlPlane: true, certificateKey: KEY });
    expect(worker).toEqual({ endpoint: '198.18.0.100:8443', token: TOKEN, caCertHashes: [HASH], controlPlane: false });
  });

  it('reads token create --print-join-command output with the 4-space gap and trailing blank (1.15–1.2x)', () => {
    // join.go indents with four spaces; token.go strips "\\\n" and tabs, leaving five spaces and the trailing blank.
    const out = `kubeadm join 198.18.0.100:8443 --token ${TOKEN}     --discovery-token-ca-cert-hash ${HASH} \n`;
    expect(parseJoinCommand(out)).toEqual({ endpoint: '198.18.0.100:8443', token: TOKEN, caCertHashes: [HASH], controlPlane: false });
  });

  it('reads the tab-indented form once the tabs are stripped, and CRLF output', () => {
    const out = `kubeadm join 198.18.0.100:8443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} \r\n`;
    expect(parseJoinCommand(out).token).toBe(TOKEN);
    const continued = `kubeadm join [2001:db8::100]:8443 --token ${TOKEN} \\\r\n    --discovery-token-ca-cert-hash ${HASH} \r\n`;
    expect(parseJoinCommand(continued)).toMatchObject({ endpoint: '[2001:db8::100]:8443', caCertHashes: [HASH] });
  });

  it('ignores klog lines around the command and accepts --flag=value and several CA pins', () => {
    const second = 'sha256:' + 'a'.repeat(64);
    const out = `W0910 16:05:05.780066    5687 version.go:104] could not fetch a Kubernetes version from the internet
kubeadm join 198.18.0.100:8443 --token=${TOKEN} --discovery-token-ca-cert-hash ${HASH} --discovery-token-ca-cert-hash=${second}
`;
    expect(parseJoinCommand(out).caCertHashes).toEqual([HASH, second]);
  });

  it('fails without quoting the output when there is no usable command', () => {
    expect(() => parseJoinCommand('error: secret-ish stuff\n')).toThrow(/found 0/);
    expect(() => parseJoinCommand(INIT_OUTPUT)).toThrow(/found 2/);
    let message = '';
    try {
      parseJoinCommand(`kubeadm join 198.18.0.100:8443 --token <value withheld> --discovery-token-ca-cert-hash ${HASH}`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/no bootstrap token/);
    expect(message).not.toContain(HASH);
    expect(() => parseJoinCommand(`kubeadm join 198.18.0.100:8443 --token ${TOKEN}`)).toThrow(/ca-cert-hash/);
    expect(() => parseJoinCommand(`kubeadm join --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH}`)).toThrow(/endpoint/);
  });
});

describe('init output', () => {
  it('yields the certificate key, the token and both commands', () => {
    const parsed = parseInitOutput(INIT_OUTPUT);
    expect(parsed.certificateKey).toBe(KEY);
    expect(parsed.token).toBe(TOKEN);
    expect(parsed.controlPlaneJoin?.certificateKey).toBe(KEY);
    expect(parsed.workerJoin?.controlPlane).toBe(false);
  });

  it('copes with --skip-token-print and --skip-certificate-key-print', () => {
    const withheld = INIT_OUTPUT.replace(/^\[upload-certs\] Using certificate key:\n.*\n/m, '')
      .replaceAll(`--token ${TOKEN}`, '--token <value withheld>')
      .replace(`--certificate-key ${KEY}`, '--certificate-key <value withheld>');
    const parsed = parseInitOutput(withheld);
    expect(parsed.certificateKey).toBeUndefined();
    expect(parsed.controlPlaneJoin).toBeUndefined();
    expect(parsed.workerJoin).toBeUndefined();
  });
});

describe('certificate keys', () => {
  it('reads the line after the upload-certs announcement', () => {
    const out = `I0104 17:58:27.167244   11086 version.go:260] remote version is much newer: v1.35.0; falling back to: stable-1.34
[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace
[upload-certs] Using certificate key:
${KEY}
`;
    expect(parseCertificateKey(out)).toBe(KEY);
  });

  it('falls back to the last line, as `kubeadm certs certificate-key` prints only the key', () => {
    expect(parseCertificateKey(`${KEY}\n`)).toBe(KEY);
    expect(parseCertificateKey(INIT_OUTPUT)).toBe(KEY);
  });

  it('refuses output without a key', () => {
    expect(() => parseCertificateKey('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n')).toThrow(
      /no certificate key/,
    );
    expect(() => parseCertificateKey(`[upload-certs] Using certificate key:\n${KEY.slice(1)}\n`)).toThrow(/no certificate key/);
  });
});

describe('kubeadm version -o short', () => {
  it('reads the version, pre-releases too, past klog noise', () => {
    expect(parseVersionShort('v1.31.4\n')).toEqual({ text: 'v1.31.4', version: { major: 1, minor: 31, patch: 4 } });
    expect(parseVersionShort('W0312 10:00:00.000000    1234 version.go:104] could not fetch\nv1.32.0-rc.1\n').version).toEqual({
      major: 1,
      minor: 32,
      patch: 0,
      preRelease: 'rc.1',
    });
    expect(() => parseVersionShort('kubeadm: command not found\n')).toThrow(/no version/);
  });
});

describe('token IDs', () => {
  it('takes the public half of a token', () => {
    expect(tokenIdOf('abcdef.0123456789abcdef')).toBe('abcdef');
    expect(tokenIdOf(TOKEN)).toBe('q4m8zt');
    expect(() => tokenIdOf('ABCDEF.0123456789abcdef')).toThrow();
  });
});

// preflight/checks.go: warnings are printed as they happen, errors in one block at the end.
const PREFLIGHT_FAILURE = `[preflight] Running pre-flight checks
\t[WARNING Swap]: swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the node
\t[WARNING Service-Kubelet]: kubelet service is not enabled, please run 'systemctl enable kubelet.service'
error execution phase preflight: [preflight] Some fatal errors occurred:
\t[ERROR CRI]: container runtime is not running: output: time="2024-04-19T13:03:14+08:00" level=fatal msg="validate service connection: CRI v1 runtime API is not implemented for endpoint \\"unix:///var/run/containerd/containerd.sock\\": rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService"
, error: exit status 1
\t[ERROR FileContent--proc-sys-net-bridge-bridge-nf-call-iptables]: /proc/sys/net/bridge/bridge-nf-call-iptables does not exist
\t[ERROR DirAvailable--etc-kubernetes-manifests]: /etc/kubernetes/manifests is not empty
\t[ERROR Port-10250]: Port 10250 is in use
[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\`
To see the stack trace of this error execute with --v=5 or higher
`;

describe('preflight errors', () => {
  it('turns every [ERROR …] into a check and message, multi-line messages included', () => {
    const errors = parsePreflightErrors(PREFLIGHT_FAILURE);
    expect(errors.map((e) => e.check)).toEqual([
      'CRI',
      'FileContent--proc-sys-net-bridge-bridge-nf-call-iptables',
      'DirAvailable--etc-kubernetes-manifests',
      'Port-10250',
    ]);
    expect(errors[0]!.message).toMatch(/^container runtime is not running: .*RuntimeService"\n, error: exit status 1$/s);
    expect(errors[3]).toEqual({ check: 'Port-10250', message: 'Port 10250 is in use' });
  });

  it('reads the older layout without "error execution phase" and spaces instead of tabs', () => {
    const old = `[preflight] running pre-flight checks
[preflight] Some fatal errors occurred:
        [ERROR Swap]: running with swap on is not supported. Please disable swap
[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\`
`;
    expect(parsePreflightErrors(old)).toEqual([{ check: 'Swap', message: 'running with swap on is not supported. Please disable swap' }]);
  });

  it('keeps warnings apart and finds nothing in a clean run', () => {
    expect(parsePreflightWarnings(PREFLIGHT_FAILURE).map((w) => w.check)).toEqual(['Swap', 'Service-Kubelet']);
    expect(parsePreflightErrors(INIT_OUTPUT)).toEqual([]);
  });

  it('explains the common failures', () => {
    expect(preflightHint('DirAvailable--etc-kubernetes-manifests')).toMatch(/cleanup/);
    expect(preflightHint('Port-6443')).toMatch(/port is taken/);
    expect(preflightHint('FileContent--proc-sys-net-bridge-bridge-nf-call-iptables')).toMatch(/br_netfilter/);
    expect(preflightHint('FileExisting-conntrack')).toMatch(/conntrack binary/);
    expect(preflightHint('SomethingNew')).toBeUndefined();
    const text = formatPreflightErrors(parsePreflightErrors(PREFLIGHT_FAILURE));
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toContain('[Port-10250] Port 10250 is in use (the port is taken');
  });
});

describe('parseCheckExpiration', () => {
  const real = readFileSync(new URL('../../test/fixtures/kubeadm-output/v1.28.4-certs_check-expiration.txt', import.meta.url), 'utf8').replace(
    /\[exit code \d+\]\n?$/,
    '',
  );

  it("reads real kubeadm v1.28.4's tables: every certificate, its expiry to the minute, its CA", () => {
    const parsed = parseCheckExpiration(real);
    expect(parsed.certificates.map((c) => c.name)).toEqual([
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
    ]);
    expect(parsed.certificates[1]).toEqual({
      name: 'apiserver',
      notAfter: new Date('2027-12-03T08:14:00Z'),
      authority: 'ca',
      externallyManaged: false,
      missing: false,
    });
    expect(parsed.certificates[2]!.authority).toBe('etcd-ca');
    expect(parsed.authorities.map((c) => [c.name, c.notAfter?.toISOString()])).toEqual([
      ['ca', '2036-11-30T08:14:00.000Z'],
      ['etcd-ca', '2036-11-30T08:14:00.000Z'],
      ['front-proxy-ca', '2036-11-30T08:14:00.000Z'],
    ]);
  });

  it('reads a !MISSING! row and an externally managed one, and refuses output without the table', () => {
    const text = real
      .replace(/admin\.conf {17}Dec 03, 2027 08:14 UTC {3}364d {12}ca {22}no {6}/, '!MISSING! admin.conf')
      .replace(/(apiserver {18}.* ca {22})no /, '$1yes');
    const parsed = parseCheckExpiration(text);
    expect(parsed.certificates[0]).toEqual({ name: 'admin.conf', authority: '', externallyManaged: false, missing: true });
    expect(parsed.certificates[1]!.externallyManaged).toBe(true);
    expect(() => parseCheckExpiration('[check-expiration] Error reading configuration\n')).toThrow('no certificate table');
    expect(() => parseCheckExpiration(real.replace('Dec 03, 2027 08:14 UTC', 'Dec 3 2027'))).toThrow();
  });
});
