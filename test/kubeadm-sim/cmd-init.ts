/**
 * `kubeadm init`: a new cluster on this simulated host.
 */
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import {
  defaultClusterConfig,
  defaultInitConfig,
  minorOf,
  validateCertificateKey,
  validateIP,
  validateNodeName,
  validatePort,
  BOOTSTRAP_TOKEN_PATTERN,
  tokenFormatError,
  type ClusterConfig,
  type InitConfig,
} from './config.js';
import { getBool, getNumber, getString, getStrings, isChanged, validateIgnorePreflightErrors, validateMixedArguments, type ParsedCommand } from './grammar.js';
import { hostPath, out, phaseFailure, SimFailure, simulatedHostname, sleep, writeHostFile, type SimEnv, invocationDetails } from './env.js';
import {
  aggregate,
  dirAvailable,
  fileAvailable,
  generateBootstrapToken,
  generateCertificateKey,
  loadConfigFile,
  portOpen,
  putToken,
  runChecks,
  uploadCerts,
  type Check,
} from './cluster-ops.js';
import { caCertHash, type KeyAlgorithm, KEY_ALGORITHMS } from './pki.js';
import { createControlPlaneLeafCerts, createSharedCerts, sharedToFiles, writeControlPlaneKubeconfigs } from './node-files.js';
import { clusterDNSIP, renderControlPlaneManifests, renderKubeletConfig, renderKubeletFlags } from './render.js';
import { StateStore, collectGarbage, type ClusterState, type TokenState } from './state.js';
import { initDoneText, joinCommand } from './output.js';
import { spawnApiserver, waitHealthy } from './apiserver-control.js';
import { formatGoDuration } from './duration.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { EtcdClient } from './etcd-client.js';
import { clientURL, errorText, etcdClientTls, recordMembers, waitEndpointHealthy } from './etcd-ops.js';

export const MANIFESTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];

export function defaultAdvertiseAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function resolveKeyAlgorithm(env: SimEnv, configured: string): KeyAlgorithm {
  if (env.keyAlgorithmOverride) return env.keyAlgorithmOverride;
  if (!KEY_ALGORITHMS.includes(configured as KeyAlgorithm)) {
    throw new SimFailure(
      `encryptionAlgorithm: Unsupported value: ${JSON.stringify(configured)}: supported values: ${KEY_ALGORITHMS.map((a) => JSON.stringify(a)).join(', ')}`,
      3,
    );
  }
  return configured as KeyAlgorithm;
}

export function controlPlaneChecks(root: string, address: string, port: number, etcdDataDir: string, localEtcd: boolean, checkPort: boolean): Check[] {
  const checks: Check[] = [];
  if (checkPort) checks.push(portOpen(address, port));
  for (const m of MANIFESTS) checks.push(fileAvailable(root, `/etc/kubernetes/manifests/${m}.yaml`));
  if (localEtcd) checks.push(dirAvailable(root, etcdDataDir));
  return checks;
}

export const PULL_IMAGE_LINES =
  "[preflight] Pulling images required for setting up a Kubernetes cluster\n[preflight] This might take a minute or two, depending on the speed of your internet connection\n[preflight] You can also perform this action beforehand using 'kubeadm config images pull'\n";

export function markControlPlaneLines(nodeName: string): string {
  return (
    `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]\n` +
    `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]\n`
  );
}

/** A cluster can be (re)initialised when nothing of a previous one is alive in the state. */
function clusterInUse(s: ClusterState | null): string | null {
  if (!s) return null;
  const live = s.nodes.filter((n) => !n.kubeletStopped);
  if (s.etcdMembers.length === 0 && live.length === 0) return null;
  return live[0]?.name ?? s.etcdMembers[0]?.name ?? 'another host';
}

