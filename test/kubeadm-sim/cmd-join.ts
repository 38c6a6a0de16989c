/**
 * `kubeadm join`: a worker or an additional control-plane node.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { detachedTokenIsValid } from './jws.js';
import { readKubeconfig } from './render.js';
import { BOOTSTRAP_TOKEN_PATTERN, minorOf, validateCertificateKey, validateIP, validateNodeName, validatePort, type JoinConfig } from './config.js';
import { getBool, getNumber, getString, getStrings, isChanged, validateIgnorePreflightErrors, validateMixedArguments, type ParsedCommand } from './grammar.js';
import { hostPath, out, phaseFailure, SimFailure, simulatedHostname, sleep, warn, writeHostFile, type SimEnv, invocationDetails } from './env.js';
import { aggregate, dirAvailable, downloadCerts, fileAvailable, loadConfigFile, parsePin, runChecks, type Check } from './cluster-ops.js';
import { caCertHash, type CertAndKey } from './pki.js';
import {
  createControlPlaneLeafCerts,
  filesToShared,
  SHARED_CERT_FILES,
  splitHostPort,
  writeBootstrappedKubelet,
  writeControlPlaneKubeconfigs,
  writeSharedCerts,
} from './node-files.js';
import { renderControlPlaneManifests, renderEtcdManifest, renderKubeletFlags, type ControlPlaneInput } from './render.js';
import { hexId } from './etcd-client.js';
import {
  addMember,
  checkClusterStatus,
  errorText,
  etcdClientTls,
  promoteLearner,
  recordMembers,
  waitClusterAvailable,
  type JoinEtcdResult,
} from './etcd-ops.js';
import { StateStore, collectGarbage, type ClusterState, type NodeState } from './state.js';
import { JOIN_WORKER_DONE, joinControlPlaneDoneText, klogLine, notReadyToJoinControlPlaneText } from './output.js';
import {
  controlPlaneChecks,
  defaultAdvertiseAddress,
  markControlPlaneLines,
  PULL_IMAGE_LINES,
  startAndWaitApiserver,
  resolveKeyAlgorithm,
} from './cmd-init.js';
import { formatGoDuration } from './duration.js';

function joinConfigFromFlags(p: ParsedCommand): JoinConfig {
  const token = getString(p, 'token');
  const endpoint = p.args[0] ?? '';
  const discoveryToken = getString(p, 'discovery-token') || token;
  const controlPlane = getBool(p, 'control-plane');
  const cpFlagsUsed = ['certificate-key', 'apiserver-advertise-address', 'apiserver-bind-port'].some((f) => isChanged(p, f));
  if (!controlPlane && cpFlagsUsed) {
    warn(
      'join.go:411',
      '[preflight] WARNING: --control-plane is also required when passing control-plane related flags such as [certificate-key, apiserver-advertise-address, apiserver-bind-port]',
    );
  }
  return {
    bootstrapToken: endpoint
      ? {
          token: discoveryToken,
          apiServerEndpoint: endpoint,
          caCertHashes: getStrings(p, 'discovery-token-ca-cert-hash'),
          unsafeSkipCAVerification: getBool(p, 'discovery-token-unsafe-skip-ca-verification'),
        }
      : null,
    discoveryFile: getString(p, 'discovery-file'),
    tlsBootstrapToken: getString(p, 'tls-bootstrap-token') || token,
    nodeRegistration: { name: getString(p, 'node-name'), criSocket: getString(p, 'cri-socket'), ignorePreflightErrors: [] },
    controlPlane: controlPlane
      ? {
          localAPIEndpoint: { advertiseAddress: getString(p, 'apiserver-advertise-address'), bindPort: getNumber(p, 'apiserver-bind-port') },
          certificateKey: getString(p, 'certificate-key'),
        }
      : null,
    caCertPath: '/etc/kubernetes/pki/ca.crt',
    skipPhases: [],
  };
}

/** ValidateJoinConfiguration: the field errors kubeadm reports before doing anything. */
function validateJoin(c: JoinConfig, nodeName: string): string[] {
  const errs: string[] = [];
  const bt = c.bootstrapToken;
  if (!bt && !c.discoveryFile) errs.push('discovery: Invalid value: "": bootstrapToken or file must be set');
  if (bt && c.discoveryFile) errs.push('discovery: Invalid value: "": bootstrapToken and file cannot both be set');
  if (bt) {
    if (!BOOTSTRAP_TOKEN_PATTERN.test(bt.token))
      errs.push(`discovery.bootstrapToken.token: Invalid value: ${JSON.stringify(bt.token)}: the bootstrap token is invalid`);
    if (bt.caCertHashes.length === 0 && !bt.unsafeSkipCAVerification) {
      errs.push(
        'discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue',
      );
    }
    if (!bt.apiServerEndpoint) errs.push('discovery.bootstrapToken.apiServerEndpoint: Invalid value: "": the apiServerEndpoint must be set');
  }
  if (c.tlsBootstrapToken && !BOOTSTRAP_TOKEN_PATTERN.test(c.tlsBootstrapToken))
    errs.push(`discovery.tlsBootstrapToken: Invalid value: ${JSON.stringify(c.tlsBootstrapToken)}: the bootstrap token is invalid`);
  if (!c.tlsBootstrapToken && !c.discoveryFile) errs.push('discovery.tlsBootstrapToken: Invalid value: "": the bootstrap token is invalid');
  const n = validateNodeName(nodeName, 'nodeRegistration.name');
  if (n) errs.push(n);
  if (c.controlPlane) {
    const k = validateCertificateKey(c.controlPlane.certificateKey, 'controlPlane.certificateKey');
    if (k) errs.push(k);
    if (c.controlPlane.localAPIEndpoint.advertiseAddress) {
      const a = validateIP(c.controlPlane.localAPIEndpoint.advertiseAddress, 'controlPlane.localAPIEndpoint.advertiseAddress');
      if (a) errs.push(a);
    }
    const pe = validatePort(c.controlPlane.localAPIEndpoint.bindPort, 'controlPlane.localAPIEndpoint.bindPort');
    if (pe) errs.push(pe);
  }
  return errs;
}

