/**
 * Who this agent is and whom it trusts, on disk under the state directory (0700, every file 0600): its ECDSA key,
 * its NATS user seed, and, once registered, its certificate, the coordinator CA and what Register returned.
 * Trust starts from the sha256 pin in agent.yaml: fetchPinnedCa() reads the chain the coordinator presents and accepts
 * its CA only if the CA's SubjectPublicKeyInfo hashes to the pin, before a single byte of ours is sent.
 */
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { createUser } from '@nats-io/nkeys';
import { AuthError, KubeadmHaError, SpecError, TimeoutError } from '../core/errors.js';
import { caPinFromCertDer, caPinFromCertPem, derToPem, parsePin, pemToDer, formatPin } from '../core/pin.js';
import { writeFileAtomic, readFileIfExists } from '../lib/fs.js';
import { isTlsNatsUrl } from '../lib/nats/connect.js';
import { natsUserJwtSubject } from '../lib/nats/credentials.js';
import { nkeySigner } from '../lib/nats/nkey-signer.js';
import type { NodeRole } from '../proto/index.js';

/**
 * @peculiar/x509 (and the reflect polyfill it needs) is only for making a CSR at registration; loaded then, so a
 * registered agent's resident memory does not carry it.
 */
async function peculiarX509(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto);
  return x509;
}

export const AGENT_KEY_FILE = 'agent.key';
export const AGENT_CERT_FILE = 'agent.crt';
export const COORDINATOR_CA_FILE = 'coordinator-ca.crt';
export const NATS_SEED_FILE = 'nats.nk';
/** The CA of an external NATS cluster, when the coordinator named one at registration (RegisterResponse.nats_ca_pem). */
export const NATS_CA_FILE = 'nats-ca.crt';
export const REGISTRATION_FILE = 'registration.json';
/** The user JWT the coordinator issued for the NATS key (RegisterResponse.nats_user_jwt, NatsEndpoint.user_jwt). */
export const NATS_USER_JWT_FILE = 'nats-user.jwt';

/** A renewed key and certificate on their way in (saveRenewedCertificate); what a crash left half-done is finished at load. */
const NEXT_KEY_FILE = 'agent.key.next';
const NEXT_CERT_FILE = 'agent.crt.next';

const EC_KEY: webcrypto.EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };

export interface AgentKey {
  readonly privateKeyPem: string;
  readonly keys: webcrypto.CryptoKeyPair;
}

async function ensureStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
}

async function keyPairFromPem(privateKeyPem: string): Promise<webcrypto.CryptoKeyPair> {
  const pkcs8 = createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pkcs8, EC_KEY, false, ['sign']),
    webcrypto.subtle.importKey('spki', spki, EC_KEY, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}

/** A new ECDSA P-256 key, in memory only: a renewal stores it with its certificate (saveRenewedCertificate). */
export async function createAgentKey(): Promise<AgentKey> {
  const generated = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const der = await webcrypto.subtle.exportKey('pkcs8', generated.privateKey);
  const privateKeyPem = derToPem(new Uint8Array(der), 'PRIVATE KEY');
  return { privateKeyPem, keys: await keyPairFromPem(privateKeyPem) };
}

/** The agent's key; kept across re-registrations, replaced by each certificate renewal (which makes a new one). */
export async function loadOrCreateAgentKey(stateDir: string): Promise<AgentKey> {
  const path = join(stateDir, AGENT_KEY_FILE);
  const existing = await readFileIfExists(path);
  if (existing !== undefined) return { privateKeyPem: existing, keys: await keyPairFromPem(existing) };
  await ensureStateDir(stateDir);
  const key = await createAgentKey();
  await writeFileAtomic(path, key.privateKeyPem, 0o600);
  return key;
}

/** Whether the certificate carries the public half of the private key. */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const fromCert = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/**
 * Replaces the key and certificate with a renewed pair (0600). Both are written whole beside the current ones first,
 * then moved in key first; a crash in between leaves a new key with the old certificate and the new certificate
 * beside it, which the next load finishes (finishRenewal). Until then the old pair stays usable: the coordinator
 * accepts the replaced certificate until the renewed one has opened a session.
 */
export async function saveRenewedCertificate(stateDir: string, keyPem: string, certPem: string): Promise<void> {
  if (!keyMatchesCert(keyPem, certPem)) throw new AuthError('the renewed certificate is not for the key this agent made');
  await ensureStateDir(stateDir);
  await writeFileAtomic(join(stateDir, NEXT_KEY_FILE), keyPem, 0o600);
  await writeFileAtomic(join(stateDir, NEXT_CERT_FILE), certPem, 0o600);
  await rename(join(stateDir, NEXT_KEY_FILE), join(stateDir, AGENT_KEY_FILE));
  await rename(join(stateDir, NEXT_CERT_FILE), join(stateDir, AGENT_CERT_FILE));
}

