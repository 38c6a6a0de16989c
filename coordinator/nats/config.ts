/**
 * The nats-server configuration file of the embedded server, rendered from data. Pure: the caller
 * writes the text (0600) and signals the server.
 */
import { KubeadmHaError } from '../../core/errors.js';

/** Whom the server trusts (auth.ts serverTrust): the operator's JWT and the account JWTs it preloads. */
export interface NatsServerTrust {
  readonly operatorJwt: string;
  readonly systemAccount: string;
  /** Account public key → account JWT. */
  readonly accounts: Readonly<Record<string, string>>;
  /**
   * Where the server keeps account JWTs pushed to it (the built-in "full" resolver). An account update (a revocation)
   * is pushed over NATS by a system-account user and applied in place; a config reload with a changed account
   * would instead disconnect every client of it (nats-server 2.9 with the MEMORY resolver).
   */
  readonly resolverDir: string;
}

export interface NatsServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must also present a certificate signed by this CA. */
  readonly caFile?: string;
}

export interface NatsServerConfig {
  readonly serverName: string;
  readonly host: string;
  readonly port: number;
  /** The monitoring endpoint (/healthz, /varz) is bound to loopback only. */
  readonly monitorPort: number;
  readonly pidFile: string;
  /** nats-server keeps JetStream data in `<storeDir>/jetstream`. */
  readonly storeDir: string;
  readonly maxFileStore?: string;
  readonly maxMemoryStore?: string;
  readonly tls?: NatsServerTls;
  readonly trust: NatsServerTrust;
}

/** nats-server's own format; every value is quoted, so nothing is read as a variable or a number. */
export function renderNatsConfig(cfg: NatsServerConfig): string {
  const lines: string[] = [
    '# Written by kubeadm-ha-coordinator and rewritten when an agent is revoked (registrations change nothing here).',
    '# Edits are lost; change the coordinator options instead.',
    `server_name: ${q(cfg.serverName)}`,
    `host: ${q(cfg.host)}`,
    `port: ${int(cfg.port, 'port')}`,
    `http: ${q(`127.0.0.1:${int(cfg.monitorPort, 'monitorPort')}`)}`,
    `pid_file: ${q(cfg.pidFile)}`,
    // The coordinator's logger stamps time itself.
    'logtime: false',
    // Agents sit behind NAT and firewalls; find dead connections in about a minute, not six.
    'ping_interval: "20s"',
    'ping_max: 3',
    'jetstream {',
    `  store_dir: ${q(cfg.storeDir)}`,
    ...(cfg.maxFileStore ? [`  max_file_store: ${size(cfg.maxFileStore)}`] : []),
    ...(cfg.maxMemoryStore ? [`  max_memory_store: ${size(cfg.maxMemoryStore)}`] : []),
    '}',
  ];
  if (cfg.tls) {
    lines.push(
      'tls {',
      `  cert_file: ${q(cfg.tls.certFile)}`,
      `  key_file: ${q(cfg.tls.keyFile)}`,
      ...(cfg.tls.caFile ? [`  ca_file: ${q(cfg.tls.caFile)}`, '  verify: true'] : []),
      '  timeout: 2',
      '}',
    );
  }
  lines.push(...authLines(cfg.trust), '');
  return lines.join('\n');
}

/** Decentralised auth: users are JWTs the account signs; the server checks them against these, with no user list. */
function authLines(trust: NatsServerTrust): string[] {
  const lines = [
    `operator: ${jwt(trust.operatorJwt)}`,
    `system_account: ${accountKey(trust.systemAccount)}`,
    'resolver {',
    '  type: full',
    `  dir: ${q(trust.resolverDir)}`,
    // Accounts are never deleted by a push; only the coordinator (the operator's key) signs them anyway.
    '  allow_delete: false',
    '  interval: "2m"',
    '}',
    'resolver_preload: {',
  ];
  for (const [account, token] of Object.entries(trust.accounts)) lines.push(`  ${accountKey(account)}: ${jwt(token)}`);
  lines.push('}');
  return lines;
}

/**
 * What every server of an operator-run NATS cluster includes (external-auth.ts): the trusted operator, the system
 * account and the accounts, with the full resolver that keeps the account JWTs the coordinator pushes. Public JWTs only.
 */
export function renderAuthInclude(trust: NatsServerTrust): string {
  return [
    '# kubeadm-ha: decentralised JWT auth for the coordinators and their agents. Include it in every server of the',
    '# cluster (include kubeadm-ha-auth.conf); the servers need nothing else from kubeadm-ha: users are JWTs signed by',
    '# the accounts below, revocations arrive as account updates over NATS. Rewritten by kubeadm-ha-coordinator nats-auth.',
    ...authLines(trust),
    '',
  ].join('\n');
}

function q(value: string): string {
  if (/["\\\n\r\t\0]/.test(value)) throw new KubeadmHaError(`value not allowed in the nats-server config: ${JSON.stringify(value)}`);
  return `"${value}"`;
}

function int(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new KubeadmHaError(`${what} must be 1-65535, got ${value}`);
  return String(value);
}

function size(value: string): string {
  if (!/^\d+(?:[KMGT]B?)?$/i.test(value)) throw new KubeadmHaError(`not a nats-server size (e.g. 10G): ${value}`);
  return value;
}

function accountKey(value: string): string {
  if (!/^A[A-Z2-7]{55}$/.test(value)) throw new KubeadmHaError(`not an nkey account public key: ${value}`);
  return q(value);
}

function jwt(value: string): string {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value)) throw new KubeadmHaError('not a JWT in the nats-server config');
  return q(value);
}
