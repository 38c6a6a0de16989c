/**
 * haproxy.cfg and the runtime-API lines, checked by the real haproxy 2.6: `haproxy -c` on every rendered file, and a
 * live haproxy (started with the static pod's own command line) in a network namespace behind which a TLS server
 * answers /healthz, to prove that a server added with addServerCommand behaves like the ones in the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXTURE_PATH, LB_CASES, planFor, targetsFor } from '../../test/fixtures/golden/lb-cases.js';
import {
  type Daemon,
  HAPROXY,
  IP,
  IS_ROOT,
  Netns,
  findBinary,
  haproxyCommand,
  removeTree,
  rehome,
  runSync,
  scratchRoot,
  waitFor,
  writeRendered,
} from '../../test/fixtures/golden/lb-daemons.js';
import { decodeBackendSet, emptyBackendSet, encodeBackendSet, withBackends, withLoadBalancerConfig } from '../backend-set.js';
import { PreconditionError } from '../errors.js';
import { isRenderedHaproxyConfig } from '../lb/config-version.js';
import { parseSpecYaml } from '../spec.js';
import { HAPROXY_CFG_PATH } from '../host/paths.js';
import { planCluster } from '../plan.js';
import {
  HAPROXY_ADMIN_SOCKET,
  HAPROXY_MASTER_SOCKET,
  addServerCommand,
  checkTimeoutMs,
  defaultBackends,
  deleteServerCommand,
  loadBalancerConfig,
  publishedSettings,
  renderBackendSetConfig,
  renderHaproxyConfig,
  serverAddress,
  serverArguments,
  serverStateCommands,
  type HaproxyBackend,
} from './haproxy.js';
import { renderLoadBalancerFiles } from './load-balancer.js';
import { HAPROXY_MANIFEST_PATH } from './static-pods.js';

const staticPodPlan = planFor(LB_CASES.find((c) => c.name === 'static-pod')!);
const spec = staticPodPlan.spec;
const lbConfig = loadBalancerConfig(staticPodPlan);

/** Every haproxy.cfg the golden cases produce, plus backend sets with draining servers and an IPv6 cluster. */
function allConfigs(): { label: string; text: string }[] {
  const out: { label: string; text: string }[] = [];
  for (const c of LB_CASES) {
    for (const t of targetsFor(planFor(c))) {
      const cfg = renderLoadBalancerFiles(t, c.options).find((f) => f.path === HAPROXY_CFG_PATH);
      if (cfg) out.push({ label: `${c.name}/${t.node.name}`, text: cfg.content });
    }
  }
  const draining = defaultBackends(staticPodPlan).map((b, i) => ({ ...b, state: i === 1 ? ('draining' as const) : ('active' as const) }));
  out.push({ label: 'backend set with a draining server', text: renderHaproxyConfig(staticPodPlan, draining, { backendSetVersion: 12 }) });
  out.push({ label: 'empty backend set', text: renderHaproxyConfig(staticPodPlan, []) });
  out.push({ label: 'ipv6 cluster', text: renderHaproxyConfig(ipv6Plan(), defaultBackends(ipv6Plan())) });
  return out;
}

/** Rendered only, never run: documentation-range IPv6 addresses that no test sends a packet to. */
function ipv6Plan() {
  const yaml = readFileSync(FIXTURE_PATH, 'utf8')
    .replace('198.18.0.100/24', '2001:db8::100/64')
    .replace(/198\.18\.0\.(\d+)/g, '2001:db8::$1');
  return planCluster(parseSpecYaml(yaml), { authPass: 'x' });
}

