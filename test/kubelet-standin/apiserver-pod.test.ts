/**
 * The kubelet stand-in's kube-apiserver pod, without a lab: a process that plays the stand-in apiserver (it writes its
 * pid file and its command line) is stopped when its manifest goes, started again when it comes back, and restarted
 * with the new image's version when the manifest changes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Lab } from '../netns/harness.js';
import type { LabProcess } from '../netns/lab-process.js';
import { ApiserverPod } from './apiserver-pod.js';
import type { StandinEvent } from './events.js';

const root = mkdtempSync(join(tmpdir(), 'kha-apiserver-pod-'));
const pidFile = join(root, 'run/kubeadm-sim/apiserver.pid');
const argvFile = join(root, 'argv.json');
const SCRIPT = `const fs=require('node:fs');const a=process.argv.slice(1);fs.writeFileSync(${JSON.stringify(argvFile)},JSON.stringify(a));fs.writeFileSync(a[a.indexOf('--pid-file')+1],String(process.pid));process.on('SIGTERM',()=>process.exit(0));setInterval(()=>{},1000);`;
const argv = [process.execPath, '-e', SCRIPT, '--', '--pid-file', pidFile, '--git-version', 'v1.31.4'];
const children: number[] = [];

const lab = {
  spawn: (_host: string, cmd: string, args: readonly string[]) => {
    const child = spawn(cmd, [...args], { stdio: 'ignore' });
    children.push(child.pid!);
    return { logPath: '/dev/null' } as unknown as LabProcess;
  },
} as unknown as Lab;

afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const gitVersion = () => {
  const a = JSON.parse(readFileSync(argvFile, 'utf8')) as string[];
  return a[a.indexOf('--git-version') + 1];
};

describe('the kube-apiserver pod of the kubelet stand-in', () => {
  it('stops with its manifest, starts when it returns, and restarts with the new version when it changes', async () => {
    mkdirSync(join(root, 'run/kubeadm-sim'), { recursive: true });
    writeFileSync(join(root, 'run/kubeadm-sim/apiserver.json'), JSON.stringify({ argv }));
    // The simulated kubeadm started it.
    lab.spawn('m', argv[0]!, argv.slice(1));
    const events: Omit<StandinEvent, 'at' | 'host'>[] = [];
    const pod = new ApiserverPod(lab, 'm', root, (e) => events.push(e), 50);
    await until(() => existsSync(pidFile), 'the first apiserver');
    const first = pod.pid();
    expect(first).toBeDefined();
    await pod.sync({ identity: 'a', version: 'v1.31.4' });
    expect(pod.pid()).toBe(first);

    await pod.sync({ identity: 'b', version: 'v1.32.0' });
    await until(() => pod.pid() !== undefined && pod.pid() !== first, 'the upgraded apiserver');
    expect(gitVersion()).toBe('v1.32.0');
    expect(events.map((e) => e.kind)).toEqual(['stopping', 'stopped', 'started']);

    const second = pod.pid();
    await pod.sync(undefined);
    expect(pod.pid()).toBeUndefined();
    expect(pod.asContainer()).toBeUndefined();
    await pod.sync({ identity: 'b', version: 'v1.32.0' });
    await until(() => pod.pid() !== undefined && pod.pid() !== second, 'the apiserver back');
    expect(gitVersion()).toBe('v1.32.0');
    expect(pod.asContainer()).toMatchObject({ name: 'kube-apiserver', running: true, namespace: 'kube-system' });
  });
});
