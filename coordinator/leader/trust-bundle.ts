/**
 * Shared trust for coordinator HA: every coordinator of a cluster signs with the same CA (agents pinned it, their
 * certificates and admin.conf chain to it). A standby gets it the way kubeadm shares the control-plane certificates
 * (`upload-certs` and `--certificate-key`): the leader seals its CA certificate and key (and, on an external NATS
 * cluster, the auth keys that sign agent users) with AES-256-GCM under a fresh
 * random key, stores only the sealed bundle in the state bucket for TRUST_BUNDLE_TTL_MS, and hands the key to the
 * operator who asked (`coordinatorctl coordinators upload-trust`). The standby is started with that key in a file
 * (`--trust-key-file`, never argv), opens the bundle, writes the CA into its data dir and deletes the bundle: one use.
 *
 * Who may cause what: sealing is an admin call (admin.conf's certificate) on the leader; the bundle in NATS is
 * ciphertext whose key never travels through NATS, bound to the cluster's name (additional data); opening it needs
 * the key the operator copies to the standby's host. The key is printed once by coordinatorctl and never logged.
 */
import { createCipheriv, createDecipheriv, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { AuthError, InputError, PreconditionError } from '../../core/errors.js';
import { writeFileAtomic } from '../../lib/fs.js';
import { clusterPrefix } from '../state/keys.js';
import { SHARED_AUTH_FILES } from '../nats/external-auth.js';
import { CA_CERT_FILE, CA_KEY_FILE, loadOrCreateCa, type CertificateAuthority } from '../pki/ca.js';

/** As long as kubeadm keeps its uploaded certificates (the kubeadm-certs Secret). */
export const TRUST_BUNDLE_TTL_MS = 2 * 3600_000;
const KEY_BYTES = 32;
const IV_BYTES = 12;

export function trustBundleKey(cluster: string): string {
  return `${clusterPrefix(cluster)}.trust-bundle`;
}

const sealedSchema = z.strictObject({
  iv: z.string().regex(/^[A-Za-z0-9+/=]{16}$/),
  tag: z.string().regex(/^[A-Za-z0-9+/=]{24}$/),
  ciphertext: z.string().max(64 * 1024),
  expiresAt: z.iso.datetime({ offset: true }),
  /** The CA's pin, so that a standby that already has a CA can say whether it is the same one without the key. */
  caPin: z.string().max(100),
});

const contentSchema = z.strictObject({
  caCertPem: z.string().max(16 * 1024),
  caKeyPem: z.string().max(16 * 1024),
  /** The external cluster's auth keys (nats/external-auth.ts), by file name: what signs and revokes agent users. */
  natsAuth: z.partialRecord(z.enum(SHARED_AUTH_FILES), z.string().max(8 * 1024)).optional(),
});

function additionalData(cluster: string): Buffer {
  return Buffer.from(`kubeadm-ha trust bundle for cluster ${cluster}`, 'utf8');
}

/**
 * Seals the CA of `pkiDir` (and the NATS auth keys of `authDir`, when it has them) and stores it; returns the key (hex)
 * for the operator and when the bundle expires.
 */
export async function uploadTrustBundle(
  kv: KV,
  cluster: string,
  pkiDir: string,
  caPin: string,
  authDir?: string,
  now = new Date(),
): Promise<{ key: string; expiresAt: string }> {
  const [caCertPem, caKeyPem] = await Promise.all([readFile(join(pkiDir, CA_CERT_FILE), 'utf8'), readFile(join(pkiDir, CA_KEY_FILE), 'utf8')]);
  const natsAuth: Record<string, string> = {};
  if (authDir) {
    for (const name of SHARED_AUTH_FILES) {
      const text = await readFile(join(authDir, name), 'utf8').catch(() => undefined);
      if (text !== undefined) natsAuth[name] = text;
    }
  }
  const key = randomBytes(KEY_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(additionalData(cluster));
  const plain = Buffer.from(JSON.stringify({ caCertPem, caKeyPem, ...(Object.keys(natsAuth).length > 0 ? { natsAuth } : {}) }), 'utf8');
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  const expiresAt = new Date(now.getTime() + TRUST_BUNDLE_TTL_MS).toISOString();
  const sealed = { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64'), expiresAt, caPin };
  // A newer upload replaces an unused older one, history included (the bucket keeps revisions): only the last key
  // printed opens anything.
  await kv.purge(trustBundleKey(cluster));
  await kv.put(trustBundleKey(cluster), JSON.stringify(sealedSchema.parse(sealed)));
  const hex = key.toString('hex');
  key.fill(0);
  return { key: hex, expiresAt };
}

/**
 * Opens the bundle with the key from `keyFile`, writes the CA into `pkiDir` (key 0600) and deletes the bundle (by
 * compare-and-set: two standbys racing with one key, one wins). Every refusal is one line naming what to do.
 */
export async function fetchTrustBundle(
  kv: KV,
  cluster: string,
  keyFile: string,
  pkiDir: string,
  authDir?: string,
  now = new Date(),
): Promise<{ caPin: string }> {
  const mode = await stat(keyFile).then(
    (s) => s.mode,
    (err: NodeJS.ErrnoException) => {
      throw new InputError(`--trust-key-file ${keyFile}: ${err.code ?? err.message}`);
    },
  );
  if ((mode & 0o077) !== 0) throw new InputError(`--trust-key-file ${keyFile} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 0600 it`);
  const keyText = (
    await readFile(keyFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`--trust-key-file ${keyFile}: ${err.code ?? err.message}`);
    })
  ).trim();
  if (!/^[0-9a-f]{64}$/.test(keyText))
    throw new InputError(`--trust-key-file ${keyFile} does not hold the 64 hex digits coordinatorctl coordinators upload-trust printed`);
  const entry = await kv.get(trustBundleKey(cluster));
  if (entry?.operation !== 'PUT') {
    throw new PreconditionError(
      `no trust bundle for cluster ${cluster} in NATS (used already, or never uploaded); run coordinatorctl coordinators upload-trust against the leader and start again with the new key`,
    );
  }
  const parsed = sealedSchema.safeParse(JSON.parse(new TextDecoder().decode(entry.value)));
  if (!parsed.success) throw new PreconditionError(`the trust bundle of cluster ${cluster} in NATS is damaged; upload it again`);
  const sealed = parsed.data;
  if (Date.parse(sealed.expiresAt) <= now.getTime()) {
    throw new PreconditionError(`the trust bundle of cluster ${cluster} expired at ${sealed.expiresAt}; run coordinatorctl coordinators upload-trust again`);
  }
  const key = Buffer.from(keyText, 'hex');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(additionalData(cluster));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    plain = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new AuthError(
      `--trust-key-file ${keyFile}: the key does not open the trust bundle of cluster ${cluster} (a later upload replaced it, or the key is mistyped)`,
    );
  } finally {
    key.fill(0);
  }
  const content = contentSchema.parse(JSON.parse(plain.toString('utf8')));
  plain.fill(0);
  new X509Certificate(content.caCertPem);
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(pkiDir, CA_KEY_FILE), content.caKeyPem, 0o600);
  await writeFileAtomic(join(pkiDir, CA_CERT_FILE), content.caCertPem, 0o644);
  if (authDir && content.natsAuth) {
    await mkdir(authDir, { recursive: true, mode: 0o700 });
    for (const [name, text] of Object.entries(content.natsAuth)) await writeFileAtomic(join(authDir, name), text, 0o600);
  }
  // Purged, not deleted: a delete keeps the ciphertext in the key's history, where the same key would open it again.
  await kv.purge(trustBundleKey(cluster), { previousSeq: entry.revision }).catch(() => undefined);
  return { caPin: sealed.caPin };
}

