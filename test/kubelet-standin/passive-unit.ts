/** A unit the agent may drive (kubelet, containerd) that runs nothing here: the stand-in is the kubelet. */
import type { SystemctlResult, SystemctlUnit } from './systemctl.js';

const OK: SystemctlResult = { exitCode: 0, stdout: '', stderr: '' };

export class PassiveUnit implements SystemctlUnit {
  private active = false;
  private enabled = false;

  /**
   * `onStart`: what a start or restart does besides marking the unit active (the kubelet records its version);
   * `onStop`: what a stop does (the kubelet's node stops posting its status).
   */
  constructor(
    private readonly onStart?: () => void,
    private readonly onStop?: () => void,
  ) {}

  async start(): Promise<SystemctlResult> {
    this.active = true;
    this.onStart?.();
    return OK;
  }

  async stop(): Promise<SystemctlResult> {
    this.active = false;
    this.onStop?.();
    return OK;
  }

  async restart(): Promise<SystemctlResult> {
    this.active = true;
    this.onStart?.();
    return OK;
  }

  async reload(): Promise<SystemctlResult> {
    return OK;
  }

  activeState(): 'active' | 'inactive' {
    return this.active ? 'active' : 'inactive';
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }
}
