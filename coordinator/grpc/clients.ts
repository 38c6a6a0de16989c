/**
 * Client constructors for the coordinator's API. coordinatorctl dials with admin.conf; the agent builds its own
 * channels in agent/session-client.ts because its trust starts from a pin, not from a file it was handed.
 */
import * as grpc from '@grpc/grpc-js';
import { MAX_ADMIN_RESPONSE_BYTES, MAX_AUTHENTICATED_MESSAGE_BYTES } from '../../lib/grpc/limits.js';
import { AdminService, type AdminServiceClient } from '../../proto/index.js';
import type { AdminCredentials } from '../pki/admin-conf.js';

export const CLIENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': MAX_ADMIN_RESPONSE_BYTES,
  // The coordinator reads at most this; failing here says so before the bytes are sent.
  'grpc.max_send_message_length': MAX_AUTHENTICATED_MESSAGE_BYTES,
};

/** An AdminService client authenticated by admin.conf; `address` overrides the server recorded in it. */
export function createAdminClient(creds: AdminCredentials, address = creds.server): AdminServiceClient {
  const credentials = grpc.credentials.createSsl(Buffer.from(creds.caPem), Buffer.from(creds.keyPem), Buffer.from(creds.certPem));
  return new AdminService(address, credentials, CLIENT_CHANNEL_OPTIONS) as unknown as AdminServiceClient;
}
