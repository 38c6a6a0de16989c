import { request } from 'node:https';
import { TimeoutError } from '../../core/errors.js';
import { CLUSTER_CA_CERT_PATH } from '../../core/host/paths.js';
import type { HostOps } from '../hostops.js';

/** One GET of /healthz, verified against the cluster CA: never `verify none`, an apiserver we cannot verify is not healthy. */
export function probeHealthz(address: string, port: number, ca: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path: '/healthz', method: 'GET', ca, timeout: timeoutMs, servername: undefined, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until the apiserver at address:port answers 200 ok, or the timeout passes. */
export async function waitForApiserver(
  host: HostOps,
  input: { address: string; port: number; timeoutMs: number },
  progress: (line: string) => void = () => {},
  signal?: AbortSignal,
): Promise<number> {
  const started = Date.now();
  let lastProblem = 'not tried yet';
  let reported = 0;
  while (Date.now() - started < input.timeoutMs) {
    signal?.throwIfAborted();
    const ca = await host.readFile(CLUSTER_CA_CERT_PATH);
    if (ca === undefined) lastProblem = `${CLUSTER_CA_CERT_PATH} does not exist yet`;
    else {
      try {
        const { status, body } = await probeHealthz(input.address, input.port, ca);
        if (status === 200) return Date.now() - started;
        lastProblem = `HTTP ${status}: ${body.slice(0, 200)}`;
      } catch (err) {
        lastProblem = (err as Error).message;
      }
    }
    if (Date.now() - reported > 5000) {
      progress(`waiting for https://${input.address}:${input.port}/healthz: ${lastProblem}`);
      reported = Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new TimeoutError(`kube-apiserver at https://${input.address}:${input.port}/healthz not healthy after ${input.timeoutMs} ms: ${lastProblem}`);
}
