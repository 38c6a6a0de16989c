import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PreconditionError } from '../core/errors.js';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.js';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kha-lock-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('refuses a second holder while the first runs, naming its pid; after release the directory can be taken again', async () => {
    const first = await lockDataDir(dir);
    const err = await lockDataDir(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toContain(`in use by the kubeadm-ha-coordinator with pid ${process.pid}`);
    await first.release();
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('takes over a lock left by a process that is gone (a SIGKILLed coordinator)', async () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    await writeFile(join(dir, LOCK_FILE), `${deadPid} 12345\n`);
    const lock = await lockDataDir(dir);
    expect((await readFile(join(dir, LOCK_FILE), 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await lock.release();
  });

  it('takes over a lock whose pid now belongs to another process (a reused pid after a reboot): the start time differs', async () => {
    await writeFile(join(dir, LOCK_FILE), `${process.pid} 1\n`);
    const lock = await lockDataDir(dir);
    await lock.release();
  });

  it('release leaves a lock that is no longer its own alone', async () => {
    const lock = await lockDataDir(dir);
    await writeFile(join(dir, LOCK_FILE), 'someone else\n');
    await lock.release();
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe('someone else\n');
  });
});
