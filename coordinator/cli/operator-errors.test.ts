/**
 * Every online coordinatorctl command, run the ways an operator gets it wrong: no coordinator, no admin.conf, a broken
 * one, the wrong coordinator. Each must end in one line that names the file or the address and what to do, with exit
 * 1: never `unexpected error: ENOENT …`, a stack trace or grpc-js's raw "No connection established" text.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { cli } from '../../test/support/coordinatorctl.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, issueClientCert, issueServerCert, type CertificateAuthority } from '../pki/ca.js';
import { renderAdminConf } from '../pki/admin-conf.js';
import { connect } from './client.js';

const FIXTURE = new URL('../../test/fixtures/cluster.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kha-operr-'));

/** Every command that talks to the coordinator, with arguments that pass its own checks, so that it gets to connect. */
const ONLINE: readonly (readonly string[])[] = [
  ['deploy', '-f', FIXTURE],
  ['add-node', '-f', FIXTURE, '--node', 'worker-0'],
  ['remove-node', 'worker-0'],
  ['reset', '--yes'],
  ['status'],
  ['nodes'],
  ['nodes', 'approve', 'worker-0'],
  ['nodes', 'forget', 'worker-0'],
  ['token', 'create'],
  ['token', 'list'],
  ['token', 'delete', 'abcdef'],
  ['join-command'],
  ['verify'],
  ['etcd', 'status'],
  ['etcd', 'snapshot'],
  ['etcd', 'restore', '--from', 'snap.db', '--yes'],
  ['certs', 'check'],
  ['certs', 'renew'],
  ['upgrade', '--to', 'v1.32.0'],
];

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let admin: { certPem: string; keyPem: string };
const servers: { close(): void }[] = [];

function adminConf(name: string, server: string, overrides: Partial<{ caPem: string; certPem: string; keyPem: string }> = {}): string {
  const path = join(dir, name);
  writeFileSync(path, renderAdminConf({ server, caPem: ca.certPem, ...admin, ...overrides }), { mode: 0o600 });
  return path;
}

