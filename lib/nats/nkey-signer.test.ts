import { randomBytes } from 'node:crypto';
import { createAccount, createOperator, createUser, fromPublic } from '@nats-io/nkeys';
import { jwtAuthenticator, nkeyAuthenticator } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { authenticatorFor } from './credentials.js';
import { nkeySigner } from './nkey-signer.js';

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
