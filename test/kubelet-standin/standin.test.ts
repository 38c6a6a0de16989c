import { connect } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeE2E } from '../netns/describe-e2e.js';
import { createLab, type Lab } from '../netns/harness.js';
import { httpGetFrom } from '../netns/http-client.js';
import { selfSignedCertificate, startHttpsBackend } from '../netns/https-server.js';
import { installLoadBalancerFiles, planForLab } from '../netns/lb-cluster.js';
import { sleep } from '../netns/proc.js';
import { removeHostFiles } from './host-files.js';
import { startKubeletStandins, type KubeletStandins } from './standin.js';

const VIP = '198.18.0.110';
const MANIFESTS = 'etc/kubernetes/manifests';

/** One command on haproxy's runtime API, as the agent sends it. */
function haproxyCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      out += c;
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.write(`${command}\n`);
  });
}

async function twoHostLab(name: string, runAs: 'static-pod' | 'systemd', vrid: number): Promise<Lab> {
  const lab = await createLab({
    name,
    hosts: [
      { name: 'cp-a', address: '198.18.0.31/24' },
      { name: 'cp-b', address: '198.18.0.32/24' },
    ],
  });
  const cert = await selfSignedCertificate(
    lab.dir,
    'apiserver',
    lab.hosts.map((h) => h.address),
  );
  for (const h of lab.hosts) await startHttpsBackend(lab, h.name, { port: 6443, cert });
  installLoadBalancerFiles(lab, planForLab(lab, { vip: `${VIP}/24`, runAs, virtualRouterId: vrid }));
  return lab;
}

