/**
 * The coordinator's flags for an operator-run NATS cluster (--nats-url and friends), checked together. TLS is the
 * default and the rule: the backend set travels over this NATS, so a server nobody verifies could redirect every
 * haproxy. Plaintext needs the explicit --nats-insecure; a verified connection needs --nats-ca, the CA the cluster's
 * certificates chain to, which agents also receive at registration.
 */
import { readFile } from 'node:fs/promises';
import { KubeadmHaError } from '../../core/errors.js';
import type { NatsEndpoint } from '../../lib/nats/credentials.js';

export interface ExternalNatsFlags {
  readonly url?: string;
  readonly creds?: string;
  readonly ca?: string;
  readonly insecure?: boolean;
}

export type ExternalNats = NatsEndpoint & { readonly agentUrl?: string };

/** Reads the files and returns the endpoint, undefined without --nats-url; a KubeadmHaError (one line) for a bad combination. */
export async function externalNatsFromFlags(flags: ExternalNatsFlags, read: (path: string) => Promise<Buffer> = readFile): Promise<ExternalNats | undefined> {
  if (!flags.url) {
    const stray = [flags.creds && '--nats-creds', flags.ca && '--nats-ca', flags.insecure && '--nats-insecure'].filter(Boolean);
    if (stray.length > 0) throw new KubeadmHaError(`${stray.join(', ')} only apply with --nats-url (an external NATS)`);
    return undefined;
  }
  if (!flags.creds) throw new KubeadmHaError('--nats-url needs --nats-creds');
  if (flags.insecure && flags.ca) throw new KubeadmHaError('--nats-insecure and --nats-ca contradict each other: give one');
  const servers = flags.url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0) throw new KubeadmHaError('--nats-url is empty');
  const scheme = (s: string) => /^([a-z]+):\/\//i.exec(s)?.[1]?.toLowerCase();
  for (const s of servers) {
    const sch = scheme(s);
    if (sch !== undefined && sch !== 'nats' && sch !== 'tls') throw new KubeadmHaError(`--nats-url: "${s}" is not nats:// or tls://`);
  }
  const credentials = { kind: 'creds' as const, creds: new Uint8Array(await readOrExplain(read, flags.creds, '--nats-creds')) };
  if (flags.insecure) {
    if (servers.some((s) => scheme(s) === 'tls')) throw new KubeadmHaError('--nats-insecure with a tls:// URL: drop --nats-insecure and give --nats-ca');
    return { url: servers.join(','), credentials };
  }
  if (!flags.ca) {
    throw new KubeadmHaError(
      '--nats-url needs --nats-ca FILE (the CA of the NATS servers): agents verify the server that sends the backend set; --nats-insecure allows plaintext',
    );
  }
  const caPem = (await readOrExplain(read, flags.ca, '--nats-ca')).toString('utf8');
  if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new KubeadmHaError(`--nats-ca ${flags.ca} holds no PEM certificate`);
  // Every server as tls://: the scheme is what makes the connection helper and the agents refuse plaintext.
  const url = servers.map((s) => `tls://${s.replace(/^[a-z]+:\/\//i, '')}`).join(',');
  return { url, credentials, tls: { ca: caPem } };
}

async function readOrExplain(read: (path: string) => Promise<Buffer>, path: string, flag: string): Promise<Buffer> {
  try {
    return await read(path);
  } catch (err) {
    throw new KubeadmHaError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