describe('server lines and runtime commands', () => {
  const backend: HaproxyBackend = { name: 'master-3', address: '198.18.0.14', port: 6443, state: 'active' };

  it('addServerCommand repeats the file settings on one line', () => {
    expect(addServerCommand(lbConfig, backend)).toBe('add server kube-apiserver/master-3 198.18.0.14:6443 check check-ssl verify none inter 1s fall 2 rise 2');
    expect(addServerCommand(lbConfig, { ...backend, state: 'draining' })).toBe(
      'add server kube-apiserver/master-3 198.18.0.14:6443 check check-ssl verify none inter 1s fall 2 rise 2 disabled',
    );
  });

  it('the file and the runtime line share exactly the same server arguments', () => {
    const cfg = renderHaproxyConfig(staticPodPlan, [backend]);
    expect(cfg).toContain(`    server master-3 ${serverArguments(lbConfig, backend)}\n`);
    expect(addServerCommand(lbConfig, backend)).toBe(`add server kube-apiserver/master-3 ${serverArguments(lbConfig, backend)}`);
  });

  it('state commands: active re-enables the check and the server; draining is maintenance; delete by name', () => {
    expect(serverStateCommands(backend)).toEqual(['enable health kube-apiserver/master-3', 'set server kube-apiserver/master-3 state ready']);
    expect(serverStateCommands({ ...backend, state: 'draining' })).toEqual(['set server kube-apiserver/master-3 state maint']);
    expect(deleteServerCommand(backend)).toBe('del server kube-apiserver/master-3');
  });

  it('IPv6 servers carry the ipv6@ prefix and the frontend binds both families', () => {
    const cfg = renderHaproxyConfig(ipv6Plan(), defaultBackends(ipv6Plan()));
    expect(cfg).toContain('    server master-0 ipv6@2001:db8::11:6443 check');
    expect(cfg).toContain('    bind :::8443 v4v6\n');
  });

  it('server addresses: IPv4 as given, IPv6 in its RFC 5952 form behind ipv6@, anything else refused', () => {
    expect(serverAddress({ ...backend, address: '198.18.0.13' })).toBe('198.18.0.13:6443');
    expect(serverAddress({ ...backend, address: '2001:DB8:0::0:13' })).toBe('ipv6@2001:db8::13:6443');
    expect(serverAddress({ ...backend, address: '::ffff:198.18.0.13' })).toBe('ipv6@::ffff:c612:d:6443');
    for (const address of ['master-3.example', '198.18.0.13:6443', '', '2001:db8::13::1'])
      expect(() => serverAddress({ ...backend, address })).toThrow(/not an IP/);
    // The same as when the address was parsed by ipaddr.parse, three times over: for any string, the same line or a refusal.
    const asBefore = (address: string) => {
      if (!ipaddr.isValid(address)) return 'refused';
      const parsed = ipaddr.parse(address);
      return parsed.kind() === 'ipv6' ? `ipv6@${parsed.toString()}:6443` : `${address}:6443`;
    };
    const now = (address: string) => {
      try {
        return serverAddress({ ...backend, address });
      } catch {
        return 'refused';
      }
    };
    const chars = fc.constantFrom(...'0123456789abcdefx.:%'.split(''));
    const quad = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 24 }), quad, fc.ipV6(), fc.ipV4Extended()), (address) => now(address) === asBefore(address)),
    );
  });

  it('refuses names haproxy cannot take, addresses that are not IPs, and duplicates', () => {
    expect(() => serverArguments(lbConfig, { ...backend, name: 'bad name' })).toThrow(/server name/);
    expect(() => serverArguments(lbConfig, { ...backend, address: 'master-3.example' })).toThrow(/not an IP/);
    expect(() => renderHaproxyConfig(staticPodPlan, [backend, backend])).toThrow(/twice/);
  });

  it('timeouts are written the way haproxy reads them, in hours for the long ones', () => {
    const cfg = renderHaproxyConfig(staticPodPlan, defaultBackends(staticPodPlan));
    for (const line of ['timeout connect 5s', 'timeout client 4h', 'timeout server 4h', 'timeout tunnel 4h', 'timeout check 2s'])
      expect(cfg).toContain(`    ${line}\n`);
    expect(cfg).not.toMatch(/\d{5,}ms/);
    expect(checkTimeoutMs(spec)).toBe(2000);
  });
});

