import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeUser } from '@nats-io/jwt';
import { createAccount, createUser } from '@nats-io/nkeys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NATS_USER_JWT_FILE, loadNatsUserJwt, loadOrCreateNatsUserKey, saveNatsUserJwt } from './identity.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'kha-identity-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('the NATS user JWT the coordinator sends', () => {
  it('is kept (0600) when it is for this agent key, and replaced by a newer one', async () => {
    const { publicKey } = await loadOrCreateNatsUserKey(stateDir);
    const account = createAccount();
    const first = await encodeUser('worker-0', publicKey, account);
    expect(await saveNatsUserJwt(stateDir, first)).toBe(true);
    expect(await loadNatsUserJwt(stateDir)).toBe(first);
    expect((await stat(join(stateDir, NATS_USER_JWT_FILE))).mode & 0o777).toBe(0o600);
    // The same one again is still this agent's (the caller keeps it) and leaves the file as it is; another one for the
    // same key replaces it.
    const written = (await stat(join(stateDir, NATS_USER_JWT_FILE))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await saveNatsUserJwt(stateDir, first)).toBe(true);
    expect((await stat(join(stateDir, NATS_USER_JWT_FILE))).mtimeMs).toBe(written);
    const second = await encodeUser('worker-0', publicKey, account, {}, { exp: Math.floor(Date.now() / 1000) + 3600 });
    expect(await saveNatsUserJwt(stateDir, second)).toBe(true);
    expect(await loadNatsUserJwt(stateDir)).toBe(second);
  });

  it('is refused when it is for another key or is not a user JWT: the stored one stays', async () => {
    const { publicKey } = await loadOrCreateNatsUserKey(stateDir);
    const mine = await encodeUser('worker-0', publicKey, createAccount());
    await saveNatsUserJwt(stateDir, mine);
    expect(await saveNatsUserJwt(stateDir, await encodeUser('worker-0', createUser().getPublicKey(), createAccount()))).toBe(false);
    expect(await saveNatsUserJwt(stateDir, 'garbage')).toBe(false);
    expect((await readFile(join(stateDir, NATS_USER_JWT_FILE), 'utf8')).trim()).toBe(mine);
  });

  it('is refused before the agent has a NATS key', async () => {
    expect(await saveNatsUserJwt(stateDir, await encodeUser('worker-0', createUser().getPublicKey(), createAccount()))).toBe(false);
    expect(await loadNatsUserJwt(stateDir)).toBeUndefined();
  });
});
