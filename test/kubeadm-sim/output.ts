/**
 * kubeadm's and kubectl's output texts, byte for byte where the product parses them. Pure: every
 * function takes what it prints (including "now") as arguments.
 */
import { shortHumanDuration } from './duration.js';

/** util/errors CheckErr: every fatal error ends with this hint unless -v is 5 or more. */
export function withStackHint(message: string): string {
  return `${message}\nTo see the stack trace of this error execute with --v=5 or higher\n`;
}

/** A klog line: `W1002 12:34:56.789012   12345 file.go:123] message`. */
export function klogLine(severity: 'I' | 'W' | 'E', where: string, message: string, now: Date, pid: number): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const micros = String(now.getMilliseconds() * 1000).padStart(6, '0');
  const stamp = `${p2(now.getMonth() + 1)}${p2(now.getDate())} ${p2(now.getHours())}:${p2(now.getMinutes())}:${p2(now.getSeconds())}.${micros}`;
  return `${severity}${stamp} ${String(pid).padStart(7)} ${where}] ${message}\n`;
}

/** Go's %v of a []string. */
export function goSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** Go's %q for the ASCII strings kubeadm quotes. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * text/tabwriter with kubeadm's and kubectl's settings (minwidth 10, tabwidth 4, padding 3, padchar
 * ' ', no flags): every cell but a line's last is padded to its column width.
 */
export function tabwrite(rows: readonly (readonly string[])[], minwidth = 10, padding = 3): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i === row.length - 1) return;
      widths[i] = Math.max(widths[i] ?? 0, cell.length + padding, minwidth);
    });
  }
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('') + '\n').join('');
}

/**
 * cmd/util/join.go joinCommand: the multi-line form printed by `kubeadm init`. The worker variant
 * ends in a space; that is the real output.
 */
export function joinCommand(hostPort: string, token: string, caCertHashes: readonly string[], controlPlane: boolean, certificateKey: string): string {
  let out = `kubeadm join ${hostPort} --token ${token} \\\n\t`;
  for (const h of caCertHashes) out += `--discovery-token-ca-cert-hash ${h} `;
  if (controlPlane) {
    out += '\\\n\t--control-plane ';
    if (certificateKey !== '') out += `--certificate-key ${certificateKey}`;
  }
  return out;
}

/** `kubeadm token create --print-join-command` strips the continuations; the line keeps any trailing space. */
export function flatJoinCommand(multiLine: string): string {
  return multiLine.replaceAll('\\\n', '').replaceAll('\t', '');
}

export interface InitDoneInput {
  kubeConfigPath: string;
  controlPlaneEndpoint: string;
  uploadCerts: boolean;
  joinControlPlaneCommand: string;
  joinWorkerCommand: string;
}

/** phases/init/showjoincommand.go initDoneTempl. */
export function initDoneText(i: InitDoneInput): string {
  let out = `
Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i ${i.kubeConfigPath} $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/

`;
  if (i.controlPlaneEndpoint) {
    if (i.uploadCerts) {
      out += `You can now join any number of the control-plane node running the following command on each as root:

  ${i.joinControlPlaneCommand}

Please note that the certificate-key gives access to cluster sensitive data, keep it secret!
As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use
"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.

`;
    } else {
      out += `You can now join any number of control-plane nodes by copying certificate authorities
and service account keys on each node and then running the following as root:

  ${i.joinControlPlaneCommand}

`;
    }
  }
  out += `Then you can join any number of worker nodes by running the following on each as root:

${i.joinWorkerCommand}
`;
  return out;
}

/** cmd/join.go joinWorkerNodeDoneMsg. */
export const JOIN_WORKER_DONE = `
This node has joined the cluster:
* Certificate signing request was sent to apiserver and a response was received.
* The Kubelet was informed of the new secure connection details.

Run 'kubectl get nodes' on the control-plane to see this node join the cluster.

`;

/** cmd/join.go joinControlPlaneDoneTemp. */
export function joinControlPlaneDoneText(kubeConfigPath: string, localEtcd: boolean): string {
  const etcdMessage = localEtcd ? '* A new etcd member was added to the local/stacked etcd cluster.' : '';
  return `
This node has joined the cluster and a new control plane instance was created:

* Certificate signing request was sent to apiserver and approval was received.
* The Kubelet was informed of the new secure connection details.
* Control plane label and taint were applied to the new node.
* The Kubernetes control plane instances scaled up.
${etcdMessage}

To start administering your cluster from this node, you need to run the following as a regular user:

\tmkdir -p $HOME/.kube
\tsudo cp -i ${kubeConfigPath} $HOME/.kube/config
\tsudo chown $(id -u):$(id -g) $HOME/.kube/config

Run 'kubectl get nodes' to see this node join the cluster.

`;
}