export function clusterCaKey(cluster: string): string {
  return `${clusterPrefix(cluster)}.ca-pin`;
}

async function storedCaPin(kv: KV, cluster: string): Promise<string | undefined> {
  const entry = await kv.get(clusterCaKey(cluster));
  return entry?.operation === 'PUT' ? new TextDecoder().decode(entry.value).trim() : undefined;
}

/**
 * The CA this coordinator signs with, on an external NATS shared with other coordinators: the one in its data dir;
 * the cluster's, brought with `--trust-key-file`; or a new one when the cluster has none yet. A data dir without a CA
 * for a cluster that has one is refused, never given a second CA (agents would refuse it, or worse, trust two).
 */
export async function adoptClusterCa(
  kv: KV,
  cluster: string,
  pkiDir: string,
  trustKeyFile: string | undefined,
  authDir?: string,
): Promise<CertificateAuthority> {
  const stored = await storedCaPin(kv, cluster);
  const haveCa = await readFile(join(pkiDir, CA_KEY_FILE)).then(
    () => true,
    () => false,
  );
  if (trustKeyFile && haveCa) {
    const ca = await loadOrCreateCa(pkiDir);
    if (ca.pin === stored) return ca;
    throw new PreconditionError(
      `${pkiDir} already holds a CA (${ca.pin}) that is not cluster ${cluster}'s; start with another --data-dir to bring the cluster's CA`,
    );
  }
  if (trustKeyFile) await fetchTrustBundle(kv, cluster, trustKeyFile, pkiDir, authDir);
  else if (!haveCa && stored) {
    throw new PreconditionError(
      `cluster ${cluster} in NATS has a CA (${stored}) and ${pkiDir} has none: run coordinatorctl coordinators upload-trust against the leader and start this coordinator with --trust-key-file FILE holding the key it prints`,
    );
  }
  return loadOrCreateCa(pkiDir);
}

/** Records the cluster's CA pin at the first start (create-only) and refuses a coordinator with another CA. */
export async function claimClusterCa(kv: KV, cluster: string, pin: string, pkiDir: string): Promise<void> {
  let stored = await storedCaPin(kv, cluster);
  if (stored === undefined) {
    await kv.create(clusterCaKey(cluster), pin).catch(() => undefined);
    stored = await storedCaPin(kv, cluster);
  }
  if (stored !== pin) {
    throw new PreconditionError(
      `cluster ${cluster} in NATS is signed by CA ${stored ?? '(unreadable)'}, not by this coordinator's ${pin} (${pkiDir}); bring the cluster's CA with coordinatorctl coordinators upload-trust and --trust-key-file`,
    );
  }
}