describe('haproxy.cfg from a published backend set', () => {
  const plans = [...LB_CASES.filter((c) => c.name === 'static-pod' || c.name === 'systemd').map(planFor), ipv6Plan()];

  it('is the file the coordinator renders from the plan, byte for byte, after a trip through the codec', () => {
    for (const plan of plans) {
      const published = withLoadBalancerConfig(withBackends(emptyBackendSet(plan.spec.name), defaultBackends(plan)), loadBalancerConfig(plan));
      const received = decodeBackendSet(encodeBackendSet(published));
      const fromPlan = renderHaproxyConfig(plan, received.backends, { backendSetVersion: received.version });
      expect(renderBackendSetConfig(received)).toBe(fromPlan);
      expect(isRenderedHaproxyConfig(fromPlan)).toBe(true);
      for (const b of received.backends) {
        expect(addServerCommand(publishedSettings(received), b)).toBe(addServerCommand(loadBalancerConfig(plan), b));
        expect(addServerCommand(publishedSettings(received), { ...b, state: 'draining' })).toBe(
          addServerCommand(loadBalancerConfig(plan), { ...b, state: 'draining' }),
        );
      }
    }
  });

  it('follows the published settings, not the ones the agent saw before', () => {
    const base = withBackends(emptyBackendSet(spec.name), defaultBackends(staticPodPlan));
    const settings = loadBalancerConfig(staticPodPlan);
    const changed = withLoadBalancerConfig(base, { ...settings, runAs: 'systemd', port: 9443, healthCheck: { intervalMs: 3000, fall: 5, rise: 4 } });
    const cfg = renderBackendSetConfig(changed);
    expect(cfg).toContain('    bind *:9443\n');
    expect(cfg).toContain('    user haproxy\n');
    expect(cfg).toContain('    timeout check 6s\n');
    expect(cfg).toContain(' inter 3s fall 5 rise 4');
    expect(cfg).toContain(`# backend-set-version: ${changed.version}\n`);
  });

  it('cannot be rendered from a set published without the settings', () => {
    const bare = withBackends(emptyBackendSet(spec.name), defaultBackends(staticPodPlan));
    expect(() => renderBackendSetConfig(bare)).toThrow(PreconditionError);
    expect(() => publishedSettings(bare)).toThrow(/carries no load-balancer settings/);
  });
});

describe('every rendered haproxy.cfg', () => {
  const configs = allConfigs();

  it.each(configs.map((c) => [c.label, c.text] as const))('%s: TLS /healthz checks on every server, never ssl-hello-chk', (_label, text) => {
    expect(text).not.toContain('ssl-hello-chk');
    expect(text).toContain('\n    balance roundrobin\n');
    expect(text).toContain('\n    option httpchk GET /healthz\n    http-check expect status 200\n');
    expect(text).not.toMatch(/^\s*daemon\b/m);
    for (const line of text.split('\n').filter((l) => /^\s*server\s/.test(l)))
      expect(line).toMatch(/ check check-ssl verify none inter \S+ fall \d+ rise \d+( disabled)?$/);
  });

  it.skipIf(!HAPROXY)('passes haproxy -c without a warning (haproxy found)', () => {
    const dir = scratchRoot('hacfg');
    try {
      for (const { label, text } of configs) {
        const file = join(dir, 'haproxy.cfg');
        writeFileSync(file, text);
        const r = runSync(HAPROXY!, ['-c', '-f', file]);
        expect(r.status, `${label}:\n${r.output}`).toBe(0);
        expect(r.output.trim(), label).toBe('Configuration file is valid');
      }
    } finally {
      removeTree(dir);
    }
  });
});

const OPENSSL = findBinary('openssl');
const CURL = findBinary('curl');
const canRunLive = IS_ROOT && Boolean(HAPROXY && IP && OPENSSL && CURL);