/** phases/join/preflight.go notReadyToJoinControlPlaneTemp. */
export function notReadyToJoinControlPlaneText(error: string): string {
  return `
One or more conditions for hosting a new control plane instance is not satisfied.

${error}

Please ensure that:
* The cluster has a stable controlPlaneEndpoint address.
* The certificates that must be shared among control plane instances are provided.

`;
}

export interface PreflightFailure {
  name: string;
  message: string;
}

/** preflight.Error: the body of a failed preflight phase. */
export function preflightErrorText(failures: readonly PreflightFailure[]): string {
  const body = failures.map((f) => `\t[ERROR ${f.name}]: ${f.message}\n`).join('');
  return `[preflight] Some fatal errors occurred:\n${body}[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\``;
}

/** A warning line for a preflight check the user chose to ignore. */
export function preflightWarningLine(f: PreflightFailure): string {
  return `\t[WARNING ${f.name}]: ${f.message}\n`;
}

/** preflight check names: DirAvailable--etc-kubernetes-manifests, FileAvailable--etc-kubernetes-kubelet.conf. */
export function checkName(kind: 'DirAvailable' | 'FileAvailable', path: string): string {
  return `${kind}-${path.replaceAll('/', '-')}`;
}

/** cmd/reset.go: the closing notes of every reset. */
export const RESET_CLOSING = `
The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d

The reset process does not reset or clean up iptables rules or IPVS tables.
If you wish to reset iptables, you must do so manually by using the "iptables" command.

If your cluster was setup to utilize IPVS, run ipvsadm --clear (or similar)
to reset your system's IPVS tables.

The reset process does not clean your kubeconfig files and you must remove them manually.
Please, check the contents of the $HOME/.kube/config file.
`;

export interface TokenRow {
  token: string;
  expiresAtMs: number | null;
  usages: readonly string[];
  description: string;
  groups: readonly string[];
}

/** Go's time.RFC3339 for a UTC instant, second precision. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** cmd/token.go RunListTokens text output. */
export function tokenListText(tokens: readonly TokenRow[], nowMs: number): string {
  const rows: string[][] = [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']];
  for (const t of tokens) {
    rows.push([
      t.token,
      t.expiresAtMs === null ? '<forever>' : shortHumanDuration(t.expiresAtMs - nowMs),
      t.expiresAtMs === null ? '<never>' : rfc3339(t.expiresAtMs),
      t.usages.length ? [...t.usages].sort().join(',') : '<none>',
      t.description || '<none>',
      t.groups.length ? t.groups.join(',') : '<none>',
    ]);
  }
  return tabwrite(rows);
}

/** The version.Info fields kubeadm prints. */
export function versionInfo(gitVersion: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '31',
    gitVersion,
    gitCommit: 'a78aa47129b8539636eb86a9d00e31b2720fe06b',
    gitTreeState: 'clean',
    buildDate: '2024-12-10T18:07:06Z',
    goVersion: 'go1.22.9',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** cmd/version.go output for each -o value; null for an unknown format. */
export function versionText(gitVersion: string, output: string): string | null {
  const info = versionInfo(gitVersion);
  switch (output) {
    case '':
      return `kubeadm version: &version.Info{Major:"${info.major}", Minor:"${info.minor}", GitVersion:"${info.gitVersion}", GitCommit:"${info.gitCommit}", GitTreeState:"${info.gitTreeState}", BuildDate:"${info.buildDate}", GoVersion:"${info.goVersion}", Compiler:"${info.compiler}", Platform:"${info.platform}"}\n`;
    case 'short':
      return `${gitVersion}\n`;
    case 'json':
      return JSON.stringify({ clientVersion: info }, null, 2) + '\n';
    case 'yaml':
      return `clientVersion:\n${Object.entries(info)
        .map(([k, v]) => `  ${k}: ${/^[0-9]/.test(v) || v.includes(':') ? JSON.stringify(v) : v}`)
        .join('\n')}\n`;
    default:
      return null;
  }
}