/** Completes a renewal a crash interrupted, or drops its leftovers when the current pair is not the one they belong to. */
async function finishRenewal(stateDir: string): Promise<void> {
  const [nextKey, nextCert] = await Promise.all([NEXT_KEY_FILE, NEXT_CERT_FILE].map((f) => readFileIfExists(join(stateDir, f))));
  if (nextCert === undefined) {
    if (nextKey !== undefined) await rm(join(stateDir, NEXT_KEY_FILE), { force: true });
    return;
  }
  if (nextKey !== undefined && keyMatchesCert(nextKey, nextCert)) await rename(join(stateDir, NEXT_KEY_FILE), join(stateDir, AGENT_KEY_FILE));
  const key = await readFileIfExists(join(stateDir, AGENT_KEY_FILE));
  if (key !== undefined && keyMatchesCert(key, nextCert)) await rename(join(stateDir, NEXT_CERT_FILE), join(stateDir, AGENT_CERT_FILE));
  else await rm(join(stateDir, NEXT_CERT_FILE), { force: true });
  await rm(join(stateDir, NEXT_KEY_FILE), { force: true });
}

/** A PKCS#10 request proving possession of the key. The coordinator sets the certificate's CN itself. */
export async function createCsr(key: AgentKey, name: string): Promise<string> {
  const x509 = await peculiarX509();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [name] }],
    keys: key.keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return csr.toString('pem') + '\n';
}

/** The NATS user nkey; only its public part ever leaves the host. */
export async function loadOrCreateNatsUserKey(stateDir: string): Promise<{ publicKey: string; seedPath: string }> {
  const seedPath = join(stateDir, NATS_SEED_FILE);
  const existing = await readFileIfExists(seedPath);
  if (existing !== undefined) return { publicKey: nkeySigner(new TextEncoder().encode(existing.trim())).publicKey, seedPath };
  await ensureStateDir(stateDir);
  const user = createUser();
  await writeFileAtomic(seedPath, new TextDecoder().decode(user.getSeed()) + '\n', 0o600);
  return { publicKey: user.getPublicKey(), seedPath };
}

/**
 * Keeps a user JWT from the coordinator when it is one for this agent's own NATS key; returns whether it is (false:
 * malformed, or for another key; the stored one stays). The file is rewritten only when it differs, but the caller
 * takes the JWT either way: a registration in this process may have stored it while the daemon still holds an older one.
 * Who may cause it: the coordinator, in the Register answer or at a Session start over the channel this agent pinned;
 * it reaches this one 0600 file.
 */
export async function saveNatsUserJwt(stateDir: string, jwt: string): Promise<boolean> {
  const seed = await readFileIfExists(join(stateDir, NATS_SEED_FILE));
  if (seed === undefined || natsUserJwtSubject(jwt) !== nkeySigner(new TextEncoder().encode(seed.trim())).publicKey) return false;
  if ((await loadNatsUserJwt(stateDir)) !== jwt) await writeFileAtomic(join(stateDir, NATS_USER_JWT_FILE), `${jwt}\n`, 0o600);
  return true;
}

/** The stored user JWT, or undefined before the coordinator sent one (an external NATS never does). */
export async function loadNatsUserJwt(stateDir: string): Promise<string | undefined> {
  return (await readFileIfExists(join(stateDir, NATS_USER_JWT_FILE)))?.trim() || undefined;
}

// ---- registration state ----

