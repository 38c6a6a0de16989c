import { COMMIT, VERSION } from './generated/build-info.js';

export { COMMIT, VERSION };

/** The one `--version` line every kubeadm-ha executable prints, e.g. `kubeadm-ha-agent 0.1.0 (1a2b3c4d5e6f)`. */
export function versionLine(program: string): string {
  return `${program} ${VERSION} (${COMMIT})`;
}
