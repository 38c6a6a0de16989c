/**
 * The one way the coordinator works on several hosts at once: bounded concurrency, every host's outcome collected,
 * and all failures reported together (one failed worker must not hide another, nor stop the healthy ones).
 */
import { HostsFailedError, type KubeadmHaError, withContext } from '../../core/errors.js';

export interface ForEachHostOptions {
  /** At most this many hosts at once; 1 means strictly one after another. */
  readonly limit: number;
  readonly phase: string;
  readonly signal?: AbortSignal;
  /** Stop starting new hosts after the first failure (strictly ordered work, e.g. control-plane joins). */
  readonly stopOnFirstFailure?: boolean;
}

export async function forEachHost<H extends { readonly name: string }>(
  hosts: readonly H[],
  options: ForEachHostOptions,
  work: (host: H) => Promise<void>,
): Promise<void> {
  const limit = Math.max(1, Math.floor(options.limit));
  const failures: KubeadmHaError[] = [];
  let next = 0;
  const runLane = async (): Promise<void> => {
    while (next < hosts.length) {
      if (options.signal?.aborted) return;
      if (options.stopOnFirstFailure && failures.length > 0) return;
      const host = hosts[next++]!;
      try {
        await work(host);
      } catch (err) {
        failures.push(withContext(err, { host: host.name }));
      }
    }
  };
  const lanes = Array.from({ length: Math.min(limit, hosts.length) }, runLane);
  await Promise.all(lanes);
  if (failures.length === 1) throw withContext(failures[0], { phase: options.phase });
  if (failures.length > 1) throw new HostsFailedError(options.phase, failures, hosts.length);
  options.signal?.throwIfAborted();
}