export async function runInit(p: ParsedCommand, env: SimEnv, setHost: (h: string) => void): Promise<void> {
  const mixed = validateMixedArguments(p.changed);
  if (mixed) throw new SimFailure(mixed);

  let init: InitConfig = defaultInitConfig();
  let cluster: ClusterConfig = defaultClusterConfig();
  let kubeletUser: Record<string, unknown> | null = null;
  const cfgPath = getString(p, 'config');
  if (cfgPath) {
    const parsed = loadConfigFile(env.root, cfgPath, 'init', env.version);
    init = parsed.init ?? init;
    cluster = parsed.cluster ?? cluster;
    kubeletUser = parsed.kubelet;
  } else {
    if (isChanged(p, 'apiserver-advertise-address')) init.localAPIEndpoint.advertiseAddress = getString(p, 'apiserver-advertise-address');
    init.localAPIEndpoint.bindPort = getNumber(p, 'apiserver-bind-port');
    init.certificateKey = getString(p, 'certificate-key');
    init.nodeRegistration.criSocket = getString(p, 'cri-socket');
    const t = init.bootstrapTokens[0];
    if (t) {
      t.token = getString(p, 'token');
      const ttl = p.values.get('token-ttl') as number;
      t.ttlMs = ttl === 0 ? null : ttl;
      t.description = "The default bootstrap token generated by 'kubeadm init'.";
    }
    cluster.controlPlaneEndpoint = getString(p, 'control-plane-endpoint');
    cluster.certSANs = getStrings(p, 'apiserver-cert-extra-sans');
    cluster.certificatesDir = getString(p, 'cert-dir');
    cluster.imageRepository = getString(p, 'image-repository');
    cluster.podSubnet = getString(p, 'pod-network-cidr');
    cluster.serviceSubnet = getString(p, 'service-cidr');
    cluster.dnsDomain = getString(p, 'service-dns-domain');
    if (isChanged(p, 'kubernetes-version')) cluster.kubernetesVersion = getString(p, 'kubernetes-version');
  }
  if (isChanged(p, 'node-name')) init.nodeRegistration.name = getString(p, 'node-name');
  for (const t of init.bootstrapTokens) if (!t.description) t.description = "The default bootstrap token generated by 'kubeadm init'.";
  const nodeName = init.nodeRegistration.name || simulatedHostname(env.root);
  setHost(nodeName);

  const ignore = validateIgnorePreflightErrors(getStrings(p, 'ignore-preflight-errors'), init.nodeRegistration.ignorePreflightErrors);
  if (ignore.error) throw new SimFailure(ignore.error, 3);

  const problems: string[] = [];
  const n = validateNodeName(nodeName, 'nodeRegistration.name');
  if (n) problems.push(n);
  if (init.localAPIEndpoint.advertiseAddress) {
    const e = validateIP(init.localAPIEndpoint.advertiseAddress, 'localAPIEndpoint.advertiseAddress');
    if (e) problems.push(e);
  }
  const portErr = validatePort(init.localAPIEndpoint.bindPort, 'localAPIEndpoint.bindPort');
  if (portErr) problems.push(portErr);
  const keyErr = validateCertificateKey(init.certificateKey, 'certificateKey');
  if (keyErr) problems.push(keyErr);
  if (problems.length) throw new SimFailure(aggregate(problems), 3);
  for (const t of init.bootstrapTokens) if (t.token && !BOOTSTRAP_TOKEN_PATTERN.test(t.token)) throw new SimFailure(tokenFormatError(t.token));
  if (getBool(p, 'dry-run')) throw new SimFailure('kubeadm-sim: --dry-run is not simulated');

  const alg = resolveKeyAlgorithm(env, cluster.encryptionAlgorithm);
  const advertise = init.localAPIEndpoint.advertiseAddress || defaultAdvertiseAddress();
  const bindPort = init.localAPIEndpoint.bindPort;
  const kubernetesVersion = cluster.kubernetesVersion && cluster.kubernetesVersion !== 'stable-1' ? cluster.kubernetesVersion : env.version;
  const skip = new Set([...getStrings(p, 'skip-phases'), ...init.skipPhases]);
  const uploadCertsWanted = getBool(p, 'upload-certs');
  const skipKeyPrint = getBool(p, 'skip-certificate-key-print');
  const skipTokenPrint = getBool(p, 'skip-token-print');
  const localEtcd = !cluster.etcdExternal;
  const store = new StateStore(env.stateDir);

  out(`[init] Using Kubernetes version: ${kubernetesVersion}\n`);
  if (!skip.has('preflight')) {
    out('[preflight] Running pre-flight checks\n');
    await runChecks(controlPlaneChecks(env.root, advertise, bindPort, cluster.etcdDataDir, localEtcd, env.apiserverMode === 'spawn'), ignore.set);
    out(PULL_IMAGE_LINES);
  }
  const holder = clusterInUse(store.read());
  if (holder)
    throw new SimFailure(
      `kubeadm-sim: the state directory ${env.stateDir} already holds a live cluster (node ${JSON.stringify(holder)}); give each simulated cluster its own KUBEADM_SIM_STATE`,
    );

  const now = Date.now();
  const endpoint = cluster.controlPlaneEndpoint || `${advertise}:${bindPort}`;
  const shared = await createSharedCerts(alg, now);
  const certInput = {
    nodeName,
    advertiseAddress: advertise,
    controlPlaneEndpoint: cluster.controlPlaneEndpoint,
    certSANs: cluster.certSANs,
    serviceSubnet: cluster.serviceSubnet,
    dnsDomain: cluster.dnsDomain,
    certificatesDir: cluster.certificatesDir,
    localEtcd,
  };
  await createControlPlaneLeafCerts(env.root, shared, certInput, alg, now, true);
  out('[kubeconfig] Using kubeconfig folder "/etc/kubernetes"\n');
  await writeControlPlaneKubeconfigs(
    env.root,
    { clusterName: cluster.clusterName, ca: shared.ca, endpointServer: `https://${endpoint}`, localServer: `https://${advertise}:${bindPort}`, nodeName },
    { superAdmin: minorOf(env.version) >= 29, kubelet: true },
    alg,
    now,
  );

  const manifests = renderControlPlaneManifests({
    nodeName,
    advertiseAddress: advertise,
    bindPort,
    kubernetesVersion,
    imageRepository: cluster.imageRepository,
    serviceSubnet: cluster.serviceSubnet,
    podSubnet: cluster.podSubnet,
    certificatesDir: cluster.certificatesDir,
    etcdDataDir: cluster.etcdDataDir,
    apiServerExtraArgs: cluster.apiServerExtraArgs,
    etcdExtraArgs: cluster.etcdExtraArgs,
    etcdInitialCluster: [`${nodeName}=https://${advertise}:2380`],
    etcdInitialClusterState: 'new',
  });
  if (localEtcd) {
    out('[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"\n');
    mkdirSync(hostPath(env.root, cluster.etcdDataDir), { recursive: true, mode: 0o700 });
    writeHostFile(env.root, '/etc/kubernetes/manifests/etcd.yaml', manifests['etcd.yaml'] ?? '', 0o600);
    // state mode marks the data dir as used (preflight's DirAvailable); a real etcd fills it itself.
    if (env.etcd === 'state') writeFileSync(hostPath(env.root, `${cluster.etcdDataDir}/member.json`), JSON.stringify({ name: nodeName, cluster: 'new' }));
  }
  out('[control-plane] Using manifest folder "/etc/kubernetes/manifests"\n');
  for (const m of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
    out(`[control-plane] Creating static Pod manifest for ${JSON.stringify(m)}\n`);
    writeHostFile(env.root, `/etc/kubernetes/manifests/${m}.yaml`, manifests[`${m}.yaml`] ?? '', 0o600);
  }

  const criSocket = init.nodeRegistration.criSocket || 'unix:///var/run/containerd/containerd.sock';
  const kubeletConfig = renderKubeletConfig(kubeletUser, cluster.dnsDomain, clusterDNSIP(cluster.serviceSubnet));
  out('[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"\n');
  writeHostFile(env.root, '/var/lib/kubelet/kubeadm-flags.env', renderKubeletFlags(criSocket, cluster.imageRepository, nodeName, simulatedHostname(env.root)));
  out('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"\n');
  writeHostFile(env.root, '/var/lib/kubelet/config.yaml', kubeletConfig);
  out('[kubelet-start] Starting the kubelet\n');

  const caHash = caCertHash(shared.ca.certPem);
  const state: ClusterState = {
    clusterName: cluster.clusterName,
    controlPlaneEndpoint: cluster.controlPlaneEndpoint,
    certSANs: cluster.certSANs,
    kubernetesVersion,
    imageRepository: cluster.imageRepository,
    serviceSubnet: cluster.serviceSubnet,
    podSubnet: cluster.podSubnet,
    dnsDomain: cluster.dnsDomain,
    certificatesDir: cluster.certificatesDir,
    encryptionAlgorithm: alg,
    etcdExternal: !localEtcd,
    etcdDataDir: cluster.etcdDataDir,
    caCertHash: caHash,
    kubeletConfig,
    createdAtMs: now,
    tokens: [],
    kubeadmCerts: null,
    nodes: [
      {
        name: nodeName,
        role: 'control-plane',
        root: env.root,
        address: advertise,
        bindPort,
        joinedAtMs: now,
        unschedulable: false,
        kubeletStopped: false,
        kubeletVersion: env.version,
        criSocket,
      },
    ],
    etcdMembers: localEtcd
      ? [{ id: generateCertificateKey().slice(0, 16), name: nodeName, peerURL: `https://${advertise}:2380`, clientURL: `https://${advertise}:2379` }]
      : [],
  };
  const sharedFiles = sharedToFiles(shared);
  await store.update((current) => {
    const holderNow = clusterInUse(current);
    if (holderNow) throw new SimFailure(`kubeadm-sim: the state directory ${env.stateDir} already holds a live cluster (node ${JSON.stringify(holderNow)})`);
    return { next: state, result: undefined };
  });
  for (const [name, content] of Object.entries(sharedFiles)) {
    mkdirSync(dirname(join(store.pkiDir, name)), { recursive: true, mode: 0o700 });
    writeFileSync(join(store.pkiDir, name), content, { mode: 0o600 });
  }

  if (!skip.has('wait-control-plane')) {
    out('[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"\n');
    out('[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s\n');
    const kubeletStart = Date.now();
    if (env.delayInitMs > 0) await sleep(env.delayInitMs);
    out(`[kubelet-check] The kubelet is healthy after ${formatGoDuration(Date.now() - kubeletStart + 1)}\n`);
    out('[api-check] Waiting for a healthy API server. This can take up to 4m0s\n');
    await startAndWaitApiserver(env, nodeName, advertise, bindPort, cluster.certificatesDir, shared.ca.certPem, 'wait-control-plane', localEtcd);
  }

  out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace\n');
  out('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster\n');

  let certificateKey = init.certificateKey;
  const doUpload = uploadCertsWanted && !skip.has('upload-certs');
  if (doUpload) {
    if (!certificateKey) certificateKey = generateCertificateKey();
    out('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
    const key = certificateKey;
    await store.update((s) => ({
      next: s ? uploadCerts(collectGarbage(s, Date.now()), sharedFiles, key, env.certKeyTtlMs, Date.now()) : s,
      result: undefined,
    }));
    invocationDetails.certificateKey = key;
    if (!skipKeyPrint) out(`[upload-certs] Using certificate key:\n${certificateKey}\n`);
  } else {
    out('[upload-certs] Skipping phase. Please see --upload-certs\n');
  }
  if (!skip.has('mark-control-plane')) out(markControlPlaneLines(nodeName));

  const tokens: TokenState[] = init.bootstrapTokens.map((t) => {
    const full = t.token || generateBootstrapToken();
    const [id, secret] = full.split('.') as [string, string];
    return {
      id,
      secret,
      expiresAtMs: t.ttlMs === null ? null : Date.now() + t.ttlMs,
      usages: t.usages,
      groups: t.groups,
      description: t.description,
      createdAtMs: Date.now(),
    };
  });
  if (!skip.has('bootstrap-token')) {
    for (const t of tokens) if (!skipTokenPrint) out(`[bootstrap-token] Using token: ${t.id}.${t.secret}\n`);
    out(
      '[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles\n' +
        '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes\n' +
        '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials\n' +
        '[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token\n' +
        '[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster\n' +
        '[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace\n',
    );
    await store.update((s) => ({ next: s ? tokens.reduce((acc, t) => putToken(acc, t), s) : s, result: undefined }));
  }
  out('[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key\n');
  if (!skip.has('addon') && !skip.has('addon/coredns')) out('[addons] Applied essential addon: CoreDNS\n');
  if (!skip.has('addon') && !skip.has('addon/kube-proxy')) out('[addons] Applied essential addon: kube-proxy\n');

  if (!skip.has('show-join-command') && !skip.has('bootstrap-token')) {
    for (const t of tokens) {
      const tok = skipTokenPrint ? '<value withheld>' : `${t.id}.${t.secret}`;
      const key = skipKeyPrint ? '<value withheld>' : certificateKey;
      out(
        initDoneText({
          kubeConfigPath: '/etc/kubernetes/admin.conf',
          controlPlaneEndpoint: cluster.controlPlaneEndpoint,
          uploadCerts: doUpload,
          joinControlPlaneCommand: joinCommand(endpoint, tok, [caHash], true, key),
          joinWorkerCommand: joinCommand(endpoint, tok, [caHash], false, ''),
        }),
      );
    }
  }
}

/** Spawns the stand-in apiserver (unless disabled) and waits for /healthz like wait-control-plane. */
export async function startAndWaitApiserver(
  env: SimEnv,
  nodeName: string,
  address: string,
  port: number,
  certDir: string,
  caPem: string,
  phase: string,
  localEtcd: boolean,
): Promise<void> {
  const realEtcd = env.etcd === 'real' && localEtcd;
  const start = Date.now();
  if (realEtcd) {
    // The kube-apiserver cannot become healthy before its local etcd member is: wait for that member, then record
    // the cluster's real member list (IDs, learners) in the state.
    const tls = etcdClientTls(env.root, certDir);
    try {
      await waitEndpointHealthy(clientURL('127.0.0.1'), tls, env.etcdWaitMs);
      await recordMembers(new StateStore(env.stateDir), await new EtcdClient([clientURL('127.0.0.1')], tls).memberList());
    } catch (e) {
      throw phaseFailure(
        phase,
        `could not check the health of the API server: Get "https://${address}:${port}/healthz?timeout=10s": the local etcd member at https://127.0.0.1:2379 is not healthy after ${formatGoDuration(Date.now() - start)}: ${errorText(e)}`,
      );
    }
  }
  if (env.apiserverMode === 'off') {
    out('[api-check] The API server is healthy after 1ms\n');
    return;
  }
  spawnApiserver({
    root: env.root,
    stateDir: env.stateDir,
    nodeName,
    address,
    port,
    certFile: hostPath(env.root, `${certDir}/apiserver.crt`),
    keyFile: hostPath(env.root, `${certDir}/apiserver.key`),
    gitVersion: env.version,
    ...(realEtcd
      ? {
          etcd: {
            servers: clientURL('127.0.0.1'),
            caFile: hostPath(env.root, `${certDir}/etcd/ca.crt`),
            certFile: hostPath(env.root, `${certDir}/apiserver-etcd-client.crt`),
            keyFile: hostPath(env.root, `${certDir}/apiserver-etcd-client.key`),
          },
        }
      : {}),
  });
  const r = await waitHealthy(address, port, caPem, env.apiserverWaitMs);
  if (!r.ok) {
    throw phaseFailure(phase, `could not check the health of the API server: Get "https://${address}:${port}/healthz?timeout=10s": ${r.error}`);
  }
  out(`[api-check] The API server is healthy after ${formatGoDuration(Math.max(1, Date.now() - start))}\n`);
}
