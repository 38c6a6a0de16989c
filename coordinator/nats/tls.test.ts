import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { readNatsCredentialsFile } from '../../lib/nats/credentials.js';
import { startCoordinator } from '../daemon.js';
import { issuedBy, loadOrCreateCa } from '../pki/ca.js';
import { startLocalNats } from './server.js';
import { NATS_CERT_FILE, NATS_KEY_FILE, ensureNatsServerCert, natsCertSans } from './tls.js';

const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];
const haveNatsServer = await Promise.any(NATS_SERVER.map((p) => stat(p))).then(
  () => true,
  () => false,
);

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kha-nats-tls-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function sans(pem: string): string {
  return new X509Certificate(pem).subjectAltName ?? '';
}

describe('ensureNatsServerCert', () => {
  it('issues a certificate from the coordinator CA for the listen host and loopback, key 0600, and keeps it across starts', async () => {
    const dir = await tempDir();
    const ca = await loadOrCreateCa(join(dir, 'pki'));
    const first = await ensureNatsServerCert(ca, join(dir, 'nats'), '198.18.0.2');
    expect(first.issued).toBe('missing');
    expect(first.client).toEqual({ ca: ca.certPem });
    const pem = await readFile(first.server.certFile, 'utf8');
    expect(issuedBy(ca, pem)).toBe(true);
    expect(sans(pem)).toContain('IP Address:198.18.0.2');
    expect(sans(pem)).toContain('IP Address:127.0.0.1');
    expect(sans(pem)).toContain('DNS:localhost');
    expect((await stat(first.server.keyFile)).mode & 0o777).toBe(0o600);
    expect(first.server.keyFile).toBe(join(dir, 'nats', NATS_KEY_FILE));
    // The chain: the leaf, then the CA, so a client holding only the CA can verify it.
    expect(pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);

    const again = await ensureNatsServerCert(ca, join(dir, 'nats'), '198.18.0.2');
    expect(again.issued).toBeUndefined();
    expect(await readFile(again.server.certFile, 'utf8')).toBe(pem);
  });

  it('reissues when the listen host changed, when it is close to expiry, and when another CA issued it', async () => {
    const dir = await tempDir();
    const ca = await loadOrCreateCa(join(dir, 'pki'));
    const natsDir = join(dir, 'nats');
    await ensureNatsServerCert(ca, natsDir, '198.18.0.2');
    const moved = await ensureNatsServerCert(ca, natsDir, 'nats.example.test');
    expect(moved.issued).toMatch(/names changed/);
    const pem = await readFile(join(natsDir, NATS_CERT_FILE), 'utf8');
    expect(sans(pem)).toContain('DNS:nats.example.test');
    expect(sans(pem)).not.toContain('198.18.0.2');

    // A start 340 days on finds it expiring within the renewal window.
    const later = new Date(Date.now() + 340 * 86_400_000);
    expect((await ensureNatsServerCert(ca, natsDir, 'nats.example.test', { now: later })).issued).toMatch(/^expires /);
    expect((await ensureNatsServerCert(ca, natsDir, 'nats.example.test', { now: later })).issued).toBeUndefined();

    const otherCa = await loadOrCreateCa(join(dir, 'other-pki'));
    await ensureNatsServerCert(otherCa, natsDir, 'nats.example.test');
    expect((await ensureNatsServerCert(ca, natsDir, 'nats.example.test')).issued).toBe('not issued by the coordinator CA');
    expect(issuedBy(ca, await readFile(join(natsDir, NATS_CERT_FILE), 'utf8'))).toBe(true);
  });

  it('names loopback only for a wildcard listen address, and handles IPv6', () => {
    expect(natsCertSans('0.0.0.0')).toEqual({ ips: ['127.0.0.1', '::1'], dnsNames: ['localhost'] });
    expect(natsCertSans('[fd00::2]').ips).toContain('fd00::2');
  });
});

/** What a client that does not speak TLS gets: the server's INFO, then a closed socket, never a session. */
function plaintextAttempt(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('INFO ') && !text.includes('CONNECT_SENT')) {
        text += 'CONNECT_SENT\n';
        socket.write('CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"plain"}\r\nPING\r\n');
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
    setTimeout(() => socket.destroy(), 3000);
  });
}

describe.skipIf(!haveNatsServer)('the coordinator embedded NATS (real nats-server; skipped without one)', () => {
  it('serves TLS only, with a certificate its CA issued: tls:// for agents, plaintext refused, another CA refused', async () => {
    const dataDir = await tempDir();
    const coordinator = await startCoordinator({
      dataDir,
      listen: '127.0.0.1:0',
      advertise: '127.0.0.1:9443',
      clusterName: 'prod',
      natsListenHost: '127.0.0.1',
      logger: silentLogger,
    });
    try {
      expect(coordinator.natsUrl).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(new URL(coordinator.natsUrl.replace(/^tls:/, 'http:')).port);
      const plain = await plaintextAttempt(port);
      expect(plain).toMatch(/"tls_required":true/);
      // It answers plaintext with a TLS handshake failure: the socket closes, no PONG, no session.
      expect(plain).not.toContain('PONG');
      expect(plain).not.toContain('+OK');

      const credentials = await readNatsCredentialsFile(join(dataDir, 'nats', 'coordinator.creds'));
      const trusted = await connectNats({ url: coordinator.natsUrl, credentials, tls: { ca: coordinator.ca.certPem } }, { name: 'ca', logger: silentLogger });
      expect(trusted.isClosed()).toBe(false);
      await trusted.close();
      const otherCa = await loadOrCreateCa(join(dataDir, 'other-pki'));
      await expect(
        connectNats({ url: coordinator.natsUrl, credentials, tls: { ca: otherCa.certPem } }, { name: 'other-ca', logger: silentLogger, timeoutMs: 2000 }),
      ).rejects.toThrow();
      // Even a nats:// URL to it does not get a plaintext session.
      await expect(connectNats({ url: `nats://127.0.0.1:${port}`, credentials }, { name: 'plain', logger: silentLogger, timeoutMs: 2000 })).rejects.toThrow();
    } finally {
      await coordinator.stop();
    }
  });

  it('a reissued certificate is served after reload(), without restarting the server', async () => {
    const dir = await tempDir();
    const ca = await loadOrCreateCa(join(dir, 'pki'));
    // A one-day certificate is inside the 30-day renewal window: every check reissues it.
    const first = await ensureNatsServerCert(ca, join(dir, 'nats'), '127.0.0.1', { days: 1 });
    const nats = await startLocalNats({ dataDir: dir, clusterName: 'prod', logger: silentLogger, tls: first.server, clientTls: first.client });
    try {
      const port = nats.port;
      const pid = nats.pid();
      const before = await servedCertificate(port, ca.certPem);
      const renewed = await ensureNatsServerCert(ca, join(dir, 'nats'), '127.0.0.1', { days: 1 });
      expect(renewed.issued).toMatch(/^expires /);
      expect(await servedCertificate(port, ca.certPem)).toBe(before);
      await nats.reload();
      expect(await servedCertificate(port, ca.certPem)).not.toBe(before);
      expect(nats.pid()).toBe(pid);
    } finally {
      await nats.close();
    }
  });
});

/** The SHA-256 fingerprint of the certificate nats-server presents on a new connection (INFO first, then TLS). */
function servedCertificate(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('data', () => {
      const secure = tlsConnect({ socket, ca: caPem, checkServerIdentity: () => undefined }, () => {
        const fingerprint = secure.getPeerCertificate().fingerprint256;
        secure.destroy();
        resolve(fingerprint);
      });
      secure.once('error', reject);
    });
  });
}