/** A port on 127.0.0.1 that nothing listens on: bound, read and released. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function listening(server: TcpServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  ca = await loadOrCreateCa(join(dir, 'ca'));
  otherCa = await loadOrCreateCa(join(dir, 'other-ca'));
  const issued = await issueClientCert(ca, { commonName: 'kubeadm-ha:admin', organization: 'kubeadm-ha:admins' });
  admin = { certPem: issued.certPem, keyPem: issued.keyPem };
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The shape every one of these errors must have. */
function expectOneLine(r: { code: number; out: string; err: string }, command: string, message: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  const lines = r.err.trimEnd().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^coordinatorctl ${command}: `));
  expect(lines[0]).toMatch(message);
  expect(r.err).not.toMatch(/unexpected error|No connection established|Error:|\n\s+at |errno/);
}

describe('coordinatorctl without admin.conf', () => {
  it.each(ONLINE.map((argv) => [argv.join(' '), argv]))('%s: names the missing file and how to get one', async (_name, argv) => {
    const missing = join(dir, 'nowhere', 'admin.conf');
    const r = await cli(...argv, '--admin-conf', missing);
    expectOneLine(
      r,
      argv[0]!,
      new RegExp(`cannot read admin\\.conf ${missing}: no such file; run coordinatorctl as root on the coordinator host .*--admin-conf FILE`),
    );
  });

  it('reads KUBEADM_HA_ADMIN_CONF when --admin-conf is not given, and names that file', async () => {
    const missing = join(dir, 'env', 'admin.conf');
    process.env.KUBEADM_HA_ADMIN_CONF = missing;
    try {
      expectOneLine(await cli('status'), 'status', new RegExp(`cannot read admin\\.conf ${missing}: no such file`));
    } finally {
      delete process.env.KUBEADM_HA_ADMIN_CONF;
    }
  });
});

describe('coordinatorctl with an admin.conf that cannot be used', () => {
  const pemBody = (pem: string) => pem.replace(/\n[A-Za-z0-9+/=]{20,}\n/, '\nAAAAnotbase64derAAAA\n');
  const cases: [string, () => string, RegExp][] = [
    [
      'a directory',
      () => {
        mkdirSync(join(dir, 'conf-dir'), { recursive: true });
        return join(dir, 'conf-dir');
      },
      /cannot read admin\.conf \S+conf-dir: is a directory; run coordinatorctl as root/,
    ],
    [
      'not YAML',
      () => {
        writeFileSync(join(dir, 'bad.yaml'), 'server: [\n');
        return join(dir, 'bad.yaml');
      },
      /bad\.yaml is not a usable admin\.conf \(\(document\) invalid YAML: .*\); run coordinatorctl as root/,
    ],
    [
      'YAML without the fields',
      () => {
        writeFileSync(join(dir, 'empty.conf'), 'apiVersion: v1\nkind: Config\n');
        return join(dir, 'empty.conf');
      },
      /empty\.conf is not a usable admin\.conf \(kind must be AdminConfig; server is required.*clientKeyData must be a base64 PEM private key\); run/,
    ],
    [
      'a certificate whose body is damaged',
      () => adminConf('damaged.conf', '127.0.0.1:9443', { certPem: pemBody(admin.certPem) }),
      /damaged\.conf: its certificate or key cannot be used \(.*\); run coordinatorctl as root/,
    ],
    [
      "a key that is not the certificate's",
      () => adminConf('mismatch.conf', '127.0.0.1:9443', { certPem: ca.certPem }),
      /mismatch\.conf: its certificate or key cannot be used \(.*\); run/,
    ],
    [
      'a server without a port',
      () => adminConf('noport.conf', '127.0.0.1'),
      /server: in \S+noport\.conf "127\.0\.0\.1" is not HOST:PORT; give the coordinator's address with its port/,
    ],
  ];
  it.each(cases)('%s: names the file and what to do', async (_what, make, message) => {
    const path = make();
    // Every command goes through the same connect(); three of them stand for the rest here.
    for (const argv of [['status'], ['deploy', '-f', FIXTURE], ['token', 'create']]) {
      expectOneLine(await cli(...argv, '--admin-conf', path), argv[0]!, message);
    }
  });

  it('refuses --coordinator without a port instead of dialling 443', async () => {
    const path = adminConf('good-for-flag.conf', '127.0.0.1:9443');
    expectOneLine(
      await cli('nodes', '--admin-conf', path, '--coordinator', 'coordinator.example'),
      'nodes',
      /--coordinator "coordinator\.example" is not HOST:PORT/,
    );
  });
});

describe('coordinatorctl and a coordinator it cannot use', () => {
  it.each(ONLINE.map((argv) => [argv.join(' '), argv]))('%s: no coordinator listening: connection refused, and what to check', async (_name, argv) => {
    const port = await closedPort();
    const r = await cli(...argv, '--admin-conf', adminConf(`refused-${port}.conf`, `127.0.0.1:${port}`));
    expectOneLine(
      r,
      argv[0]!,
      new RegExp(
        `cannot reach the coordinator at 127\\.0\\.0\\.1:${port} \\(from server: in \\S+\\): connection refused; is kubeadm-ha-coordinator running there`,
      ),
    );
  });

  it('names --coordinator as where the address came from when it was given', async () => {
    const port = await closedPort();
    const r = await cli('status', '--admin-conf', adminConf('flag.conf', '127.0.0.1:9443'), '--coordinator', `127.0.0.1:${port}`);
    expectOneLine(r, 'status', new RegExp(`cannot reach the coordinator at 127\\.0\\.0\\.1:${port} \\(from --coordinator\\): connection refused`));
  });

  it('a coordinator whose certificate another CA signed: says admin.conf is from another coordinator', async () => {
    const serving = await issueServerCert(otherCa, { ips: ['127.0.0.1'] });
    const port = await listening(createTlsServer({ cert: serving.certPem, key: serving.keyPem, ALPNProtocols: ['h2'] }));
    for (const argv of [['status'], ['deploy', '-f', FIXTURE]]) {
      const r = await cli(...argv, '--admin-conf', adminConf(`other-ca-${port}.conf`, `127.0.0.1:${port}`));
      expectOneLine(
        r,
        argv[0]!,
        /is not the one that wrote \S+other-ca-\d+\.conf: its TLS certificate does not verify against that file's CA; copy admin\.conf again/,
      );
    }
  });

  it('a coordinator whose certificate does not name the address dialled: says so', async () => {
    const serving = await issueServerCert(ca, { dnsNames: ['coordinator.example'] });
    const port = await listening(createTlsServer({ cert: serving.certPem, key: serving.keyPem, ALPNProtocols: ['h2'] }));
    const r = await cli('status', '--admin-conf', adminConf(`san-${port}.conf`, `127.0.0.1:${port}`));
    expectOneLine(
      r,
      'status',
      new RegExp(`the coordinator at 127\\.0\\.0\\.1:${port} \\(from server: in \\S+\\): its TLS certificate does not name 127\\.0\\.0\\.1:${port}`),
    );
  });

  it('a peer that accepts and never answers: gives up after the connect timeout instead of waiting forever', async () => {
    const port = await listening(createTcpServer(() => undefined));
    const path = adminConf(`silent-${port}.conf`, `127.0.0.1:${port}`);
    const started = Date.now();
    await expect(connect({ 'admin-conf': path }, { connectTimeoutMs: 1_000 })).rejects.toThrow(
      new RegExp(`^cannot reach the coordinator at 127\\.0\\.0\\.1:${port} \\(from server: in \\S+\\): no answer within 1 s; check the address`),
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