const identityError = (msg: string): SimFailure => phaseFailure('preflight', `couldn't validate the identity of the API Server: ${msg}`);

/**
 * Token discovery against the shared state: the endpoint must be one the cluster answers on, the
 * token's JWS must exist (unexpired, signing usage) and verify, and the CA must match a pin.
 */
function discover(s: ClusterState | null, c: JoinConfig, caPem: string | null): ClusterState {
  const bt = c.bootstrapToken;
  if (!bt) throw new SimFailure('kubeadm-sim: file-based discovery (--discovery-file) is not simulated');
  const url = `https://${bt.apiServerEndpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s`;
  const refused = (): SimFailure => identityError(`Get "${url}": dial tcp ${bt.apiServerEndpoint}: connect: connection refused`);
  if (!s || !caPem) throw refused();
  const endpoints = new Set(s.nodes.filter((n) => n.role === 'control-plane' && !n.kubeletStopped).map((n) => `${n.address}:${n.bindPort}`));
  if (s.controlPlaneEndpoint) endpoints.add(s.controlPlaneEndpoint);
  if (!endpoints.has(bt.apiServerEndpoint)) throw refused();
  const pins: string[] = [];
  for (const h of bt.caCertHashes) {
    const r = parsePin(h);
    if ('error' in r) throw identityError(`invalid discovery token CA certificate hash: ${r.error}`);
    pins.push(r.hex);
  }
  const [id, secret] = bt.token.split('.') as [string, string];
  const token = s.tokens.find((t) => t.id === id && t.usages.includes('signing'));
  if (!token) throw identityError(`could not find a JWS signature in the cluster-info ConfigMap for token ID ${JSON.stringify(id)}`);
  if (token.secret !== secret) {
    throw identityError("failed to verify JWS signature of received cluster info object, can't trust this API Server");
  }
  const actual = caCertHash(caPem);
  if (!bt.unsafeSkipCAVerification || pins.length > 0) {
    if (!pins.includes(actual.slice('sha256:'.length)))
      throw identityError(`cluster CA found in cluster-info ConfigMap is invalid: none of the public keys ${JSON.stringify(actual)} are pinned`);
  }
  return s;
}

