/**
 * How a daemon authenticates to NATS. Everything above the connection helper only ever handles a
 * `NatsEndpoint` ({ url, credentials }), so an embedded nats-server (nkeys in its config) and an
 * operator-run NATS cluster (a `.creds` file with a user JWT) look the same to the rest of the code.
 */
import { readFile, stat } from 'node:fs/promises';
import { fromPublic } from '@nats-io/nkeys';
import { credsAuthenticator, type Authenticator } from '@nats-io/transport-node';
import { AuthError } from '../../core/errors.js';
import { nkeySigner, type NkeySigner } from './nkey-signer.js';

export type NatsCredentials =
  /** An nkey user seed (`SU…`); the server config lists the matching public key. */
  | { readonly kind: 'nkey'; readonly seed: Uint8Array }
  /** The content of a `.creds` file: a user JWT and its nkey seed (decentralized auth). */
  | { readonly kind: 'creds'; readonly creds: Uint8Array }
  /**
   * A user JWT and the seed it was issued for, kept apart: the JWT is read on every (re)connect, so one replaced while
   * connected (a fresh one from the coordinator) is the one the next connect presents.
   */
  | { readonly kind: 'jwt'; readonly jwt: () => string; readonly seed: Uint8Array };

/** TLS towards the NATS server; paths or PEM strings, as nats.js takes them. */
export interface NatsClientTls {
  readonly caFile?: string;
  readonly ca?: string;
  readonly certFile?: string;
  readonly cert?: string;
  readonly keyFile?: string;
  readonly key?: string;
}

export interface NatsEndpoint {
  /** One URL or a comma-separated list, e.g. `nats://198.18.0.1:4222,nats://198.18.0.2:4222`. */
  readonly url: string;
  readonly credentials: NatsCredentials;
  readonly tls?: NatsClientTls;
}

const encoder = new TextEncoder();

/** Credentials from an nkey seed, checked to be a user seed so a typo fails here and not as an opaque auth error. */
export function nkeyCredentials(seed: Uint8Array | string): NatsCredentials {
  const bytes = typeof seed === 'string' ? encoder.encode(seed.trim()) : seed;
  nkeyPublicKeyOf(bytes);
  return { kind: 'nkey', seed: bytes };
}

/** The public key (`U…`) of a user seed. Throws AuthError without echoing the seed. */
export function nkeyPublicKeyOf(seed: Uint8Array | string): string {
  const bytes = typeof seed === 'string' ? encoder.encode(seed.trim()) : seed;
  let publicKey: string;
  try {
    publicKey = nkeySigner(bytes).publicKey;
  } catch {
    throw new AuthError('the NATS nkey seed is malformed');
  }
  if (!publicKey.startsWith('U')) throw new AuthError('the NATS nkey seed is not a user seed (it must start with "SU")');
  return publicKey;
}

/** Whether `key` is a well-formed nkey user public key. */
export function isNkeyUserPublicKey(key: string): boolean {
  if (!/^U[A-Z2-7]{55}$/.test(key)) return false;
  try {
    fromPublic(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a credentials file: a `.creds` file (JWT + seed, as `nsc` writes them) or a bare nkey seed file.
 * Refuses files other users can read, the way ssh refuses a world-readable private key.
 */
export async function readNatsCredentialsFile(path: string, opts: { allowGroupReadable?: boolean } = {}): Promise<NatsCredentials> {
  const info = await stat(path);
  const forbidden = opts.allowGroupReadable ? 0o007 : 0o077;
  if ((info.mode & forbidden) !== 0) {
    throw new AuthError(`${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  const bytes = await readFile(path);
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN NATS USER JWT-----')) return { kind: 'creds', creds: new Uint8Array(bytes) };
  const seedLine = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('SU'));
  if (!seedLine) throw new AuthError(`${path} holds neither a NATS user JWT nor an nkey user seed`);
  return nkeyCredentials(seedLine);
}

/**
 * The answer to the server's nonce on every (re)connect. Nkey and JWT credentials sign with node:crypto
 * (nkey-signer.ts: nats.js' own authenticators sign in pure JavaScript, the most of an agent's connect CPU). A `.creds`
 * file is the coordinator's one connection to an operator's NATS; nats.js parses and signs it.
 */
export function authenticatorFor(credentials: NatsCredentials): Authenticator {
  switch (credentials.kind) {
    case 'nkey': {
      const answer = nonceAnswer(nkeySigner(credentials.seed));
      return (nonce) => answer(nonce);
    }
    case 'creds':
      return credsAuthenticator(credentials.creds);
    case 'jwt': {
      const answer = nonceAnswer(nkeySigner(credentials.seed));
      const jwt = credentials.jwt;
      return (nonce) => ({ jwt: jwt(), ...answer(nonce) });
    }
  }
}

/** As nats.js answers: the public key, and the nonce's signature in base64 (empty without a nonce). */
function nonceAnswer(signer: NkeySigner): (nonce?: string) => { nkey: string; sig: string } {
  return (nonce) => ({ nkey: signer.publicKey, sig: nonce ? Buffer.from(signer.sign(encoder.encode(nonce))).toString('base64') : '' });
}

/** A user JWT from the network is at most this long; ours are about 700 bytes. */
export const MAX_USER_JWT_CHARS = 8192;

/**
 * The user public key a NATS user JWT was issued for (its `sub`), or undefined for anything that is not a well-formed,
 * bounded user JWT. The signature is the server's to check; this only stops an agent from storing a token that could
 * never work for its own key.
 */
export function natsUserJwtSubject(jwt: string): string | undefined {
  if (jwt.length > MAX_USER_JWT_CHARS) return undefined;
  const parts = jwt.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { sub?: unknown; nats?: { type?: unknown } };
    if (claims.nats?.type !== 'user' || typeof claims.sub !== 'string' || !isNkeyUserPublicKey(claims.sub)) return undefined;
    return claims.sub;
  } catch {
    return undefined;
  }
}
