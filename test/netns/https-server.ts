/**
 * A small HTTPS server for a lab host, standing in for a backend behind haproxy: `/healthz` answers `ok`, any
 * other path answers the host's name, so a load loop can tell which backend served it. The certificate is a
 * throwaway self-signed one made with openssl.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './command.js';
import type { Lab, LabProcess } from './harness.js';
import { sleep } from './proc.js';

export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
}

/** An EC P-256 certificate valid for a day for the given IP addresses; written 0600 under `dir`. */
export async function selfSignedCertificate(dir: string, name: string, ipAddresses: readonly string[]): Promise<TestCertificate> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const san = ['IP:127.0.0.1', ...ipAddresses.map((a) => `IP:${a}`)].join(',');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    `subjectAltName=${san}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8') };
}

const SERVER_SCRIPT = `
const fs = require('node:fs');
const [address, port, cert, key, name] = process.argv.slice(1);
const server = require('node:https').createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(req.url === '/healthz' ? 'ok' : name);
});
server.listen(Number(port), address, () => console.log('listening on ' + address + ':' + port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Starts the server in the host's namespace and waits until it accepts connections. */
export async function startHttpsBackend(lab: Lab, host: string, opts: { port: number; cert: TestCertificate; address?: string }): Promise<LabProcess> {
  const address = opts.address ?? lab.host(host).address;
  const p = lab.spawn(host, process.execPath, ['-e', SERVER_SCRIPT, address, String(opts.port), opts.cert.certFile, opts.cert.keyFile, host], {
    name: 'https-backend',
  });
  for (let i = 0; i < 100; i++) {
    if (p.readLog().includes('listening on')) return p;
    if (p.exitInfo()) break;
    await sleep(50);
  }
  throw new Error(`https backend on ${host} ${address}:${opts.port} did not start: ${p.readLog().slice(-500)}`);
}
