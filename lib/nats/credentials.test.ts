import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAccount, encodeUser } from '@nats-io/jwt';
import { createAccount, createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../core/errors.js';
import { isNkeyUserPublicKey, natsUserJwtSubject, nkeyCredentials, nkeyPublicKeyOf, readNatsCredentialsFile } from './credentials.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kha-creds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const decoder = new TextDecoder();

describe('nkey credentials', () => {
  it('accepts a user seed and derives its public key', () => {
    const user = createUser();
    const seed = decoder.decode(user.getSeed());
    expect(nkeyPublicKeyOf(seed)).toBe(user.getPublicKey());
    expect(nkeyCredentials(`${seed}\n`)).toEqual({ kind: 'nkey', seed: new TextEncoder().encode(seed) });
    expect(isNkeyUserPublicKey(user.getPublicKey())).toBe(true);
  });

  it('refuses garbage and non-user seeds without echoing them', () => {
    const account = decoder.decode(createAccount().getSeed());
    expect(() => nkeyCredentials(account)).toThrow(AuthError);
    expect(() => nkeyCredentials(account)).toThrow(/not a user seed/);
    const bad = 'SUNOTASEEDATALL';
    try {
      nkeyCredentials(bad);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain(bad);
    }
    expect(isNkeyUserPublicKey(createAccount().getPublicKey())).toBe(false);
    expect(isNkeyUserPublicKey('U' + 'A'.repeat(55))).toBe(false);
  });
});

describe('readNatsCredentialsFile', () => {
  it('reads a seed file and a .creds file, and refuses files others can read', async () => {
    const seed = decoder.decode(createUser().getSeed());
    const seedFile = join(dir, 'agent.nk');
    await writeFile(seedFile, `${seed}\n`, { mode: 0o600 });
    expect((await readNatsCredentialsFile(seedFile)).kind).toBe('nkey');

    const credsFile = join(dir, 'user.creds');
    await writeFile(
      credsFile,
      `-----BEGIN NATS USER JWT-----\neyJ0eXAi.e30.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
      { mode: 0o600 },
    );
    expect((await readNatsCredentialsFile(credsFile)).kind).toBe('creds');

    await chmod(seedFile, 0o644);
    await expect(readNatsCredentialsFile(seedFile)).rejects.toThrow(/readable by other users \(mode 644\)/);
    await chmod(seedFile, 0o640);
    await expect(readNatsCredentialsFile(seedFile)).rejects.toThrow(AuthError);
    expect((await readNatsCredentialsFile(seedFile, { allowGroupReadable: true })).kind).toBe('nkey');

    const empty = join(dir, 'empty');
    await writeFile(empty, 'nothing here\n', { mode: 0o600 });
    await expect(readNatsCredentialsFile(empty)).rejects.toThrow(/neither a NATS user JWT nor an nkey user seed/);
  });
});

describe('natsUserJwtSubject', () => {
  it('reads the user key of a user JWT an account signed', async () => {
    const user = createUser();
    const jwt = await encodeUser('worker-0', user.getPublicKey(), createAccount());
    expect(natsUserJwtSubject(jwt)).toBe(user.getPublicKey());
  });

  it('refuses what is not a bounded user JWT: an account JWT, garbage, a huge token', async () => {
    const account = createAccount();
    expect(natsUserJwtSubject(await encodeAccount('acct', account))).toBeUndefined();
    expect(natsUserJwtSubject('not.a.jwt!')).toBeUndefined();
    expect(natsUserJwtSubject('a.b')).toBeUndefined();
    expect(natsUserJwtSubject(`a.${Buffer.from('{"sub":1}').toString('base64url')}.c`)).toBeUndefined();
    const big = await encodeUser('x'.repeat(9000), createUser().getPublicKey(), account);
    expect(natsUserJwtSubject(big)).toBeUndefined();
  });
});
