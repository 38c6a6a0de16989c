import { KubeadmHaError } from '../errors.js';

/**
 * The backend-set version a haproxy.cfg holds, as the `# backend-set-version: N` comment core/render/haproxy.ts writes.
 * The applier writes the file only once haproxy runs exactly that set, so a restarted agent reads back what is live.
 */
const VERSION_LINE = /^# backend-set-version: (\d+)[ \t]*$/m;
/** The first line core/render/haproxy.ts writes: a haproxy.cfg without it is the host's own, not ours to rewrite. */
const MANAGED_HEADER = /^# Managed by kubeadm-ha\b/;

/** Whether `config` is a haproxy.cfg kubeadm-ha rendered (the coordinator wrote this host's LB files). */
export function isRenderedHaproxyConfig(config: string): boolean {
  return MANAGED_HEADER.test(config) || VERSION_LINE.test(config);
}

export function readBackendSetVersion(config: string): number | undefined {
  const m = VERSION_LINE.exec(config);
  return m ? Number(m[1]) : undefined;
}

/** `config` carrying `version`: as it is when the renderer wrote the line, else with the line added on top. */
export function withBackendSetVersion(config: string, version: number): string {
  const present = readBackendSetVersion(config);
  if (present === version) return config;
  if (present !== undefined) throw new KubeadmHaError(`the rendered haproxy.cfg says backend-set-version ${present}, not ${version}`);
  return `# backend-set-version: ${version}\n${config}`;
}
