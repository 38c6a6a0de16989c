/**
 * CA pins in kubeadm's format: `sha256:<hex>` of the DER-encoded SubjectPublicKeyInfo of the CA certificate, exactly
 * what `--discovery-token-ca-cert-hash` holds (kubeadm hashes x509.Certificate.RawSubjectPublicKeyInfo). The SPKI is
 * cut out of the certificate's own bytes rather than re-encoded from the key, so the pin cannot drift from kubeadm's.
 * Hashing is deterministic, so using node:crypto's sha256 keeps this module pure.
 */
import { createHash } from 'node:crypto';
import { SpecError } from './errors.js';

export const PIN_ALGORITHM = 'sha256';
const PIN_RE = /^sha256:([a-f0-9]{64})$/;

export interface ParsedPin {
  readonly algorithm: typeof PIN_ALGORITHM;
  readonly hex: string;
}

// ---- PEM ----

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** Every PEM block in the text, in order. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    blocks.push({ label: m[1]!, der: new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')) });
  }
  return blocks;
}

/** The DER bytes of the first block with this label; throws SpecError when there is none. */
export function pemToDer(text: string, label = 'CERTIFICATE'): Uint8Array {
  const block = pemBlocks(text).find((b) => b.label === label);
  if (!block) throw new SpecError('PEM', [{ path: '(document)', message: `no "${label}" block found` }]);
  return block.der;
}

export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// ---- DER, just enough to find tbsCertificate.subjectPublicKeyInfo ----

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  const fail = (why: string): never => {
    throw new SpecError('certificate', [{ path: `DER offset ${offset}`, message: why }]);
  };
  if (offset + 2 > limit) fail('truncated');
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) fail('high-tag-number form is not used in certificates');
  let length = der[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) fail('indefinite or oversized length');
    if (contentStart + count > limit) fail('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) fail('element runs past its container');
  return { tag, start: offset, contentStart, end };
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const EXPLICIT_VERSION = 0xa0;

/** The raw DER bytes of the certificate's SubjectPublicKeyInfo (the whole TLV, as kubeadm hashes it). */
export function subjectPublicKeyInfoFromCertDer(der: Uint8Array): Uint8Array {
  const cert = readTlv(der, 0, der.length);
  if (cert.tag !== SEQUENCE) throw new SpecError('certificate', [{ path: 'Certificate', message: 'not a DER SEQUENCE' }]);
  const tbs = readTlv(der, cert.contentStart, cert.end);
  if (tbs.tag !== SEQUENCE) throw new SpecError('certificate', [{ path: 'tbsCertificate', message: 'not a DER SEQUENCE' }]);
  let at = tbs.contentStart;
  let field = readTlv(der, at, tbs.end);
  if (field.tag === EXPLICIT_VERSION) {
    at = field.end;
    field = readTlv(der, at, tbs.end);
  }
  if (field.tag !== INTEGER) throw new SpecError('certificate', [{ path: 'tbsCertificate.serialNumber', message: 'missing' }]);
  // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
  for (let i = 0; i < 5; i++) {
    at = field.end;
    field = readTlv(der, at, tbs.end);
  }
  if (field.tag !== SEQUENCE) throw new SpecError('certificate', [{ path: 'tbsCertificate.subjectPublicKeyInfo', message: 'not a DER SEQUENCE' }]);
  return der.subarray(field.start, field.end);
}

// ---- pins ----

export function formatPin(hex: string): string {
  return `${PIN_ALGORITHM}:${hex}`;
}

export function caPinFromCertDer(der: Uint8Array): string {
  return formatPin(createHash('sha256').update(subjectPublicKeyInfoFromCertDer(der)).digest('hex'));
}

/** The pin of the first certificate in the PEM text. */
export function caPinFromCertPem(pem: string): string {
  return caPinFromCertDer(pemToDer(pem, 'CERTIFICATE'));
}

/** Accepts kubeadm's spelling (`sha256:` + 64 hex, any case) and normalizes to lowercase. */
export function parsePin(text: string, source = 'CA pin'): ParsedPin {
  const normalized = text.trim().toLowerCase();
  const m = PIN_RE.exec(normalized);
  if (!m) {
    throw new SpecError(source, [
      {
        path: '(value)',
        message:
          'must be "sha256:" followed by 64 hex digits, the sha256 of the CA certificate\'s SubjectPublicKeyInfo (as kubeadm\'s --discovery-token-ca-cert-hash)',
      },
    ]);
  }
  return { algorithm: PIN_ALGORITHM, hex: m[1]! };
}

/** Whether the certificate (PEM text or DER bytes) has the pinned public key. */
export function pinMatches(pin: string | ParsedPin, cert: string | Uint8Array): boolean {
  const expected = typeof pin === 'string' ? parsePin(pin) : pin;
  const actual = typeof cert === 'string' ? caPinFromCertPem(cert) : caPinFromCertDer(cert);
  return actual === formatPin(expected.hex);
}
