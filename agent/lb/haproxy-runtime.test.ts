/**
 * The runtime-API client against a real haproxy 2.6 (master-worker, own stats and master sockets) on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HaproxyRuntimeError } from '../../core/errors.js';
import { HAPROXY_BINARY, HaproxyTestbed, backendSet, type FakeApiserver } from '../../test/bench/haproxy-testbed.js';
import { RuntimeSession, sendLine } from './haproxy-runtime.js';

describe.skipIf(!HAPROXY_BINARY)('haproxy runtime API client (real haproxy)', () => {
  let bed: HaproxyTestbed;
  let m0: FakeApiserver;
  let m1: FakeApiserver;
  const held: TLSSocket[] = [];

  beforeAll(async () => {
    bed = await HaproxyTestbed.create('runtime');
    m0 = await bed.startApiserver('master-0');
    m1 = await bed.startApiserver('master-1');
    await bed.writeConfig(backendSet(1, [bed.backendOf(m0)]));
    await bed.startHaproxy();
  });

  afterAll(async () => {
    for (const s of held) s.destroy();
    await bed?.close();
  });

  it('reads the servers of the backend from show servers state', async () => {
    const servers = await bed.runtime.showServersState('kube-apiserver');
    expect(servers.map((s) => [s.name, s.address, s.port, s.admin, s.checkEnabled])).toEqual([['master-0', '127.0.0.1', m0.port, 'ready', true]]);
  });

  it('runs a sequence in one interactive session, one answer per command', async () => {
    const answers = await bed.runtime.run([
      bed.addServerCommand(bed.backendOf(m1)),
      'enable health kube-apiserver/master-1',
      'enable server kube-apiserver/master-1',
      'show servers state kube-apiserver',
    ]);
    expect(answers[0]!.trim()).toBe('New server registered.');
    expect(answers.slice(1, 3).map((a) => a.trim())).toEqual(['', '']);
    expect(answers[3]).toMatch(/^1\n# be_id/);
    expect(answers[3]).toContain(` master-1 127.0.0.1 `);
  });

  it('a refusal is a typed error with the command and haproxy`s words, and the session stays usable', async () => {
    const session = await bed.runtime.session();
    try {
      const err = await session.execute('del server kube-apiserver/nope').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HaproxyRuntimeError);
      expect(err).toMatchObject({ command: 'del server kube-apiserver/nope', failure: 'no-such-server', answer: 'No such server.' });
      await expect(session.execute(bed.addServerCommand(bed.backendOf(m1)))).rejects.toMatchObject({ failure: 'server-exists' });
      await expect(session.execute('del server kube-apiserver/master-1')).rejects.toMatchObject({ failure: 'not-in-maintenance' });
      await expect(session.execute('show servers state nope')).rejects.toMatchObject({ failure: 'no-such-backend' });
      await expect(session.execute('add server kube-apiserver/master-9 127.0.0.1:1 check init-addr last')).rejects.toMatchObject({ failure: 'bad-argument' });
      expect((await session.showServersState('kube-apiserver')).length).toBe(2);
    } finally {
      await session.close();
    }
  });

  it('refuses to delete a server with a connection attached until its sessions are shut down', async () => {
    // Put master-0 in maintenance so that new connections go to master-1, then hold one there.
    await bed.runtime.execute('set server kube-apiserver/master-0 state maint');
    const socket = tlsConnect({ host: '127.0.0.1', port: bed.frontendPort, rejectUnauthorized: false });
    held.push(socket);
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const sessions = await bed.runtime.serverSessions('kube-apiserver');
    expect(sessions.get('master-1')?.current).toBe(1);
    await bed.runtime.execute('set server kube-apiserver/master-1 state maint');
    await expect(bed.runtime.execute('del server kube-apiserver/master-1')).rejects.toMatchObject({ failure: 'has-connections' });
    await bed.runtime.execute('shutdown sessions server kube-apiserver/master-1');
    await closed;
    let deleted = false;
    for (let i = 0; i < 50 && !deleted; i++) {
      deleted = await bed.runtime.execute('del server kube-apiserver/master-1').then(
        () => true,
        () => false,
      );
      if (!deleted) await sleep(20);
    }
    expect(deleted).toBe(true);
    await bed.runtime.execute('set server kube-apiserver/master-0 state ready');
    expect((await bed.runtime.showServersState('kube-apiserver')).map((s) => s.name)).toEqual(['master-0']);
  });

  it('non-interactive send returns a batch`s raw answers', async () => {
    const raw = await bed.runtime.send('show info;show servers state kube-apiserver');
    expect(raw).toMatch(/^Name: HAProxy/);
    expect(raw).toContain('# be_id be_name');
  });

  it('one command per call in a session: a `;` or a newline would break the framing', async () => {
    await expect(bed.runtime.execute('show info; show stat')).rejects.toMatchObject({ failure: 'bad-argument' });
    await expect(bed.runtime.execute('show info\nshow stat')).rejects.toMatchObject({ failure: 'bad-argument' });
  });

  it('a missing socket is "unreachable"', async () => {
    await expect(sendLine(`${bed.root}/run/haproxy/none.sock`, 'show info')).rejects.toMatchObject({ failure: 'unreachable' });
    const err = await RuntimeSession.open(`${bed.root}/run/haproxy/none.sock`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HaproxyRuntimeError);
    expect((err as HaproxyRuntimeError).unreachable).toBe(true);
  });

  it('the master CLI lists the processes and reloads: a new worker answers on the stats socket', async () => {
    const before = await bed.master.showProc();
    const pidBefore = await bed.runtime.workerPid();
    expect(before.workers.map((w) => w.pid)).toEqual([pidBefore]);
    await bed.master.reload();
    let after = before;
    for (let i = 0; i < 100 && after.master.reloads === before.master.reloads; i++) {
      await sleep(50);
      after = await bed.master.showProc().catch(() => before);
    }
    expect(after.master.reloads).toBe(before.master.reloads + 1);
    expect(after.master.failedReloads).toBe(before.master.failedReloads);
    let pid = pidBefore;
    for (let i = 0; i < 100 && pid !== after.workers[0]?.pid; i++) {
      await sleep(50);
      pid = await bed.runtime.workerPid().catch(() => pidBefore);
    }
    expect(pid).toBe(after.workers[0]?.pid);
    expect(pid).not.toBe(pidBefore);
  });
});

describe('runtime API client against a socket that misbehaves', () => {
  let dir: string;
  let server: Server;
  let behaviour: 'silent' | 'prompt-then-hang-up' = 'silent';
  const accepted = new Set<Socket>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kha-fake-socket-'));
    server = createServer((socket) => {
      accepted.add(socket);
      socket.on('close', () => accepted.delete(socket));
      socket.on('error', () => undefined);
      if (behaviour === 'prompt-then-hang-up') {
        socket.once('data', () => {
          socket.write('\n> ');
          socket.once('data', () => socket.end('half an ans'));
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'admin.sock'), resolve));
  });

  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an answer that never comes is a timeout, not a hang', async () => {
    behaviour = 'silent';
    const started = Date.now();
    await expect(sendLine(join(dir, 'admin.sock'), 'show info', 200)).rejects.toMatchObject({ failure: 'timeout' });
    await expect(RuntimeSession.open(join(dir, 'admin.sock'), { timeoutMs: 200 })).rejects.toMatchObject({ failure: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a connection closed before the prompt is "connection-closed", with what was said', async () => {
    behaviour = 'prompt-then-hang-up';
    const session = await RuntimeSession.open(join(dir, 'admin.sock'), { timeoutMs: 2000 });
    const err = (await session.send('show info').catch((e: unknown) => e)) as HaproxyRuntimeError;
    expect(err).toBeInstanceOf(HaproxyRuntimeError);
    expect(err).toMatchObject({ failure: 'connection-closed', answer: 'half an ans' });
    expect(err.unreachable).toBe(true);
    await expect(session.send('show info')).rejects.toMatchObject({ failure: 'connection-closed' });
    await session.close();
  });
});
