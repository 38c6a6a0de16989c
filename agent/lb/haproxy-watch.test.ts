import { KEEPALIVED_CONF_PATH } from '../../core/host/paths.js';
import { afterEach, describe, expect, it } from 'vitest';
import { KEEPALIVED_TRACK_FILE_PATH } from '../../core/render/keepalived.js';
import { silentLogger } from '../../lib/log.js';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { probeHaproxyHealthz, startHaproxyWatch, type HaproxyWatch } from './haproxy-watch.js';
import { createServer } from 'node:http';

describe('haproxy watch (fast path for the keepalived track file)', () => {
  let host: ScriptedHostOps;
  let watch: HaproxyWatch | undefined;
  let up = true;

  const setup = async (withKeepalived = true) => {
    host = new ScriptedHostOps();
    if (withKeepalived) await host.writeFile(KEEPALIVED_CONF_PATH, 'vrrp_instance x {}\n', 0o644);
    up = true;
    // intervalMs 0: no timer, the test drives each probe with tick().
    watch = startHaproxyWatch({ host, logger: silentLogger, probe: async () => up, intervalMs: 0 });
  };
  const track = () => host.readFile(KEEPALIVED_TRACK_FILE_PATH);

  afterEach(() => {
    watch?.stop();
    host?.dispose();
  });

  it('sets FAULT after two failed probes and clears it after two good ones', async () => {
    await setup();
    await watch!.tick();
    await watch!.tick();
    expect(watch!.haproxyHealthy()).toBe(true);
    expect(await track()).toBe('0\n');
    up = false;
    await watch!.tick();
    expect(await track()).toBe('0\n');
    await watch!.tick();
    expect(await track()).toBe('1\n');
    expect(watch!.haproxyHealthy()).toBe(false);
    up = true;
    await watch!.tick();
    expect(await track()).toBe('1\n');
    await watch!.tick();
    expect(await track()).toBe('0\n');
  });

  it('ignores a single lost probe', async () => {
    await setup();
    await watch!.tick();
    await watch!.tick();
    up = false;
    await watch!.tick();
    up = true;
    await watch!.tick();
    up = false;
    await watch!.tick();
    expect(await track()).toBe('0\n');
  });

  it('never overrides a FAULT the coordinator forced, and hands back control when released', async () => {
    await setup();
    await watch!.tick();
    await watch!.tick();
    await watch!.force(true);
    expect(await track()).toBe('1\n');
    for (let i = 0; i < 5; i++) await watch!.tick();
    expect(await track()).toBe('1\n');
    // haproxy dies and comes back while forced: still FAULT.
    up = false;
    await watch!.tick();
    await watch!.tick();
    up = true;
    await watch!.tick();
    await watch!.tick();
    expect(await track()).toBe('1\n');
    await watch!.force(false);
    expect(await track()).toBe('0\n');
    up = false;
    await watch!.tick();
    await watch!.tick();
    expect(await track()).toBe('1\n');
  });

  it('releasing the force keeps FAULT while haproxy is down', async () => {
    await setup();
    up = false;
    await watch!.tick();
    await watch!.tick();
    await watch!.force(true);
    await watch!.force(false);
    expect(await track()).toBe('1\n');
  });

  it('writes nothing on a host without keepalived (a worker, or after reset)', async () => {
    await setup(false);
    up = false;
    for (let i = 0; i < 4; i++) await watch!.tick();
    expect(await track()).toBeUndefined();
    expect(await host.exists('/etc/keepalived')).toBe(false);
  });

  it('does not bring the track file back after a reset removed the configuration', async () => {
    await setup();
    await watch!.tick();
    await watch!.tick();
    await host.remove(KEEPALIVED_TRACK_FILE_PATH);
    await host.remove(KEEPALIVED_CONF_PATH);
    up = false;
    for (let i = 0; i < 4; i++) await watch!.tick();
    expect(await track()).toBeUndefined();
  });

  it('reacts on its own timer within a few hundred milliseconds', async () => {
    host = new ScriptedHostOps();
    await host.writeFile(KEEPALIVED_CONF_PATH, 'x\n', 0o644);
    up = true;
    watch = startHaproxyWatch({ host, logger: silentLogger, probe: async () => up, intervalMs: 20 });
    const until = async (want: string) => {
      const start = Date.now();
      while ((await track()) !== want) {
        if (Date.now() - start > 2000) throw new Error(`track file never became ${JSON.stringify(want)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return Date.now() - start;
    };
    await until('0\n');
    up = false;
    expect(await until('1\n')).toBeLessThan(500);
  });

  it('probes haproxy monitor-uri style endpoints: 200 is healthy, 503 and no listener are not', async () => {
    let status = 200;
    const server = createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await probeHaproxyHealthz(port)).toBe(true);
      status = 503;
      expect(await probeHaproxyHealthz(port)).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await probeHaproxyHealthz(port)).toBe(false);
  });
});