export interface Registration {
  readonly agentName: string;
  readonly clusterName: string;
  readonly natsUrl: string;
  /**
   * The CA to verify the NATS servers with when they are not the coordinator's own (an external cluster). Absent:
   * the embedded server, verified against `caPem`, the pinned coordinator CA.
   */
  readonly natsCaPem?: string;
  readonly role?: NodeRole;
  /** The coordinator address this registration was made with. */
  readonly coordinator: string;
  readonly caPin: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

type RegistrationMeta = Omit<Registration, 'caPem' | 'certPem' | 'keyPem' | 'natsCaPem'>;

export async function saveRegistration(stateDir: string, reg: Registration): Promise<void> {
  await ensureStateDir(stateDir);
  await writeFileAtomic(join(stateDir, COORDINATOR_CA_FILE), reg.caPem, 0o600);
  await writeFileAtomic(join(stateDir, AGENT_CERT_FILE), reg.certPem, 0o600);
  // Written last: its presence means the rest is complete.
  await saveNatsAndMeta(stateDir, reg);
}

/**
 * The NATS CA and registration.json only. A NATS endpoint move writes nothing else: rewriting the certificate it read
 * a moment earlier could undo a certificate renewal stored in between, leaving a key and a certificate that differ.
 */
async function saveNatsAndMeta(stateDir: string, reg: Registration): Promise<void> {
  const meta: RegistrationMeta = {
    agentName: reg.agentName,
    clusterName: reg.clusterName,
    natsUrl: reg.natsUrl,
    role: reg.role,
    coordinator: reg.coordinator,
    caPin: reg.caPin,
  };
  if (reg.natsCaPem) await writeFileAtomic(join(stateDir, NATS_CA_FILE), reg.natsCaPem, 0o600);
  else await rm(join(stateDir, NATS_CA_FILE), { force: true });
  await writeFileAtomic(join(stateDir, REGISTRATION_FILE), JSON.stringify(meta, null, 2) + '\n', 0o600);
}

/** Forgets the certificate (not the key): the next start registers again with the bootstrap token. */
export async function forgetRegistration(stateDir: string): Promise<void> {
  await rm(join(stateDir, REGISTRATION_FILE), { force: true });
  await rm(join(stateDir, AGENT_CERT_FILE), { force: true });
}

/** A registration whose certificate expired: it cannot open a session, and only a token bound to its name replaces it. */
export interface ExpiredRegistration {
  readonly agentName: string;
  readonly role?: NodeRole;
  readonly notAfter: Date;
}

export type LoadedRegistration = { registration: Registration } | { registration?: undefined; reason: string; expired?: ExpiredRegistration };

/**
 * The stored registration if it is complete, made under the pin agent.yaml holds today, and not expired. A certificate
 * near its end is still returned: the session renews it (session-client.ts), no token needed.
 */
export async function loadRegistration(stateDir: string, expectedPin: string, now = new Date()): Promise<LoadedRegistration> {
  await finishRenewal(stateDir);
  const metaText = await readFileIfExists(join(stateDir, REGISTRATION_FILE));
  if (metaText === undefined) return { reason: 'not registered yet' };
  const [caPem, certPem, keyPem] = await Promise.all([COORDINATOR_CA_FILE, AGENT_CERT_FILE, AGENT_KEY_FILE].map((f) => readFileIfExists(join(stateDir, f))));
  if (!caPem || !certPem || !keyPem) return { reason: `registration in ${stateDir} is incomplete` };
  let meta: RegistrationMeta;
  try {
    meta = JSON.parse(metaText) as RegistrationMeta;
  } catch {
    return { reason: `${REGISTRATION_FILE} is not valid JSON` };
  }
  const pin = formatPin(parsePin(expectedPin).hex);
  if (caPinFromCertPem(caPem) !== pin) return { reason: `the stored coordinator CA does not match caCertHash ${pin} (was the coordinator replaced?)` };
  const cert = new X509Certificate(certPem);
  if (!cert.checkIssued(new X509Certificate(caPem))) return { reason: 'the stored certificate was not issued by the stored coordinator CA' };
  if (!keyMatchesCert(keyPem, certPem)) return { reason: `the stored key and certificate in ${stateDir} do not belong together` };
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    return {
      reason: `the agent certificate expired at ${notAfter.toISOString()}`,
      expired: { agentName: meta.agentName, ...(meta.role ? { role: meta.role } : {}), notAfter },
    };
  }
  const natsCaPem = await readFileIfExists(join(stateDir, NATS_CA_FILE));
  return { registration: { ...meta, caPem, certPem, keyPem, ...(natsCaPem ? { natsCaPem } : {}) } };
}

