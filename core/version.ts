import { COMMIT, VERSION } from './generated/build-info.js';

export { COMMIT, VERSION };

/**
 * The one `--version` line every kubeadm-ha executable prints, e.g. `kubeadm-ha-agent 0.1.0 (1a2b3c4d5e6f) node
 * 24.22.3`. The runtime is part of it because the executables embed their own Node: which one decides the security
 * fixes (OpenSSL included) a host is running.
 */
export function versionLine(program: string, nodeVersion: string = process.versions.node): string {
  return `${program} ${VERSION} (${COMMIT}) node ${nodeVersion}`;
}
