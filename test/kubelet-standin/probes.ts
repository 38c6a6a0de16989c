/**
 * Liveness probes as the kubelet runs them for a hostNetwork pod: from the node's network namespace, at the
 * node's address unless the probe names a host, every periodSeconds after initialDelaySeconds, with the container
 * restarted after failureThreshold failures in a row. httpGet and tcpSocket are emulated; exec and grpc are not.
 */
import type { Lab } from '../netns/harness.js';
import type { Probe } from './pod-manifest.js';

export async function runProbe(lab: Lab, host: string, probe: Probe): Promise<{ ok: boolean; detail: string }> {
  const address = probe.host ?? lab.host(host).address;
  const timeoutMs = probe.timeoutSeconds * 1000;
  if (probe.kind === 'httpGet') {
    const url = `${probe.scheme === 'HTTPS' ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${probe.port}${probe.path ?? '/'}`;
    const r = await lab.exec(host, 'curl', ['-s', '-k', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', String(probe.timeoutSeconds), url], {
      reject: false,
      timeoutMs: timeoutMs + 5000,
    });
    const status = Number(r.stdout.trim()) || 0;
    // The kubelet counts 200-399 as success.
    return {
      ok: status >= 200 && status < 400,
      detail: status ? `HTTP probe ${url} answered ${status}` : `HTTP probe ${url} failed: ${r.stderr.trim() || `curl exit ${r.exitCode}`}`,
    };
  }
  if (probe.kind === 'tcpSocket') {
    const result = await lab.probeTcp(host, address, probe.port ?? 0, timeoutMs);
    return { ok: result === 'connected', detail: `TCP probe ${address}:${probe.port}: ${result}` };
  }
  return { ok: true, detail: `${probe.kind} probes are not emulated` };
}

/** Runs the probe on its schedule until stopped; calls onFailure once when the threshold is reached. */
export function scheduleLivenessProbe(lab: Lab, host: string, probe: Probe, onFailure: (detail: string) => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    const { ok, detail } = await runProbe(lab, host, probe).catch((err: Error) => ({ ok: false, detail: err.message }));
    if (stopped) return;
    failures = ok ? 0 : failures + 1;
    if (failures >= probe.failureThreshold) {
      stopped = true;
      onFailure(`Liveness probe failed ${failures} times: ${detail}`);
      return;
    }
    timer = setTimeout(() => void tick(), probe.periodSeconds * 1000);
  };
  if (probe.kind === 'httpGet' || probe.kind === 'tcpSocket') timer = setTimeout(() => void tick(), probe.initialDelaySeconds * 1000);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