/** A NATS URL list the coordinator may send: bounded, nats:// or tls:// only, each a host:port. */
const NATS_URL_RE = /^(?:nats|tls):\/\/(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const MAX_NATS_ENDPOINT_CHARS = 64 * 1024;

/**
 * Stores where the backend set is read from now, when the coordinator says it moved (at every session start). Who
 * may cause it: the coordinator, over the session opened to the pinned address and CA; what it reaches: the NATS URL
 * in registration.json and the NATS CA file, both the agent's own. Returns the registration to follow when something
 * changed, undefined when nothing did. A malformed endpoint is refused and the stored one kept.
 */
export async function moveNatsEndpoint(stateDir: string, expectedPin: string, endpoint: { url: string; caPem: string }): Promise<Registration | undefined> {
  const urls = endpoint.url.split(',').map((u) => u.trim());
  if (endpoint.url.length > MAX_NATS_ENDPOINT_CHARS || urls.length === 0 || !urls.every((u) => NATS_URL_RE.test(u))) {
    throw new SpecError('NATS endpoint from the coordinator', [{ path: 'url', message: 'is not a list of nats:// or tls:// host:port URLs' }]);
  }
  if (endpoint.caPem) {
    if (endpoint.caPem.length > MAX_NATS_ENDPOINT_CHARS)
      throw new SpecError('NATS endpoint from the coordinator', [{ path: 'caPem', message: 'is too large' }]);
    try {
      new X509Certificate(endpoint.caPem);
    } catch {
      throw new SpecError('NATS endpoint from the coordinator', [{ path: 'caPem', message: 'is not a PEM certificate' }]);
    }
  }
  const loaded = await loadRegistration(stateDir, expectedPin);
  if (!loaded.registration) return undefined;
  const current = loaded.registration;
  const url = urls.join(',');
  if (current.natsUrl === url && (current.natsCaPem ?? '') === endpoint.caPem) return undefined;
  const { natsCaPem: _old, ...rest } = current;
  const next: Registration = { ...rest, natsUrl: url, ...(endpoint.caPem ? { natsCaPem: endpoint.caPem } : {}) };
  await saveNatsAndMeta(stateDir, next);
  return next;
}

/**
 * How the agent verifies the NATS server that sends it the backend set. A `tls://` URL (the embedded server always;
 * an external one unless the coordinator runs with --nats-insecure) is verified against the external cluster's CA
 * from the registration, else against the pinned coordinator CA, never the system trust store: a host on the path
 * cannot get a certificate from either. A `nats://` URL is the operator's explicit choice of plaintext.
 */
export function natsTlsFor(reg: Pick<Registration, 'natsUrl' | 'natsCaPem' | 'caPem'>): { ca: string } | undefined {
  return isTlsNatsUrl(reg.natsUrl) ? { ca: reg.natsCaPem || reg.caPem } : undefined;
}

// ---- trust bootstrap ----

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new SpecError('coordinator address', [{ path: 'coordinator', message: `"${address}" is not host:port` }]);
  return { host: m[1] ?? m[2]!, port };
}

function peerChain(socket: tls.TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && chain.length < 8) {
    chain.push(cert.raw);
    const issuer: tls.DetailedPeerCertificate | undefined = cert.issuerCertificate;
    if (!issuer || issuer === cert || issuer.raw?.equals(cert.raw)) break;
    cert = issuer;
  }
  return chain;
}

/**
 * Connects to the coordinator, takes the certificate chain it presents and returns the CA certificate (PEM) whose
 * public key hashes to `pin`, after checking that it really issued the serving certificate and that the serving
 * certificate is valid for the address dialled. Nothing is sent but a TLS ClientHello. A mismatch is an AuthError
 * naming both pins.
 */
export async function fetchPinnedCa(address: string, pin: string, opts: { timeoutMs?: number } = {}): Promise<string> {
  const expected = formatPin(parsePin(pin, 'caCertHash').hex);
  const { host, port } = splitAddress(address);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const chain = await new Promise<{ chain: Buffer[]; leaf: tls.PeerCertificate }>((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      servername: isIP(host) ? undefined : host,
      // Verification happens below, against the pin; the chain is not trusted until then and nothing is sent.
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError(`no TLS handshake with coordinator ${address} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const leaf = socket.getPeerCertificate(false);
      const result = { chain: peerChain(socket), leaf };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new KubeadmHaError(`cannot reach coordinator ${address}: ${err.message}`, {}, { cause: err }));
    });
  });

  if (chain.chain.length === 0) throw new AuthError(`coordinator ${address} presented no certificate`);
  const pins = chain.chain.map((der) => caPinFromCertDer(der));
  const index = pins.indexOf(expected);
  if (index < 0) {
    throw new AuthError(
      `coordinator ${address} is not the one agent.yaml pins: its CA is ${pins[pins.length - 1]} but caCertHash is ${expected}; refusing to send anything to it`,
    );
  }
  const ca = new X509Certificate(chain.chain[index]!);
  const leaf = new X509Certificate(chain.chain[0]!);
  if (!ca.ca) throw new AuthError(`coordinator ${address}: the certificate matching ${expected} is not a CA certificate`);
  if (index === 0 || !leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) {
    throw new AuthError(`coordinator ${address}: its serving certificate was not issued by the pinned CA ${expected}`);
  }
  const identityError = tls.checkServerIdentity(host, chain.leaf);
  if (identityError)
    throw new AuthError(`coordinator ${address}: serving certificate is not valid for "${host}" (${identityError.message}); dial an address in its SANs`);
  const now = Date.now();
  if (Date.parse(leaf.validFrom) > now || Date.parse(leaf.validTo) < now) {
    throw new AuthError(`coordinator ${address}: serving certificate is outside its validity (${leaf.validFrom} – ${leaf.validTo}); check both clocks`);
  }
  return derToPem(new Uint8Array(chain.chain[index]!));
}

/** The PEM of the coordinator CA must hash to the pin; used to double-check what Register returns. */
export function assertCaMatchesPin(caPem: string, pin: string, what: string): void {
  const expected = formatPin(parsePin(pin, 'caCertHash').hex);
  const actual = caPinFromCertDer(pemToDer(caPem));
  if (actual !== expected) throw new AuthError(`${what}: CA ${actual} does not match caCertHash ${expected}`);
}
