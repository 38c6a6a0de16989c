/** coordinatorctl's connection to the coordinator: admin.conf in, typed calls out, errors as our error classes. */
import type * as grpc from '@grpc/grpc-js';
import { KubeadmHaError } from '../../core/errors.js';
import { COORDINATOR_ADMIN_CONF_PATH } from '../../core/host/paths.js';
import { fromServiceError } from '../../lib/grpc/status.js';
import type { DeployEvent__Output } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { AdminServiceClient } from '../../proto/generated/kubeadm_ha/v1/AdminService.js';
import { createAdminClient } from '../grpc/clients.js';
import { loadAdminCredentials } from '../pki/admin-conf.js';
import type { CliIo } from './command.js';

export const CONNECTION_OPTIONS = {
  'admin-conf': { type: 'string' as const },
  coordinator: { type: 'string' as const },
};

export async function connect(values: { 'admin-conf'?: string; coordinator?: string }): Promise<AdminServiceClient> {
  const path = values['admin-conf'] ?? process.env.KUBEADM_HA_ADMIN_CONF ?? COORDINATOR_ADMIN_CONF_PATH;
  const creds = await loadAdminCredentials(path);
  return createAdminClient(creds, values.coordinator ?? creds.server);
}

export function unary<Req, Res>(client: AdminServiceClient, method: string, request: Req, what: string, timeoutMs = 60_000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (req: Req, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => void>)[
      method
    ]!;
    fn.call(client, request, { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) reject(fromServiceError(err, what));
      else if (res === undefined) reject(new KubeadmHaError(`${what} failed: empty answer`));
      else resolve(res);
    });
  });
}

/** Prints an operation's events as they come; resolves with the exit code. */
export function followEvents(call: grpc.ClientReadableStream<DeployEvent__Output>, io: CliIo, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let failed = false;
    let finished = false;
    call.on('data', (e: DeployEvent__Output) => {
      const where = [e.phase, e.host].filter(Boolean).join(' ');
      const line = `${where ? `[${where}] ` : ''}${e.message}\n`;
      if (e.level === 'LOG_LEVEL_ERROR') io.err(`error: ${line}`);
      else if (e.level === 'LOG_LEVEL_WARN') io.err(line);
      else io.out(line);
      if (e.done) {
        finished = true;
        // An operation that ends with an error detail, or at error level, failed, whatever code the detail carries.
        failed = (e.error !== null && e.error !== undefined) || e.level === 'LOG_LEVEL_ERROR';
      }
    });
    call.on('error', (err) => reject(fromServiceError(err, what)));
    call.on('end', () => resolve(finished && !failed ? 0 : 1));
  });
}