describe.skipIf(!canRunLive)('a live haproxy with the static pod command line (root, haproxy, ip, openssl, curl)', () => {
  const netns = new Netns('haproxy');
  const master0 = staticPodPlan.controlPlane[0]!;
  let root = '';
  let apiserver: Daemon | undefined;
  let haproxy: Daemon | undefined;
  let admin = '';
  const stat = async (server: string) => {
    const csv = await haproxyCommand(admin, 'show stat -1 4 -1');
    const [header, ...rows] = csv.trim().split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    const row = rows.map((r) => r.split(',')).find((r) => r[1] === server);
    return row ? Object.fromEntries(columns.map((c, i) => [c, row[i]])) : undefined;
  };
  const statusOf = async (server: string) => (await stat(server))?.status;

  beforeAll(async () => {
    root = scratchRoot('halive');
    netns.create(master0.address);
    // A stand-in apiserver: TLS on the node address, any GET answered 200.
    const cert = join(root, 'cert.pem');
    const key = join(root, 'key.pem');
    const gen = runSync(OPENSSL!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=kube-apiserver']);
    expect(gen.status, gen.output).toBe(0);
    apiserver = netns.spawn(OPENSSL!, ['s_server', '-quiet', '-www', '-accept', `${master0.address}:6443`, '-cert', cert, '-key', key]);

    const target = targetsFor(staticPodPlan)[0]!;
    const files = renderLoadBalancerFiles(target);
    writeRendered(root, files);
    const pod = parse(files.find((f) => f.path === HAPROXY_MANIFEST_PATH)!.content) as { spec: { containers: { command: string[] }[] } };
    const [command, ...args] = pod.spec.containers[0]!.command.map((a) => rehome(a, root));
    expect(command).toBe('haproxy');
    haproxy = netns.spawn(HAPROXY!, args);
    admin = `${root}${HAPROXY_ADMIN_SOCKET}`;
    const up = await waitFor(() => existsSync(admin) || !haproxy!.running, 10_000);
    expect(up && haproxy.running, haproxy.output).toBe(true);
  });

  afterAll(async () => {
    await haproxy?.stop();
    await apiserver?.stop();
    netns.destroy();
    if (root) removeTree(root);
  });

  it('checks the stand-in apiserver over TLS and forwards client connections on the LB port', async () => {
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== 'UP'; i++) {
      status = await statusOf('master-0');
      if (status !== 'UP') await new Promise((r) => setTimeout(r, 100));
    }
    const row = await stat('master-0');
    expect(row?.status, haproxy!.output).toBe('UP');
    expect(row?.check_status).toBe('L7OK');
    expect(row?.check_code).toBe('200');
    const viaLb = netns.exec(CURL!, ['-sk', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `https://${master0.address}:8443/healthz`]);
    expect(viaLb.output).toBe('200');
  });

  it('answers the liveness probe on loopback and exposes the master CLI given by -S', () => {
    const probe = netns.exec(CURL!, ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', 'http://127.0.0.1:8404/healthz']);
    expect(probe.output).toBe('200');
    return haproxyCommand(`${root}${HAPROXY_MASTER_SOCKET}`, 'show proc').then((out) => expect(out).toMatch(/master/));
  });

  it('accepts the add server line and runs the new server exactly like a configured one', async () => {
    const added: HaproxyBackend = { name: 'master-3', address: master0.address, port: 6443, state: 'active' };
    const answer = await haproxyCommand(admin, addServerCommand(lbConfig, added));
    expect(answer.trim()).toBe('New server registered.');
    expect(await statusOf('master-3')).toBe('MAINT');
    for (const command of serverStateCommands(added)) expect((await haproxyCommand(admin, command)).trim(), command).toBe('');
    for (let i = 0; i < 100 && (await statusOf('master-3')) !== 'UP'; i++) await new Promise((r) => setTimeout(r, 100));
    const configured = await stat('master-0');
    const dynamic = await stat('master-3');
    for (const column of ['status', 'weight', 'check_status', 'check_code', 'check_rise', 'check_fall', 'agg_check_status'])
      expect(dynamic?.[column], column).toBe(configured?.[column]);
  });

  it('draining means maintenance, and a server in maintenance can be deleted', async () => {
    for (const command of serverStateCommands({ name: 'master-3', state: 'draining' })) expect((await haproxyCommand(admin, command)).trim()).toBe('');
    expect(await statusOf('master-3')).toBe('MAINT');
    expect((await haproxyCommand(admin, deleteServerCommand({ name: 'master-3' }))).trim()).toBe('Server deleted.');
    expect(await stat('master-3')).toBeUndefined();
    const draining: HaproxyBackend = { name: 'master-4', address: master0.address, port: 6443, state: 'draining' };
    expect((await haproxyCommand(admin, addServerCommand(lbConfig, draining))).trim()).toBe('New server registered.');
    expect(await statusOf('master-4')).toBe('MAINT');
  });
});