const DISCOVERY_RETRY_INTERVAL_MS = 1000;
/** How long network discovery keeps retrying; KUBEADM_SIM_DISCOVERY_TIMEOUT_MS shortens it (0: one attempt). */
const DISCOVERY_RETRY_LIMIT_MS = Number(process.env.KUBEADM_SIM_DISCOVERY_TIMEOUT_MS ?? 60_000);

/** Fetches kube-public/cluster-info without trusting the server, as token discovery does. */
function fetchClusterInfo(endpoint: string): Promise<{ body: string } | { error: string }> {
  const { host, port } = splitHostPort(endpoint);
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host,
        port: Number(port || 443),
        path: '/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s',
        rejectUnauthorized: false,
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          resolve(res.statusCode === 200 ? { body } : { error: `configmaps "cluster-info" is forbidden or missing (HTTP ${res.statusCode})` }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ECONNREFUSED'
          ? 'connect: connection refused'
          : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH'
            ? 'connect: no route to host'
            : e.message;
      resolve({ error: `dial tcp ${endpoint}: ${why}` });
    });
    req.end();
  });
}

/** Token discovery the real way: cluster-info over HTTPS from the given endpoint, JWS and CA pin checked. */
async function discoverOverNetwork(s: ClusterState | null, c: JoinConfig): Promise<ClusterState> {
  const bt = c.bootstrapToken;
  if (!bt) throw new SimFailure('kubeadm-sim: file-based discovery (--discovery-file) is not simulated');
  const pins: string[] = [];
  for (const h of bt.caCertHashes) {
    const r = parsePin(h);
    if ('error' in r) throw identityError(`invalid discovery token CA certificate hash: ${r.error}`);
    pins.push(r.hex);
  }
  const url = `https://${bt.apiServerEndpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s`;
  // Like kubeadm's token discovery, which polls until the discovery timeout (5 s apart there; 1 s here, and at most a
  // minute, to keep tests short): an endpoint that flaps while a load balancer converges is not a failed join.
  const deadline = Date.now() + DISCOVERY_RETRY_LIMIT_MS;
  const [id, secret] = bt.token.split('.') as [string, string];
  // The JWS is patched into cluster-info a moment after the token is created (the bootstrap signer); kubeadm polls
  // until it appears.
  const jwsOf = (body: string): string | undefined => (JSON.parse(body) as { data?: Record<string, string> }).data?.[`jws-kubeconfig-${id}`];
  let got = await fetchClusterInfo(bt.apiServerEndpoint);
  while (('error' in got || !jwsOf(got.body)) && Date.now() < deadline) {
    if ('error' in got) process.stderr.write(`[discovery] Failed to request cluster-info, will try again: Get "${url}": ${got.error}\n`);
    await sleep(DISCOVERY_RETRY_INTERVAL_MS);
    got = await fetchClusterInfo(bt.apiServerEndpoint);
  }
  if ('error' in got) throw identityError(`Get "${url}": ${got.error}`);
  const data = (JSON.parse(got.body) as { data?: Record<string, string> }).data ?? {};
  const kubeconfig = data.kubeconfig ?? '';
  const jws = data[`jws-kubeconfig-${id}`];
  if (!jws) throw identityError(`could not find a JWS signature in the cluster-info ConfigMap for token ID ${JSON.stringify(id)}`);
  if (!detachedTokenIsValid(jws, kubeconfig, id, secret))
    throw identityError("failed to verify JWS signature of received cluster info object, can't trust this API Server");
  const caPem = readKubeconfig(kubeconfig, parseYaml)?.caPem ?? '';
  const actual = caCertHash(caPem);
  if ((!bt.unsafeSkipCAVerification || pins.length > 0) && !pins.includes(actual.slice('sha256:'.length))) {
    throw identityError(`cluster CA found in cluster-info ConfigMap is invalid: none of the public keys ${JSON.stringify(actual)} are pinned`);
  }
  if (!s) throw identityError(`Get "${url}": dial tcp ${bt.apiServerEndpoint}: connect: connection refused`);
  return collectGarbage(s, Date.now());
}

