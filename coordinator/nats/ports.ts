import { createServer } from 'node:net';
import { KubeadmHaError } from '../../core/errors.js';

/**
 * A TCP port that is free on `host` right now. Chosen once and then written into the server config,
 * so that a restarted nats-server comes back on the same port and clients reconnect to it.
 */
export function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new KubeadmHaError(`could not pick a free port on ${host}`))));
    });
  });
}