describeE2E('kubelet stand-in: static pods follow the manifest directory', () => {
  let lab: Lab;
  let standins: KubeletStandins | undefined;

  beforeAll(async () => {
    lab = await twoHostLab('standin-pods', 'static-pod', 61);
    standins = await startKubeletStandins({ lab });
    for (const h of lab.hosts) {
      await standins.of(h.name).waitUntilRunning('haproxy');
      await standins.of(h.name).waitUntilRunning('keepalived');
    }
  });

  afterAll(async () => {
    await standins?.stop();
    await lab?.destroy();
  });

  it('exposes haproxy runtime API at <root>/run/haproxy/admin.sock with the rendered backends', async () => {
    const out = await haproxyCommand(join(lab.host('cp-a').root, 'run/haproxy/admin.sock'), 'show servers state kube-apiserver');
    expect(out).toMatch(/kube-apiserver \d+ cp-a 198\.18\.0\.31 /);
    expect(out).toMatch(/kube-apiserver \d+ cp-b 198\.18\.0\.32 /);
  });

  it('creates the track file through keepalived init_file in the host root', async () => {
    expect(readFileSync(join(lab.host('cp-a').root, 'etc/keepalived/kubeadm-ha.track'), 'utf8').trim()).toBe('0');
  });

  it('stops keepalived when its manifest goes away (the VIP moves at once) and starts it when it returns', async () => {
    const { holders } = await lab.waitForHolders(VIP, (hs) => hs.length === 1);
    const holder = holders[0]!;
    const other = lab.hosts.find((h) => h.name !== holder)!.name;
    const standin = standins!.of(holder);
    const manifest = readFileSync(join(standin.root, MANIFESTS, 'keepalived.yaml'), 'utf8');
    removeHostFiles(standin.root, [`/${MANIFESTS}/keepalived.yaml`]);
    const moved = await lab.waitForHolders(VIP, (hs) => hs.length === 1 && hs[0] === other, { timeoutMs: 5000, intervalMs: 10 });
    console.log(`manifest removed on ${holder}: VIP on ${other} after ${moved.elapsedMs} ms`);
    await standin.waitUntilStopped('keepalived');
    expect(standin.events().some((e) => e.kind === 'stopped' && e.detail.includes('manifest removed'))).toBe(true);

    writeFileSync(join(standin.root, MANIFESTS, 'keepalived.yaml'), manifest, { mode: 0o600 });
    await standin.waitUntilRunning('keepalived');
    await sleep(1500);
    expect(await lab.whoHolds(VIP)).toEqual([other]);
  });

  it('restarts haproxy on a spec change, not on a comment-only change', async () => {
    const standin = standins!.of('cp-b');
    const path = join(standin.root, MANIFESTS, 'haproxy.yaml');
    const text = readFileSync(path, 'utf8');
    const before = await standin.waitUntilRunning('haproxy');
    writeFileSync(path, `# edited by hand\n${text}`);
    await standin.sync();
    await sleep(300);
    expect(standin.pidOf('haproxy')).toBe(before);
    writeFileSync(path, text.replace('cpu: 25m', 'cpu: 30m'));
    await standin.sync();
    const after = await standin.waitUntilRunning('haproxy');
    expect(after).not.toBe(before);
    expect(standin.status('haproxy')).toMatchObject({ source: 'static-pod', state: 'running', restarts: 0 });
  });

  it('restarts a killed container after the PLEG delay, like the kubelet', async () => {
    const standin = standins!.of('cp-a');
    // The previous test restarted haproxy: the pid it reports may be the one just exiting, so kill a live one.
    let before = await standin.waitUntilRunning('haproxy');
    let killed = standin.kill('haproxy', 'SIGKILL');
    for (const until = Date.now() + 5000; !killed && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 50));
      before = await standin.waitUntilRunning('haproxy');
      killed = standin.kill('haproxy', 'SIGKILL');
    }
    expect(killed).toBe(true);
    // Until the stand-in has seen the exit it still reports the old pid; wait for a different one (the restart follows
    // the ~1 s PLEG delay, but starting a container on a loaded machine can take seconds more: a wait, not a timing).
    const deadline = Date.now() + 15_000;
    let after = standin.pidOf('haproxy');
    while ((after === undefined || after === before) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      after = standin.pidOf('haproxy');
    }
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(standin.status('haproxy'), JSON.stringify(standin.events().slice(-4))).toMatchObject({ restarts: 1, lastExit: { signal: 'SIGKILL' } });
    // A new pid is not yet a listening haproxy: give the restarted one up to 5 s to bind before asking through the VIP.
    let status = 0;
    for (const until = Date.now() + 5000; status !== 200 && Date.now() < until; ) {
      status = (await httpGetFrom(lab, 'cp-b', `https://${VIP}:8443/healthz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });

  it('reports manifests it will not run: unsafe pods and a second pod for the same daemon', async () => {
    const standin = standins!.of('cp-a');
    const dir = join(standin.root, MANIFESTS);
    const text = readFileSync(join(dir, 'haproxy.yaml'), 'utf8');
    writeFileSync(join(dir, 'aaa-no-hostnet.yaml'), text.replace('hostNetwork: true', 'hostNetwork: false'));
    writeFileSync(join(dir, 'haproxy.yaml.tmp'), text);
    writeFileSync(join(dir, '.hidden.yaml'), 'not even yaml: [');
    await standin.sync();
    const problems = standin.problems().join('\n');
    expect(problems).toMatch(/aaa-no-hostnet\.yaml: .*hostNetwork is not true/);
    expect(problems).toMatch(/haproxy\.yaml\.tmp: a second static pod running haproxy \(haproxy\.yaml already does\)/);
    expect(problems).not.toMatch(/hidden/);
    removeHostFiles(standin.root, [`/${MANIFESTS}/aaa-no-hostnet.yaml`, `/${MANIFESTS}/haproxy.yaml.tmp`, `/${MANIFESTS}/.hidden.yaml`]);
    await standin.sync();
    expect(standin.problems()).toEqual([]);
  });

  it('refuses to run keepalived as a systemd unit while its static pod runs', async () => {
    const r = await standins!.systemctl('cp-a', 'start', 'keepalived');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/already runs as static pod/);
  });
});

describeE2E('kubelet stand-in: systemd units and the systemctl stub', () => {
  let lab: Lab;
  let standins: KubeletStandins | undefined;

  beforeAll(async () => {
    lab = await twoHostLab('standin-units', 'systemd', 62);
    standins = await startKubeletStandins({ lab });
  });

  afterAll(async () => {
    await standins?.stop();
    await lab?.destroy();
  });

  const stub = (host: string, ...argv: string[]) => lab.exec(host, join(standins!.of(host).binDir, 'systemctl'), argv, { reject: false });

  it('starts Debian-style units through the stub on the agent PATH; exactly one host takes the VIP', async () => {
    for (const h of lab.hosts) {
      expect((await stub(h.name, 'is-active', 'haproxy')).stdout).toBe('inactive\n');
      expect(await stub(h.name, 'enable', '--now', 'haproxy.service')).toMatchObject({ exitCode: 0 });
      expect(await stub(h.name, 'start', 'keepalived')).toMatchObject({ exitCode: 0 });
      expect(await stub(h.name, 'is-active', 'keepalived')).toMatchObject({ exitCode: 0, stdout: 'active\n' });
      expect(standins!.of(h.name).status('haproxy')).toMatchObject({ source: 'systemd', state: 'running' });
    }
    await lab.waitForHolders(VIP, (hs) => hs.length === 1);
    expect((await httpGetFrom(lab, 'cp-a', `https://${VIP}:8443/healthz`)).status).toBe(200);
    const out = await haproxyCommand(join(lab.host('cp-b').root, 'run/haproxy/admin.sock'), 'show servers state kube-apiserver');
    expect(out).toMatch(/cp-a 198\.18\.0\.31 /);
  });

  it('reloads haproxy in place and refuses a broken configuration', async () => {
    const standin = standins!.of('cp-a');
    const pid = standin.pidOf('haproxy');
    expect(await stub('cp-a', 'reload', 'haproxy')).toMatchObject({ exitCode: 0 });
    expect(standin.pidOf('haproxy')).toBe(pid);
    const cfg = join(standin.root, 'etc/haproxy/haproxy.cfg');
    const good = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, `${good}\nthis is not haproxy syntax\n`);
    const broken = await stub('cp-a', 'reload', 'haproxy');
    writeFileSync(cfg, good);
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toMatch(/failed/);
    expect(await stub('cp-a', 'is-active', 'haproxy')).toMatchObject({ exitCode: 0 });
  });

  it('stop keepalived on the holder moves the VIP; unknown units fail like systemctl', async () => {
    const [holder] = await lab.whoHolds(VIP);
    const other = lab.hosts.find((h) => h.name !== holder)!.name;
    expect(await stub(holder!, 'stop', 'keepalived')).toMatchObject({ exitCode: 0 });
    expect(await stub(holder!, 'is-active', 'keepalived')).toMatchObject({ exitCode: 3, stdout: 'inactive\n' });
    await lab.waitForHolders(VIP, (hs) => hs.length === 1 && hs[0] === other, { timeoutMs: 5000 });
    expect(await stub(holder!, 'restart', 'kube-vip')).toMatchObject({ exitCode: 5 });
    expect(await stub(holder!, 'restart', 'kubelet')).toMatchObject({ exitCode: 0 });
  });

  it('skips keepalived when keepalived.conf is gone (ConditionFileNotEmpty)', async () => {
    const [holder] = await lab.whoHolds(VIP);
    const idle = lab.hosts.find((h) => h.name !== holder)!.name;
    removeHostFiles(lab.host(idle).root, ['/etc/keepalived/keepalived.conf']);
    expect(await stub(idle, 'start', 'keepalived')).toMatchObject({ exitCode: 0 });
    expect(await stub(idle, 'is-active', 'keepalived')).toMatchObject({ exitCode: 3 });
    expect(
      standins!
        .of(idle)
        .events()
        .some((e) => e.kind === 'refused' && /ConditionFileNotEmpty/.test(e.detail)),
    ).toBe(true);
  });
});

describe('kubelet stand-in module', () => {
  it('is importable without root (no side effects at import)', async () => {
    const mod = await import('./index.js');
    expect(typeof mod.startKubeletStandin).toBe('function');
  });
});
