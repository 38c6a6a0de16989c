/**
 * kube-apiserver's static pod, as far as the stand-in can play it: the simulated kubeadm starts the stand-in apiserver
 * itself (init, control-plane join) and records its command line in `$ROOT/run/kubeadm-sim/apiserver.json`; from
 * then on the manifest decides, as on a real node. kube-apiserver.yaml moved out of the manifests directory stops the
 * process (SIGTERM, SIGKILL after the pod's 30 s grace period); moved back, it starts again from the recorded
 * command line. kubeadm reset deletes the record with the process, so a node that left starts nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
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

export class ApiserverPod {
  private present?: boolean;
  private proc?: LabProcess;
  private starts = 0;

  constructor(
    private readonly lab: Lab,
    private readonly host: string,
    private readonly root: string,
    private readonly emit: EmitEvent,
  ) {}

  pid(): number | undefined {
    const file = join(this.root, PID_FILE);
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  }

  /** Acts on the manifest's arrival or departure; the first call only learns where things stand. */
  async sync(present: boolean): Promise<void> {
    const before = this.present;
    this.present = present;
    if (before === undefined || before === present) return;
    if (!present) await this.stop('manifest removed');
    else this.start();
  }

  private start(): void {
    const file = join(this.root, SPAWN_FILE);
    if (this.pid() !== undefined || !existsSync(file)) return;
    const { argv } = JSON.parse(readFileSync(file, 'utf8')) as { argv: string[] };
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
