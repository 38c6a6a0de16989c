/**
 * kube-apiserver's static pod, as far as the stand-in can play it: the simulated kubeadm starts the stand-in apiserver
 * itself (init, control-plane join) and records its command line in `$ROOT/run/kubeadm-sim/apiserver.json`; from
 * then on the manifest decides, as on a real node. kube-apiserver.yaml moved out of the manifests directory stops the
 * process (SIGTERM, SIGKILL after the pod's 30 s grace period); moved back, it starts again from the recorded
 * command line. A changed manifest (an upgrade's new image) restarts it with the new image's version, after
 * `restartDelayMs`. kubeadm reset deletes the record with the process, so a node that left starts nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../netns/harness.js';
import type { LabProcess } from '../netns/lab-process.js';
import { signalQuietly, sleep } from '../netns/proc.js';
import type { CrictlContainer } from './crictl.js';
import type { EmitEvent } from './events.js';

const PID_FILE = 'run/kubeadm-sim/apiserver.pid';
const SPAWN_FILE = 'run/kubeadm-sim/apiserver.json';
const GRACE_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The manifest as the stand-in reads it: its decoded identity, and the version its image is tagged with. */
export interface ApiserverManifest {
  readonly identity: string;
  /** `v1.32.0` from `registry.k8s.io/kube-apiserver:v1.32.0`; '' when the tag is not a version. */
  readonly version: string;
}

export class ApiserverPod {
  private present?: boolean;
  private identity?: string;
  private proc?: LabProcess;
  private starts = 0;

  constructor(
    private readonly lab: Lab,
    private readonly host: string,
    private readonly root: string,
    private readonly emit: EmitEvent,
    /** How long a replaced apiserver stays down before its successor answers (an upgrade's restart). */
    private readonly restartDelayMs = 0,
  ) {}

  pid(): number | undefined {
    const file = join(this.root, PID_FILE);
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  }

  /**
   * Acts on the manifest's arrival, departure or change (a new image: an upgrade); the first call only learns where
   * things stand. A changed manifest restarts the apiserver with the version of its new image.
   */
  async sync(manifest: ApiserverManifest | undefined): Promise<void> {
    const before = this.present;
    const beforeIdentity = this.identity;
    this.present = manifest !== undefined;
    this.identity = manifest?.identity;
    if (before === undefined) return;
    if (before && !manifest) await this.stop('manifest removed');
    else if (!before && manifest) this.start(manifest.version);
    else if (manifest && beforeIdentity !== manifest.identity && this.pid() !== undefined) {
      await this.stop('manifest changed');
      if (this.restartDelayMs > 0) await sleep(this.restartDelayMs);
      this.start(manifest.version);
    }
  }

  private start(version: string): void {
    const file = join(this.root, SPAWN_FILE);
    if (this.pid() !== undefined || !existsSync(file)) return;
    const { argv } = JSON.parse(readFileSync(file, 'utf8')) as { argv: string[] };
    const at = argv.indexOf('--git-version');
    if (version && at >= 0) {
      argv[at + 1] = version;
      writeFileSync(file, `${JSON.stringify({ argv })}\n`, { mode: 0o600 });
    }
    const [cmd, ...args] = argv;
    this.proc = this.lab.spawn(this.host, cmd!, args, { name: 'kube-apiserver' });
    this.starts++;
    this.emit({ source: 'static-pod', kind: 'started', detail: `kube-apiserver.yaml: stand-in apiserver started again (log ${this.proc.logPath})` });
  }

  async stop(reason: string): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    this.emit({ source: 'static-pod', kind: 'stopping', detail: `kube-apiserver.yaml: ${reason}`, pid });
    signalQuietly(pid, 'SIGTERM');
    const deadline = Date.now() + GRACE_MS;
    while (alive(pid) && Date.now() < deadline) await sleep(20);
    if (alive(pid)) signalQuietly(pid, 'SIGKILL');
    while (alive(pid)) await sleep(20);
    this.emit({ source: 'static-pod', kind: 'stopped', detail: `kube-apiserver.yaml: ${reason}` });
  }

  asContainer(): CrictlContainer | undefined {
    const pid = this.pid();
    if (pid === undefined) return undefined;
    return { name: 'kube-apiserver', podName: `kube-apiserver-${this.host}`, namespace: 'kube-system', running: true, instance: `${pid}-${this.starts}` };
  }
}