function sharedCertErrors(root: string, dir: string, localEtcd: boolean): string[] {
  const errs: string[] = [];
  const missing = (file: string): boolean => !existsSync(hostPath(root, `${dir}/${file}`));
  const ca = (base: string, ux: string): void => {
    if (missing(`${base}.crt`))
      errs.push(
        `failure loading certificate for ${ux}: couldn't load the certificate file ${dir}/${base}.crt: open ${dir}/${base}.crt: no such file or directory`,
      );
  };
  ca('ca', 'CA');
  if (missing('sa.key'))
    errs.push(`failure loading key for service account: couldn't load the private key file ${dir}/sa.key: open ${dir}/sa.key: no such file or directory`);
  ca('front-proxy-ca', 'front-proxy CA');
  if (localEtcd) ca('etcd/ca', 'etcd CA');
  return errs;
}

export async function runJoin(p: ParsedCommand, env: SimEnv, setHost: (h: string) => void): Promise<void> {
  const mixed = validateMixedArguments(p.changed);
  if (mixed) throw new SimFailure(mixed);
  let cfg: JoinConfig;
  const cfgPath = getString(p, 'config');
  if (cfgPath) {
    const parsed = loadConfigFile(env.root, cfgPath, 'join', env.version);
    cfg = parsed.join as JoinConfig;
    if (isChanged(p, 'node-name')) cfg.nodeRegistration.name = getString(p, 'node-name');
  } else {
    cfg = joinConfigFromFlags(p);
  }
  const nodeName = cfg.nodeRegistration.name || simulatedHostname(env.root);
  setHost(nodeName);
  const errs = validateJoin(cfg, nodeName);
  if (errs.length) throw new SimFailure(aggregate(errs), 3);
  const ignore = validateIgnorePreflightErrors(getStrings(p, 'ignore-preflight-errors'), cfg.nodeRegistration.ignorePreflightErrors);
  if (ignore.error) throw new SimFailure(ignore.error, 3);
  if (getBool(p, 'dry-run')) throw new SimFailure('kubeadm-sim: --dry-run is not simulated');

  const skip = new Set([...getStrings(p, 'skip-phases'), ...cfg.skipPhases]);
  const store = new StateStore(env.stateDir);
  const cp = cfg.controlPlane;

  // preflight
  out('[preflight] Running pre-flight checks\n');
  if (!skip.has('preflight')) {
    const checks: Check[] = [
      dirAvailable(env.root, '/etc/kubernetes/manifests'),
      fileAvailable(env.root, '/etc/kubernetes/kubelet.conf'),
      fileAvailable(env.root, '/etc/kubernetes/bootstrap-kubelet.conf'),
    ];
    if (!cp) checks.push(fileAvailable(env.root, cfg.caCertPath));
    await runChecks(checks, ignore.set);
  }
  const caPem = existsSync(join(store.pkiDir, 'ca.crt')) ? readFileSync(join(store.pkiDir, 'ca.crt'), 'utf8') : null;
  const snapshot = store.read();
  const state =
    env.discovery === 'network' ? await discoverOverNetwork(snapshot, cfg) : discover(snapshot ? collectGarbage(snapshot, Date.now()) : null, cfg, caPem);
  const ca: CertAndKey = { certPem: caPem as string, keyPem: readFileSync(join(store.pkiDir, 'ca.key'), 'utf8') };
  out('[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n');
  out("[preflight] Use 'kubeadm init phase upload-config --config your-config.yaml' to re-upload it.\n");

  const alg = resolveKeyAlgorithm(env, state.encryptionAlgorithm);
  const localEtcd = !state.etcdExternal;
  const advertise = cp ? cp.localAPIEndpoint.advertiseAddress || defaultAdvertiseAddress() : '';
  const bindPort = cp ? cp.localAPIEndpoint.bindPort : 0;
  if (cp && !skip.has('preflight')) {
    const hasKey = cp.certificateKey !== '';
    if (!state.controlPlaneEndpoint) {
      throw phaseFailure(
        'preflight',
        notReadyToJoinControlPlaneText("unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address"),
      );
    }
    if (!hasKey) {
      const missing = sharedCertErrors(env.root, state.certificatesDir, localEtcd);
      if (missing.length) throw phaseFailure('preflight', notReadyToJoinControlPlaneText(aggregate(missing)));
    }
    out('[preflight] Running pre-flight checks before initializing the new control plane instance\n');
    await runChecks(controlPlaneChecks(env.root, advertise, bindPort, state.etcdDataDir, localEtcd, env.apiserverMode === 'spawn'), ignore.set);
    out(PULL_IMAGE_LINES);
  }

  const now = Date.now();
  const endpoint = cfg.bootstrapToken?.apiServerEndpoint ?? state.controlPlaneEndpoint;
  if (cfg.bootstrapToken?.token) invocationDetails.token = cfg.bootstrapToken.token;
  if (cp) {
    let shared;
    if (cp.certificateKey) {
      invocationDetails.certificateKey = cp.certificateKey;
      out('[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
      let files: Record<string, string>;
      try {
        files = downloadCerts(
          collectGarbage(store.read() ?? state, Date.now()),
          cp.certificateKey,
          SHARED_CERT_FILES.filter((f) => localEtcd || !f.startsWith('etcd/')),
        );
      } catch (e) {
        throw phaseFailure('control-plane-prepare/download-certs', `error downloading certs: ${(e as Error).message}`);
      }
      out(`[download-certs] Saving the certificates to the folder: ${JSON.stringify(state.certificatesDir)}\n`);
      shared = filesToShared(files);
      writeSharedCerts(env.root, state.certificatesDir, shared);
    } else {
      const read = (f: string): string => readFileSync(hostPath(env.root, `${state.certificatesDir}/${f}`), 'utf8');
      shared = filesToShared(Object.fromEntries(SHARED_CERT_FILES.map((f) => [f, read(f)])));
    }
    await createControlPlaneLeafCerts(
      env.root,
      shared,
      {
        nodeName,
        advertiseAddress: advertise,
        controlPlaneEndpoint: state.controlPlaneEndpoint,
        certSANs: state.certSANs,
        serviceSubnet: state.serviceSubnet,
        dnsDomain: state.dnsDomain,
        certificatesDir: state.certificatesDir,
        localEtcd,
      },
      alg,
      now,
      false,
    );
    out('[kubeconfig] Generating kubeconfig files\n[kubeconfig] Using kubeconfig folder "/etc/kubernetes"\n');
    await writeControlPlaneKubeconfigs(
      env.root,
      {
        clusterName: state.clusterName,
        ca: shared.ca,
        endpointServer: `https://${state.controlPlaneEndpoint}`,
        localServer: `https://${advertise}:${bindPort}`,
        nodeName,
      },
      { superAdmin: false, kubelet: false },
      alg,
      now,
    );
    out('[control-plane] Using manifest folder "/etc/kubernetes/manifests"\n');
  }
  const manifestInput: ControlPlaneInput = {
    nodeName,
    advertiseAddress: advertise,
    bindPort,
    kubernetesVersion: state.kubernetesVersion,
    imageRepository: state.imageRepository,
    serviceSubnet: state.serviceSubnet,
    podSubnet: state.podSubnet,
    certificatesDir: state.certificatesDir,
    etcdDataDir: state.etcdDataDir,
    apiServerExtraArgs: [],
    etcdExtraArgs: [],
    etcdInitialCluster: [],
    etcdInitialClusterState: 'existing',
  };
  const manifests = cp
    ? renderControlPlaneManifests({
        ...manifestInput,
        etcdInitialCluster: [
          ...state.etcdMembers.filter((m) => m.name !== nodeName).map((m) => `${m.name}=${m.peerURL}`),
          `${nodeName}=https://${advertise}:2380`,
        ],
      })
    : {};
  if (cp) {
    for (const m of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      out(`[control-plane] Creating static Pod manifest for ${JSON.stringify(m)}\n`);
      writeHostFile(env.root, `/etc/kubernetes/manifests/${m}.yaml`, manifests[`${m}.yaml`] ?? '', 0o600);
    }
    if (localEtcd) {
      out('[check-etcd] Checking that the etcd cluster is healthy\n');
      if (env.etcd === 'real') await checkEtcdHealth(env, state);
    }
  }

  // kubelet-start
  const criSocket = cfg.nodeRegistration.criSocket || 'unix:///var/run/containerd/containerd.sock';
  out('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"\n');
  writeHostFile(env.root, '/var/lib/kubelet/config.yaml', state.kubeletConfig);
  out('[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"\n');
  writeHostFile(env.root, '/var/lib/kubelet/kubeadm-flags.env', renderKubeletFlags(criSocket, state.imageRepository, nodeName, simulatedHostname(env.root)));
  out('[kubelet-start] Starting the kubelet\n');
  out('[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s\n');
  const kubeletStart = Date.now();
  const delay = cp ? env.delayJoinControlPlaneMs : env.delayJoinWorkerMs;
  if (delay > 0) await sleep(delay);
  out(`[kubelet-check] The kubelet is healthy after ${formatGoDuration(Date.now() - kubeletStart + 1)}\n`);
  out('[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap\n');

  const node: NodeState = {
    name: nodeName,
    role: cp ? 'control-plane' : 'worker',
    root: env.root,
    address: cp ? advertise : defaultAdvertiseAddress(),
    bindPort,
    joinedAtMs: Date.now(),
    unschedulable: false,
    kubeletStopped: false,
    kubeletVersion: env.version,
    criSocket,
  };
  if (!cp) node.address = workerAddress(env.root) ?? node.address;
  await store.update((s) => {
    if (!s)
      throw identityError(
        `Get "https://${endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp ${endpoint}: connect: connection refused`,
      );
    const existing = s.nodes.find((n) => n.name === nodeName);
    if (existing && !existing.kubeletStopped) {
      throw phaseFailure(
        'kubelet-start',
        `a Node with name ${JSON.stringify(nodeName)} and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
      );
    }
    return { next: { ...s, nodes: [...s.nodes.filter((n) => n.name !== nodeName), node] }, result: undefined };
  });
  await writeBootstrappedKubelet(env.root, ca, `https://${endpoint}`, nodeName, alg, now);

  if (cp) {
    if (localEtcd && env.etcd === 'real') {
      await joinRealEtcd(p, env, state, store, nodeName, advertise, manifestInput);
    } else if (localEtcd) {
      out('[etcd] Announced new etcd member joining to the existing etcd cluster\n');
      await store.update((s) => {
        if (!s) return { result: undefined };
        const member = {
          id: Math.random().toString(16).slice(2, 18).padEnd(16, '0'),
          name: nodeName,
          peerURL: `https://${advertise}:2380`,
          clientURL: `https://${advertise}:2379`,
        };
        return { next: { ...s, etcdMembers: [...s.etcdMembers.filter((m) => m.name !== nodeName), member] }, result: undefined };
      });
      out('[etcd] Creating static Pod manifest for "etcd"\n');
      writeHostFile(env.root, '/etc/kubernetes/manifests/etcd.yaml', manifests['etcd.yaml'] ?? '', 0o600);
      mkdirSync(hostPath(env.root, state.etcdDataDir), { recursive: true, mode: 0o700 });
      writeFileSync(hostPath(env.root, `${state.etcdDataDir}/member.json`), JSON.stringify({ name: nodeName, cluster: 'existing' }));
      out('[etcd] Waiting for the new etcd member to join the cluster. This can take up to 40s\n');
    }
    if (!skip.has('control-plane-join') && !skip.has('control-plane-join/mark-control-plane')) out(markControlPlaneLines(nodeName));
    if (!skip.has('wait-control-plane')) {
      out('[control-plane-check] Waiting for healthy control plane components. This can take up to 4m0s\n');
      await startAndWaitApiserver(env, nodeName, advertise, bindPort, state.certificatesDir, ca.certPem, 'wait-control-plane', localEtcd);
    }
    out(joinControlPlaneDoneText('/etc/kubernetes/admin.conf', localEtcd));
  } else {
    out(JOIN_WORKER_DONE);
  }
}

/** A worker's InternalIP: the simulator cannot see another namespace's interfaces, so $ROOT/etc/kubeadm-sim/node-ip may name it. */
function workerAddress(root: string): string | null {
  const f = hostPath(root, '/etc/kubeadm-sim/node-ip');
  return existsSync(f) ? readFileSync(f, 'utf8').trim() || null : null;
}

/** The etcd endpoints kubeadm finds from the etcd Pods' annotations: the members the cluster knows. */
function etcdEndpoints(state: ClusterState): string[] {
  return state.etcdMembers.map((m) => m.clientURL).filter(Boolean);
}

/** check-etcd (CheckLocalEtcdClusterStatus): every member answers before a new one is added. */
async function checkEtcdHealth(env: SimEnv, state: ClusterState): Promise<void> {
  try {
    await checkClusterStatus(etcdEndpoints(state), etcdClientTls(env.root, state.certificatesDir));
  } catch (e) {
    throw phaseFailure('check-etcd', `etcd cluster is not healthy: ${errorText(e)}`);
  }
}

/**
 * control-plane-join/etcd with a real etcd (CreateStackedEtcdStaticPodManifestFile): member add (as a learner from
 * v1.29, when the EtcdLearnerMode gate went beta), the manifest with the full --initial-cluster and
 * --initial-cluster-state=existing, the promotion, and the wait for the cluster.
 */
async function joinRealEtcd(
  p: ParsedCommand,
  env: SimEnv,
  state: ClusterState,
  store: StateStore,
  nodeName: string,
  advertise: string,
  manifestInput: ControlPlaneInput,
): Promise<void> {
  const fail = (e: unknown): SimFailure => phaseFailure('control-plane-join/etcd', `error creating local etcd static pod manifest file: ${errorText(e)}`);
  const verbose = getNumber(p, 'v');
  const klog = (level: number, where: string, message: string): void => {
    if (verbose >= level) process.stderr.write(klogLine('I', where, message, new Date(), process.pid));
  };
  const tls = etcdClientTls(env.root, state.certificatesDir);
  const learner = minorOf(env.version) >= 29;
  const peer = `https://${advertise}:2380`;
  klog(1, 'local.go:155', `[etcd] Adding etcd member: ${peer}`);
  let joined: JoinEtcdResult;
  try {
    // The members as of now (a parallel join may have added one since discovery).
    joined = await addMember(etcdEndpoints(store.read() ?? state), tls, nodeName, advertise, learner, env.etcdWaitMs);
  } catch (e) {
    throw fail(e);
  }
  crashIfAsked(env.root, 'after-member-add');
  out('[etcd] Announced new etcd member joining to the existing etcd cluster\n');
  klog(1, 'local.go:163', `Updated etcd member list: [${joined.initialCluster.map((m) => `{${m.replace('=', ' ')}}`).join(' ')}]`);
  out('[etcd] Creating static Pod manifest for "etcd"\n');
  mkdirSync(hostPath(env.root, state.etcdDataDir), { recursive: true, mode: 0o700 });
  writeHostFile(env.root, '/etc/kubernetes/manifests/etcd.yaml', renderEtcdManifest({ ...manifestInput, etcdInitialCluster: joined.initialCluster }), 0o600);
  if (learner) {
    klog(1, 'etcd.go:550', `[etcd] Promoting a learner as a voting member: ${hexId(joined.memberId)}`);
    try {
      await promoteLearner(joined.client, joined.memberId, env.etcdWaitMs);
    } catch (e) {
      throw fail(e);
    }
    klog(1, 'etcd.go:575', `[etcd] The learner was promoted as a voting member: ${hexId(joined.memberId)}`);
  }
  out('[etcd] Waiting for the new etcd member to join the cluster. This can take up to 40s\n');
  try {
    await waitClusterAvailable(joined.client, tls, env.etcdWaitMs);
    await recordMembers(store, await joined.client.memberList());
  } catch (e) {
    throw fail(e);
  }
}

/**
 * Fault injection for tests: when `$ROOT/etc/kubeadm-sim/crash-at` names `point`, the file is removed (one shot)
 * and this process kills itself with SIGKILL there, as a power cut or the OOM killer would: nothing after it runs,
 * nothing is cleaned up. Points: `after-member-add` (the etcd member is added, its manifest not yet written).
 */
function crashIfAsked(root: string, point: string): void {
  const trigger = hostPath(root, '/etc/kubeadm-sim/crash-at');
  let wanted: string;
  try {
    wanted = readFileSync(trigger, 'utf8').trim();
  } catch {
    return;
  }
  if (wanted !== point) return;
  rmSync(trigger, { force: true });
  process.kill(process.pid, 'SIGKILL');
}
