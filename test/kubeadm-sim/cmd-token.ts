/**
 * `kubeadm token create|delete|list|generate`, `kubeadm init phase upload-certs` and
 * `kubeadm certs certificate-key`: the commands that talk to an existing cluster through a
 * kubeconfig.
 */
import { parse as parseYaml } from 'yaml';
import { BOOTSTRAP_TOKEN_PATTERN, tokenFormatError, validateCertificateKey, defaultInitConfig, defaultClusterConfig } from './config.js';
import { getBool, getString, getStrings, isChanged, validateMixedArguments, type ParsedCommand } from './grammar.js';
import { out, phaseFailure, readHostFile, SimFailure, type SimEnv, invocationDetails } from './env.js';
import { generateBootstrapToken, generateCertificateKey, loadConfigFile, putToken, tokenString, uploadCerts } from './cluster-ops.js';
import { caCertHash } from './pki.js';
import { readKubeconfig } from './render.js';
import { StateStore, collectGarbage, type ClusterState, type TokenState } from './state.js';
import { flatJoinCommand, joinCommand, rfc3339, tokenListText } from './output.js';
import { readSharedFromHost } from './node-files.js';

interface Cluster {
  store: StateStore;
  server: string;
  caPem: string;
}

/** kubeconfigutil.ClientSetFromFile plus reaching the cluster behind it. */
function connect(env: SimEnv, kubeconfigPath: string, errPrefix = ''): Cluster {
  const text = readHostFile(env.root, kubeconfigPath);
  if (text === null) throw new SimFailure(`${errPrefix}failed to load admin kubeconfig: open ${kubeconfigPath}: no such file or directory`);
  const kc = readKubeconfig(text, parseYaml);
  if (!kc?.server) throw new SimFailure(`${errPrefix}failed to load admin kubeconfig: invalid configuration: no configuration has been provided`);
  const store = new StateStore(env.stateDir);
  const s = store.read();
  if (!s || caCertHash(kc.caPem) !== s.caCertHash) {
    throw new SimFailure(
      `${errPrefix}Get "${kc.server}/api/v1/namespaces/kube-system/secrets?timeout=10s": dial tcp ${kc.server.replace('https://', '')}: connect: connection refused`,
    );
  }
  return { store, server: kc.server, caPem: kc.caPem };
}

const USAGES = ['signing', 'authentication'];
const GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

export async function runTokenCreate(p: ParsedCommand, env: SimEnv): Promise<void> {
  const mixed = validateMixedArguments(p.changed);
  if (mixed) throw new SimFailure(mixed);
  let token = '';
  let ttlMs: number | null;
  let usages: string[];
  let groups: string[];
  let description: string;
  const cfgPath = getString(p, 'config');
  if (cfgPath) {
    // The positional token and the token flags belong to the flag-built config, which --config replaces.
    const parsed = loadConfigFile(env.root, cfgPath, 'init', env.version);
    const t = (parsed.init ?? defaultInitConfig()).bootstrapTokens[0] ?? defaultInitConfig().bootstrapTokens[0];
    if (!t) throw new SimFailure('no bootstrap token');
    token = t.token;
    ttlMs = t.ttlMs;
    usages = t.usages;
    groups = t.groups;
    description = t.description;
  } else {
    token = p.args[0] ?? '';
    const ttl = p.values.get('ttl') as number;
    ttlMs = ttl === 0 ? null : ttl;
    usages = getStrings(p, 'usages');
    groups = getStrings(p, 'groups');
    description = getString(p, 'description');
  }
  if (token && !BOOTSTRAP_TOKEN_PATTERN.test(token)) throw new SimFailure(tokenFormatError(token));
  for (const u of usages) if (!USAGES.includes(u)) throw new SimFailure(`invalid bootstrap token usage string: ${u}, valid usage options: ${USAGES.join(',')}`);
  for (const g of groups) {
    if (!GROUP_PATTERN.test(g))
      throw new SimFailure(`bootstrap group ${JSON.stringify(g)} is invalid (must match \\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\\z)`);
  }
  if (groups.length > 0 && !usages.includes('authentication'))
    throw new SimFailure('token groups cannot be specified unless --usages includes "authentication"');
  const certificateKey = getString(p, 'certificate-key');
  const keyErr = validateCertificateKey(certificateKey, 'certificateKey');
  if (keyErr) throw new SimFailure(keyErr, 3);
  if (getBool(p, 'dry-run')) throw new SimFailure('kubeadm-sim: --dry-run is not simulated');

  const c = connect(env, getString(p, 'kubeconfig'));
  const full = token || generateBootstrapToken();
  const [id, secret] = full.split('.') as [string, string];
  const now = Date.now();
  const t: TokenState = {
    id,
    secret,
    expiresAtMs: ttlMs === null ? null : now + ttlMs,
    usages,
    groups: groups.length ? groups : [],
    description,
    createdAtMs: now,
  };
  await c.store.update((s) => {
    if (!s) throw new SimFailure('failed to create or update bootstrap token: the server could not find the requested resource');
    return { next: putToken(collectGarbage(s, now), t), result: undefined };
  });
  if (getBool(p, 'print-join-command')) {
    const hostPort = c.server.replace('https://', '');
    out(flatJoinCommand(joinCommand(hostPort, full, [caCertHash(c.caPem)], certificateKey !== '', certificateKey)) + '\n');
  } else {
    out(`${full}\n`);
  }
}

