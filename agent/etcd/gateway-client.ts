/**
 * The agent's etcd client: etcd's v3 JSON gateway over HTTPS on ADDRESS:2379, with this node's own etcd client
 * certificate, verified against the etcd CA. Real kubeadm hosts have no etcdctl (etcd runs in a static pod), and this
 * needs nothing but Node's https module. Every answer is bounded in size and time and goes through the schemas of
 * core/etcd/gateway.ts before anything reads it; certificates and keys are read by the caller through HostOps and
 * never appear in an error or a log line.
 */
import { request, type RequestOptions } from 'node:https';
import {
  EtcdGatewayError,
  gatewayErrorMessage,
  MAX_GATEWAY_RESPONSE_BYTES,
  MAX_SNAPSHOT_BYTES,
  MAX_SNAPSHOT_LINE_BYTES,
  parseAlarms,
  parseEndpointStatus,
  parseMemberList,
  parseMemberRemove,
  parseSnapshotLine,
  type EtcdAlarmInfo,
  type EtcdEndpointInfo,
  type EtcdMemberInfo,
} from '../../core/etcd/gateway.js';
import { TimeoutError } from '../../core/errors.js';

export interface EtcdClientCredentials {
  /** PEM of etcd's CA: the server must chain to it (and carry the address in its SANs). */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface EtcdClientOptions {
  /** One unary call, connection included (default 5 s). */
  readonly timeoutMs?: number;
  /** Between two chunks of a snapshot (default 30 s). */
  readonly idleTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export class EtcdGatewayClient {
  private readonly base: string;

  constructor(
    private readonly address: string,
    private readonly port: number,
    private readonly credentials: EtcdClientCredentials,
    private readonly options: EtcdClientOptions = {},
  ) {
    this.base = `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  private requestOptions(path: string, length: number, timeoutMs: number): RequestOptions {
    return {
      host: this.address,
      port: this.port,
      path,
      method: 'POST',
      ca: this.credentials.ca,
      cert: this.credentials.cert,
      key: this.credentials.key,
      headers: { 'content-type': 'application/json', 'content-length': length },
      timeout: timeoutMs,
      agent: false,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
  }

  /** One POST; resolves with the body of a 2xx answer of at most MAX_GATEWAY_RESPONSE_BYTES. */
  private post(path: string, body: unknown): Promise<string> {
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    const payload = Buffer.from(JSON.stringify(body));
    const where = `${this.base}${path}`;
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        req.destroy();
        reject(err);
      };
      // The socket timeout catches a silent peer; the deadline bounds a slow one that trickles bytes.
      const deadline = setTimeout(() => fail(new TimeoutError(`${where}: no complete answer within ${timeoutMs} ms`)), timeoutMs);
      const req = request(this.requestOptions(path, payload.length, timeoutMs), (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_GATEWAY_RESPONSE_BYTES) return fail(new EtcdGatewayError(`${where}: the answer is over ${MAX_GATEWAY_RESPONSE_BYTES} bytes`));
          chunks.push(chunk);
        });
        res.on('error', (err) => fail(connectionError(where, err)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) reject(new EtcdGatewayError(`${where}: ${gatewayErrorMessage(status, text)}`));
          else resolve(text);
        });
      });
      req.on('timeout', () => fail(new TimeoutError(`${where}: no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => fail(connectionError(where, err)));
      req.end(payload);
    });
  }

  async memberList(): Promise<EtcdMemberInfo[]> {
    return parseMemberList(await this.post('/v3/cluster/member/list', {}));
  }

  async status(): Promise<EtcdEndpointInfo> {
    return parseEndpointStatus(await this.post('/v3/maintenance/status', {}));
  }

  async alarms(): Promise<EtcdAlarmInfo[]> {
    return parseAlarms(await this.post('/v3/maintenance/alarm', { action: 'GET' }));
  }

  /** Removes the member with this id (decimal, as the gateway wants a uint64); resolves with the members left. */
  /** etcd's MoveLeader: only the leader accepts it; the target must be a started voting member. */
  async moveLeader(targetDecimal: string): Promise<void> {
    await this.post('/v3/maintenance/transfer-leadership', { targetID: targetDecimal });
  }

  async memberRemove(idDecimal: string): Promise<EtcdMemberInfo[]> {
    return parseMemberRemove(await this.post('/v3/cluster/member/remove', { ID: idDecimal }));
  }

  /**
   * Streams a snapshot of this member: `onBytes` gets the bytes in order and is awaited before more are read, so a
   * slow consumer slows etcd down instead of filling memory. Resolves with the number of bytes when the stream ends
   * after etcd said no database bytes remain (it then sends its sha256 trailer, also with none remaining, so the
   * trailer is what proves the end: the coordinator checks it); a stream that ends before, exceeds
   * MAX_SNAPSHOT_BYTES, or stalls past the idle timeout rejects.
   */
  snapshot(onBytes: (bytes: Buffer) => Promise<void>): Promise<number> {
    const idleMs = this.options.idleTimeoutMs ?? 30_000;
    const payload = Buffer.from('{}');
    const where = `${this.base}/v3/maintenance/snapshot`;
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      let total = 0;
      let finished = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(err);
      };
      const req = request(this.requestOptions('/v3/maintenance/snapshot', payload.length, idleMs), (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            if (text.length < 4096) text += c;
          });
          res.on('end', () => fail(new EtcdGatewayError(`${where}: ${gatewayErrorMessage(status, text)}`)));
          return;
        }
        let pending: Buffer = Buffer.alloc(0);
        let queue = Promise.resolve();
        const handleLine = async (line: string) => {
          if (!line.trim() || settled) return;
          const chunk = parseSnapshotLine(line);
          total += chunk.bytes.length;
          if (total > MAX_SNAPSHOT_BYTES) throw new EtcdGatewayError(`${where}: the snapshot is over the ${MAX_SNAPSHOT_BYTES}-byte bound`);
          if (chunk.bytes.length > 0) await onBytes(chunk.bytes);
          if (chunk.remainingBytes === 0) finished = true;
        };
        res.on('data', (data: Buffer) => {
          pending = pending.length ? Buffer.concat([pending, data]) : data;
          const lines: string[] = [];
          for (let nl = pending.indexOf(10); nl >= 0; nl = pending.indexOf(10)) {
            lines.push(pending.subarray(0, nl).toString('utf8'));
            pending = pending.subarray(nl + 1);
          }
          if (pending.length > MAX_SNAPSHOT_LINE_BYTES) return fail(new EtcdGatewayError(`${where}: a line over ${MAX_SNAPSHOT_LINE_BYTES} bytes`));
          if (lines.length === 0) return;
          res.pause();
          queue = queue
            .then(async () => {
              for (const line of lines) await handleLine(line);
              if (!settled) res.resume();
            })
            .catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
        });
        res.on('error', (err) => fail(connectionError(where, err)));
        res.on('end', () => {
          queue = queue
            .then(async () => {
              if (pending.length) await handleLine(pending.toString('utf8'));
              if (settled) return;
              if (!finished) return fail(new EtcdGatewayError(`${where}: the stream ended after ${total} bytes, before etcd said none remain`));
              settled = true;
              resolve(total);
            })
            .catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
        });
      });
      req.on('timeout', () => fail(new TimeoutError(`${where}: nothing for ${idleMs} ms`)));
      req.on('error', (err) => fail(connectionError(where, err)));
      req.end(payload);
    });
  }
}

/** A connection failure in one line: what was asked and Node's reason (ECONNREFUSED, a certificate problem). */
function connectionError(where: string, err: Error): Error {
  if (err instanceof EtcdGatewayError || err instanceof TimeoutError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (err.name === 'AbortError') return new EtcdGatewayError(`${where}: aborted`);
  return new EtcdGatewayError(`${where}: ${code ? `${code}: ` : ''}${err.message.split('\n')[0]}`);
}
