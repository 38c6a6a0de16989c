/**
 * The nats-server configuration file of the embedded server, rendered from data. Pure: the caller
 * writes the text (0600) and signals the server.
 */
import { KubeadmHaError } from '../../core/errors.js';
import type { NatsPermissions } from './permissions.js';

export interface NatsUserEntry {
  readonly nkey: string;
  /** Who this is, for a human reading the file: `coordinator`, `agent master-1 (cluster prod)`. */
  readonly comment: string;
  readonly permissions: NatsPermissions;
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
  readonly users: readonly NatsUserEntry[];
}

/** nats-server's own format; every value is quoted, so nothing is read as a variable or a number. */
export function renderNatsConfig(cfg: NatsServerConfig): string {
  const lines: string[] = [
    '# Written by kubeadm-ha-coordinator and rewritten on every agent registration or removal.',
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
  lines.push('authorization {', '  users = [');
  for (const user of cfg.users) {
    if (!/^U[A-Z2-7]{55}$/.test(user.nkey)) throw new KubeadmHaError(`not an nkey user public key: ${user.nkey}`);
    lines.push(
      `    # ${oneLine(user.comment)}`,
      '    {',
      `      nkey: ${q(user.nkey)}`,
      '      permissions: {',
      `        publish: { allow: [${user.permissions.publish.allow.map(q).join(', ')}] }`,
      `        subscribe: { allow: [${user.permissions.subscribe.allow.map(q).join(', ')}] }`,
      '      }',
      '    }',
    );
  }
  lines.push('  ]', '}', '');
  return lines.join('\n');
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

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
