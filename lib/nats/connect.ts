/**
 * One way to open a NATS connection for both daemons: the endpoint's credentials, reconnection that
 * never gives up on its own, and connection events in the log.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { connect, type NatsConnection, type TlsOptions } from '@nats-io/transport-node';
import { KubeadmHaError } from '../../core/errors.js';
import type { Logger } from '../log.js';
import { authenticatorFor, type NatsEndpoint } from './credentials.js';

export interface NatsConnectOptions {
  /** Shown in the server's `/connz`, e.g. `kubeadm-ha-agent master-1`. */
  readonly name: string;
  readonly logger: Logger;
  /** Request/reply and watch inboxes live under this prefix; agents must use their granted one. */
  readonly inboxPrefix?: string;
  /** Wait between reconnect attempts; nats.js adds jitter on top so a fleet does not reconnect in lockstep. */
  readonly reconnectTimeWaitMs?: number;
  readonly reconnectJitterMs?: number;
  /** Timeout of the first connect attempt. */
  readonly timeoutMs?: number;
}

export type { NatsConnection };

/**
 * Connects once (the first attempt fails fast with the server's reason) and from then on reconnects
 * forever. Callers that must survive an unreachable server at start retry this call themselves.
 */
export async function connectNats(endpoint: NatsEndpoint, opts: NatsConnectOptions): Promise<NatsConnection> {
  const servers = endpoint.url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const nc = await connect({
    servers,
    name: opts.name,
    authenticator: authenticatorFor(endpoint.credentials),
    tls: clientTls(endpoint, servers),
    inboxPrefix: opts.inboxPrefix,
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectTimeWaitMs ?? 1000,
    reconnectJitter: opts.reconnectJitterMs ?? 500,
    reconnectJitterTLS: opts.reconnectJitterMs ?? 1000,
    timeout: opts.timeoutMs ?? 5000,
    waitOnFirstConnect: false,
    // A user removed from the server config must not hammer it forever with the same refused key.
    ignoreAuthErrorAbort: false,
  });
  logStatus(nc, opts.logger.child({ component: 'nats', connection: opts.name }));
  return nc;
}

/**
 * nats.js ignores the `tls://` scheme: without TLS options it speaks plaintext to any server that does not ask for
 * TLS, so a host on the path could answer in plaintext. A `tls://` URL therefore always gets TLS options (the system
 * trust store when no CA is given), and nats.js then refuses a server that does not speak TLS. A mix of schemes
 * would let a reconnect fall back to the plaintext one: refused.
 */
function clientTls(endpoint: NatsEndpoint, servers: readonly string[]): TlsOptions | undefined {
  const schemes = new Set(servers.map((s) => (/^([a-z]+):\/\//i.exec(s)?.[1] ?? 'nats').toLowerCase()));
  if (schemes.has('tls') && schemes.size > 1) throw new KubeadmHaError(`NATS URL ${endpoint.url} mixes tls:// with plaintext servers`);
  if (!endpoint.tls && !schemes.has('tls')) return undefined;
  return withIpIdentityCheck({ ...(endpoint.tls ?? {}) }, servers);
}

/** Whether every server of a NATS URL list is `tls://`. */
export function isTlsNatsUrl(url: string): boolean {
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return servers.length > 0 && servers.every((s) => /^tls:\/\//i.test(s));
}

/**
 * nats.js upgrades an IP-addressed connection to TLS without a server name, so Node checks the
 * certificate against "localhost". Agents dial the coordinator by IP and its certificate carries IP
 * SANs: check against the IPs actually configured (any of them, as all are the same trusted service).
 */
function withIpIdentityCheck(tls: TlsOptions, servers: readonly string[]): TlsOptions {
  const ips = servers.map(hostOf).filter((h) => isIP(h) !== 0);
  if (ips.length === 0) return tls;
  const checked = tls as TlsOptions & { checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined };
  checked.checkServerIdentity = (_host, cert) => {
    let firstError: Error | undefined;
    for (const ip of ips) {
      const err = checkServerIdentity(ip, cert);
      if (!err) return undefined;
      firstError ??= err;
    }
    return firstError;
  };
  return checked;
}

function hostOf(server: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(server) ? server : `nats://${server}`;
  try {
    return new URL(withScheme).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

function logStatus(nc: NatsConnection, log: Logger): void {
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          log.warn({ server: s.server }, 'disconnected from NATS');
          break;
        case 'reconnect':
          log.info({ server: s.server }, 'reconnected to NATS');
          break;
        case 'ldm':
          log.info({ server: s.server }, 'NATS server entering lame duck mode');
          break;
        case 'error':
          log.warn({ err: s.error.message }, 'NATS server reported an error');
          break;
        case 'slowConsumer':
          log.warn({ subscription: s.sub.getSubject() }, 'NATS subscription is a slow consumer, messages dropped');
          break;
        default:
          break;
      }
    }
  })().catch((err: unknown) => log.debug({ err }, 'NATS status stream ended'));
}
