/**
 * An nkey seed's Ed25519 key held by node:crypto, for answering the NATS server's nonce on every (re)connect.
 *
 * Why not @nats-io/nkeys' KeyPair: it signs with tweetnacl's pure-JavaScript Ed25519 and derives the key pair from the
 * seed again for every call (three scalar multiplications per connect). Measured in the fan-out benchmark, that was
 * about 145 ms of CPU per agent connection with the JIT (1000 agents: 153 s of CPU to connect, 124 s of wall time on
 * two cores; a reconnect storm after a nats-server restart did not finish in 120 s), and about 90 ms per signature
 * under the agent's own --jitless. node:crypto signs in OpenSSL: the same connects took 8.5 s of CPU in all.
 * Ed25519 is deterministic (RFC 8032), so the signatures are byte for byte the ones nkeys makes; the tests check that.
 *
 * The seed's text encoding (base32 of prefix bytes, the 32-byte seed and a CRC-16/XMODEM, little endian) is nkeys'
 * own; nkeys keeps its codec internal, so it is decoded here, after nkeys' fromSeed has validated the seed (prefix and
 * checksum), which costs no curve arithmetic.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { fromSeed, type KeyPair } from '@nats-io/nkeys';

export interface NkeySigner {
  /** The public nkey (`U…` for a user) as NATS prints it. */
  readonly publicKey: string;
  /** The Ed25519 signature of `data`. */
  sign(data: Uint8Array): Uint8Array;
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const index = BASE32_ALPHABET.indexOf(ch);
    if (index < 0) throw new Error('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), as nkeys checksums its keys. */
function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** PKCS#8 DER of a raw Ed25519 private key (RFC 8410): this prefix, then the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** nkeys' text form: base32 of the prefix byte(s), the payload and its CRC-16 (little endian). */
function encodeKey(prefix: Uint8Array, payload: Uint8Array): string {
  const body = new Uint8Array(prefix.length + payload.length + 2);
  body.set(prefix);
  body.set(payload, prefix.length);
  const checksum = crc16(body.subarray(0, prefix.length + payload.length));
  body[body.length - 2] = checksum & 0xff;
  body[body.length - 1] = checksum >> 8;
  return base32Encode(body);
}

/** nkeys' prefix byte of private keys ('P'). */
const PRIVATE_PREFIX = 15 << 3;

interface NativeKey {
  readonly key: KeyObject;
  readonly publicRaw: Buffer;
  readonly publicKey: string;
  /** The 64-byte secret (seed, then public key), encoded as nkeys' getPrivateKey does. */
  privateKey(): Uint8Array;
}

/** nkeys' prefix byte of curve (X25519, `SX…`) keys: they seal, they do not sign. */
const CURVE_PREFIX = 23 << 3;

function nativeKey(seed: Uint8Array): NativeKey {
  // Prefix and checksum; nkeys checks the length only when it derives the key, which this code does not ask it to.
  fromSeed(seed);
  const raw = base32Decode(new TextDecoder().decode(seed));
  // raw: two prefix bytes, the 32-byte seed, the checksum. The second prefix byte's top five bits and the first's
  // low three make the public key's prefix byte (nkeys' _decodePrefix).
  const publicPrefix = ((raw[0]! & 7) << 5) | ((raw[1]! & 248) >> 3);
  if (raw.length !== 36 || publicPrefix === CURVE_PREFIX) {
    raw.fill(0);
    throw new Error(raw.length !== 36 ? 'the nkey seed has the wrong length' : 'a curve nkey seed cannot sign');
  }
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, raw.subarray(2, 34)]);
  raw.fill(0);
  const key: KeyObject = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  const publicRaw = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x as string, 'base64url');
  return {
    key,
    publicRaw,
    publicKey: encodeKey(Uint8Array.of(publicPrefix), publicRaw),
    privateKey: () => {
      // The seed is the PKCS#8 document's last 32 bytes (RFC 8410), taken from a buffer that can be zeroed.
      const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
      const secret = Buffer.concat([pkcs8.subarray(ED25519_PKCS8_PREFIX.length), publicRaw]);
      pkcs8.fill(0);
      const encoded = new TextEncoder().encode(encodeKey(Uint8Array.of(PRIVATE_PREFIX), secret));
      secret.fill(0);
      return encoded;
    },
  };
}

/**
 * The signer of an nkey seed (`SU…`, `SA…`, …). Throws whatever nkeys throws for a malformed seed; the message names
 * no part of it.
 */
export function nkeySigner(seed: Uint8Array): NkeySigner {
  const k = nativeKey(seed);
  return { publicKey: k.publicKey, sign: (data) => new Uint8Array(sign(null, data, k.key)) };
}

/**
 * An nkeys KeyPair over the native key, for @nats-io/jwt's encoders: they take a KeyPair and ask it for the public
 * key three times and a signature once per JWT, each a derivation from the seed in nkeys' own (about 20 ms a JWT in
 * the coordinator, which signs one per agent registration and session start). Curve (xkey) sealing is not offered:
 * these are signing keys.
 */
export function nkeyKeyPair(seed: Uint8Array): KeyPair {
  const k = nativeKey(seed);
  let held: Uint8Array | undefined = Uint8Array.from(seed);
  const live = () => {
    if (!held) throw new Error('the nkey pair was cleared');
    return held;
  };
  const notCurve = (): never => {
    throw new Error('not a curve (X) nkey: it cannot seal or open');
  };
  return {
    getPublicKey: () => {
      live();
      return k.publicKey;
    },
    getPrivateKey: () => {
      live();
      return k.privateKey();
    },
    getSeed: () => live(),
    sign: (input) => {
      live();
      return new Uint8Array(sign(null, input, k.key));
    },
    verify: (input, sig) => verify(null, input, createPublicKey(k.key), sig),
    clear: () => {
      held?.fill(0);
      held = undefined;
    },
    seal: notCurve,
    open: notCurve,
  };
}