export async function runTokenDelete(p: ParsedCommand, env: SimEnv): Promise<void> {
  if (p.args.length < 1) throw new SimFailure(`missing subcommand; 'token delete' is missing token of form ${JSON.stringify('\\A([a-z0-9]{6})\\z')}`);
  const c = connect(env, getString(p, 'kubeconfig'));
  for (const arg of p.args) {
    let id = arg;
    if (!/^[a-z0-9]{6}$/.test(arg)) {
      const m = BOOTSTRAP_TOKEN_PATTERN.exec(arg);
      if (!m)
        throw new SimFailure(
          `given token ${JSON.stringify(arg)} didn't match pattern ${JSON.stringify('\\A([a-z0-9]{6})\\z')} or ${JSON.stringify('\\A([a-z0-9]{6})\\z')}`,
        );
      id = m[1] as string;
    }
    await c.store.update((s) => {
      const cur = s ? collectGarbage(s, Date.now()) : null;
      if (!cur?.tokens.some((t) => t.id === id))
        throw new SimFailure(`failed to delete bootstrap token ${JSON.stringify(id)}: secrets ${JSON.stringify(`bootstrap-token-${id}`)} not found`);
      return { next: collectGarbage({ ...cur, tokens: cur.tokens.filter((t) => t.id !== id) }, Date.now()), result: undefined };
    });
    out(`bootstrap token ${JSON.stringify(id)} deleted\n`);
  }
}

export function runTokenList(p: ParsedCommand, env: SimEnv): void {
  const c = connect(env, getString(p, 'kubeconfig'));
  const now = Date.now();
  const s = c.store.read();
  const tokens = s ? collectGarbage(s, now).tokens.sort((a, b) => a.createdAtMs - b.createdAtMs) : [];
  const format = getString(p, 'output');
  if (format === 'text' || format === '') {
    out(
      tokenListText(
        tokens.map((t) => ({ token: tokenString(t), expiresAtMs: t.expiresAtMs, usages: t.usages, description: t.description, groups: t.groups })),
        now,
      ),
    );
    return;
  }
  if (format === 'json' || format === 'yaml') {
    for (const t of tokens) {
      const o = {
        kind: 'BootstrapToken',
        apiVersion: 'output.kubeadm.k8s.io/v1alpha3',
        token: tokenString(t),
        ...(t.description ? { description: t.description } : {}),
        ...(t.expiresAtMs !== null ? { expires: rfc3339(t.expiresAtMs) } : {}),
        ...(t.usages.length ? { usages: t.usages } : {}),
        ...(t.groups.length ? { groups: t.groups } : {}),
      };
      out(
        format === 'json'
          ? JSON.stringify(o, null, 4) + '\n'
          : `${Object.entries(o)
              .map(([k, v]) => (Array.isArray(v) ? `${k}:\n${v.map((x) => `- ${x}`).join('\n')}` : `${k}: ${v}`))
              .join('\n')}\n---\n`,
      );
    }
    return;
  }
  throw new SimFailure(`unable to match a printer suitable for the output format ${JSON.stringify(format)}, allowed formats are: json,text,yaml`);
}

export function runTokenGenerate(): void {
  out(`${generateBootstrapToken()}\n`);
}

export function runCertificateKey(): void {
  out(`${generateCertificateKey()}\n`);
}

/** `kubeadm init phase upload-certs`. */
export async function runUploadCerts(p: ParsedCommand, env: SimEnv): Promise<void> {
  const mixed = validateMixedArguments(p.changed);
  if (mixed) throw new SimFailure(mixed);
  let certificateKey = getString(p, 'certificate-key');
  let certDir = defaultClusterConfig().certificatesDir;
  const cfgPath = getString(p, 'config');
  if (cfgPath) {
    const parsed = loadConfigFile(env.root, cfgPath, 'init', env.version);
    certificateKey = parsed.init?.certificateKey ?? '';
    certDir = parsed.cluster?.certificatesDir ?? certDir;
  }
  const keyErr = validateCertificateKey(certificateKey, 'certificateKey');
  if (keyErr) throw new SimFailure(keyErr, 3);
  if (!getBool(p, 'upload-certs')) {
    out('[upload-certs] Skipping phase. Please see --upload-certs\n');
    return;
  }
  if (getBool(p, 'dry-run')) throw new SimFailure('kubeadm-sim: --dry-run is not simulated');
  const kubeconfig = getString(p, 'kubeconfig');
  let c: Cluster;
  try {
    c = connect(env, kubeconfig);
  } catch (e) {
    throw phaseFailure(
      'upload-certs',
      isChanged(p, 'kubeconfig') ? (e as Error).message : `could not bootstrap the admin user in file admin.conf: ${(e as Error).message}`,
    );
  }
  const key = certificateKey || generateCertificateKey();
  const files = readSharedFromHost(env.root, certDir);
  out('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
  await c.store.update((s: ClusterState | null) => {
    if (!s) throw phaseFailure('upload-certs', 'error uploading certs: the server could not find the requested resource');
    return { next: uploadCerts(collectGarbage(s, Date.now()), files, key, env.certKeyTtlMs, Date.now()), result: undefined };
  });
  invocationDetails.certificateKey = key;
  if (!getBool(p, 'skip-certificate-key-print')) out(`[upload-certs] Using certificate key:\n${key}\n`);
}
