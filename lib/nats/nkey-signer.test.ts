import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { encodeUser } from '@nats-io/jwt';
import { createAccount, createCurve, createOperator, createUser, fromPublic } from '@nats-io/nkeys';
import { jwtAuthenticator, nkeyAuthenticator } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { authenticatorFor } from './credentials.js';
import { nkeyKeyPair, nkeySigner } from './nkey-signer.js';

describe('nkeySigner (node:crypto Ed25519 for nkey seeds)', () => {
  it("derives nkeys' public key and makes nkeys' signatures, byte for byte, for users, accounts and operators", () => {
    for (const kp of [...Array.from({ length: 20 }, () => createUser()), createAccount(), createOperator()]) {
      const signer = nkeySigner(kp.getSeed());
      expect(signer.publicKey).toBe(kp.getPublicKey());
      const data = randomBytes(1 + (kp.getPublicKey().charCodeAt(5) % 64));
      const sig = signer.sign(data);
      expect(Buffer.from(sig).toString('hex')).toBe(Buffer.from(kp.sign(data)).toString('hex'));
      expect(fromPublic(signer.publicKey).verify(data, sig)).toBe(true);
      expect(fromPublic(signer.publicKey).verify(Buffer.from('other'), sig)).toBe(false);
    }
  });

  it('refuses a seed with a broken checksum or alphabet, naming no part of it', () => {
    const seed = new TextDecoder().decode(createUser().getSeed());
    const flipped = seed.slice(0, 10) + (seed[10] === 'A' ? 'B' : 'A') + seed.slice(11);
    for (const bad of [flipped, `${seed.slice(0, -1)}1`, 'SUAAAA', '']) {
      let message = '';
      try {
        nkeySigner(new TextEncoder().encode(bad));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, bad).not.toBe('');
      if (bad.length > 8) expect(message).not.toContain(bad.slice(4, 20));
    }
  });

  it('refuses a seed of the wrong length with a valid checksum, and a curve seed (nkeys checked neither up front)', () => {
    // nkeys' own encoder, without its length check: what a truncated or padded seed file with a fixed-up CRC holds.
    const { Codec } = createRequire(import.meta.url)('@nats-io/nkeys/lib/codec.js') as {
      Codec: { _encode(seed: boolean, role: number, payload: Uint8Array): Uint8Array };
    };
    const USER = 20 << 3;
    for (const length of [31, 33, 64]) {
      const seed = Codec._encode(true, USER, new Uint8Array(randomBytes(length)));
      expect(() => nkeySigner(seed), `${length} bytes`).toThrow(/wrong length/);
      expect(() => nkeyKeyPair(seed)).toThrow(/wrong length/);
    }
    expect(() => nkeySigner(createCurve().getSeed())).toThrow(/curve/);
  });

  it("answers the server's nonce as nats.js does, for nkey and JWT credentials, and without a nonce", () => {
    const user = createUser();
    const seed = user.getSeed();
    const nonce = 'c3VwZXItcmFuZG9tLW5vbmNl';
    let jwt = 'first.jwt.value';
    const ours = authenticatorFor({ kind: 'jwt', jwt: () => jwt, seed });
    const theirs = jwtAuthenticator(() => jwt, seed);
    expect(ours(nonce)).toEqual(theirs(nonce));
    jwt = 'second.jwt.value';
    // The JWT is read on every connect: one replaced while connected is the one the next connect presents.
    expect(ours(nonce)).toEqual(theirs(nonce));
    expect(ours(nonce)).toMatchObject({ jwt: 'second.jwt.value' });
    expect(ours(undefined)).toEqual(theirs(undefined));
    expect(authenticatorFor({ kind: 'nkey', seed })(nonce)).toEqual(nkeyAuthenticator(seed)(nonce));
  });
});

describe('nkeyKeyPair (a KeyPair for @nats-io/jwt)', () => {
  it("answers as nkeys' own pair: public and private key, seed, signatures, verification; cleared, it refuses", () => {
    for (const kp of [createAccount(), createOperator(), createUser()]) {
      const ours = nkeyKeyPair(kp.getSeed());
      expect(ours.getPublicKey()).toBe(kp.getPublicKey());
      expect(new TextDecoder().decode(ours.getPrivateKey())).toBe(new TextDecoder().decode(kp.getPrivateKey()));
      expect(new TextDecoder().decode(ours.getSeed())).toBe(new TextDecoder().decode(kp.getSeed()));
      const data = Buffer.from('claims');
      expect(Buffer.from(ours.sign(data)).toString('hex')).toBe(Buffer.from(kp.sign(data)).toString('hex'));
      expect(ours.verify(data, kp.sign(data))).toBe(true);
      expect(ours.verify(Buffer.from('other'), kp.sign(data))).toBe(false);
      expect(() => ours.seal(data, kp.getPublicKey())).toThrow(/not a curve/);
      ours.clear();
      expect(() => ours.sign(data)).toThrow(/cleared/);
      expect(() => ours.getSeed()).toThrow(/cleared/);
    }
  });

  it('signs user JWTs that verify under the account key, with the same claims as nkeys would sign', async () => {
    const account = createAccount();
    const user = createUser();
    const jwt = await encodeUser('agent', user.getPublicKey(), nkeyKeyPair(account.getSeed()), { sub: { allow: ['x'] } });
    const [header, claims, sig] = jwt.split('.') as [string, string, string];
    expect(fromPublic(account.getPublicKey()).verify(new TextEncoder().encode(`${header}.${claims}`), Buffer.from(sig, 'base64url'))).toBe(true);
    const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
    expect(decoded).toMatchObject({ iss: account.getPublicKey(), sub: user.getPublicKey(), name: 'agent' });
    expect(decoded.nats.sub).toEqual({ allow: ['x'] });
  });
});
