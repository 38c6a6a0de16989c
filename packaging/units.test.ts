/**
 * The systemd units' hardening, read from the files as shipped. Cheap on purpose (no package build, unlike
 * packaging.test.ts): these lines are easy to lose in an edit, and some of them must stay loose for kubeadm to work.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_STOP_WAIT_MS } from '../core/agent-stop.js';
import { DEFAULT_TIMEOUTS } from '../coordinator/workflow/ports.js';

const PACKAGING = fileURLToPath(new URL('.', import.meta.url));
const UNITS = join(PACKAGING, 'systemd');

/** Every value of each directive of the [Service] section, in order. */
function serviceDirectives(unit: string): Map<string, string[]> {
  const text = readFileSync(join(UNITS, unit), 'utf8');
  const service = text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'));
  const out = new Map<string, string[]>();
  for (const line of service.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/** A systemd time span as TimeoutStopSec takes it ("90", "30s", "17min", "1h 5min"), in milliseconds. */
function systemdSpanMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000 };
  let total = 0;
  for (const m of value.trim().matchAll(/(\d+)\s*([a-z]*)/g)) total += Number(m[1]) * (units[m[2] || 's'] ?? Number.NaN);
  return total;
}

/** systemd-analyze's offline exposure score, printed for the record (scores move between systemd versions). */
function exposure(unit: string): string | undefined {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', unit], { cwd: UNITS, encoding: 'utf8' });
  return /Overall exposure level for \S+: ([\d.]+ \S+)/.exec(r.stdout + r.stderr)?.[1];
}

describe('kubeadm-ha-agent.service', () => {
  const d = serviceDirectives('kubeadm-ha-agent.service');

  it('restricts what neither the agent nor kubeadm needs: SUID/SGID files, exotic and packet sockets, core dumps', () => {
    expect(d.get('RestrictSUIDSGID')).toEqual(['yes']);
    expect(d.get('RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6 AF_NETLINK']);
    expect(d.get('LimitCORE')).toEqual(['0']);
    expect(Number(d.get('OOMScoreAdjust')?.[0])).toBeLessThan(0);
    expect(d.get('SystemCallErrorNumber')).toEqual(['EPERM']);
  });

  it('stops by SIGTERM to the agent alone (KillMode=mixed), and waits long enough for the longest kubeadm task to end', () => {
    // control-group (the default) would SIGTERM kubeadm too, cutting a join or reset half-way on every stop or upgrade.
    expect(d.get('KillMode')).toEqual(['mixed']);
    const stopMs = systemdSpanMs(d.get('TimeoutStopSec')?.[0] ?? '');
    // The agent waits for kubeadm init/join/reset up to MAX_STOP_WAIT_MS; those run at most the coordinator's timeouts.
    expect(MAX_STOP_WAIT_MS).toBeGreaterThanOrEqual(Math.max(DEFAULT_TIMEOUTS.initMs, DEFAULT_TIMEOUTS.joinMs));
    // And systemd must not SIGKILL before the agent has given up and sent its results.
    expect(stopMs).toBeGreaterThanOrEqual(MAX_STOP_WAIT_MS + 60_000);
  });

  it('filters system calls by a deny list that leaves modprobe, swapoff and kubeadm reset\'s unmounts working', () => {
    const filters = d.get('SystemCallFilter') ?? [];
    expect(filters).toHaveLength(1);
    const denied = filters[0]!.replace(/^~/, '').split(/\s+/);
    expect(filters[0]!.startsWith('~')).toBe(true);
    expect(denied).toEqual(expect.arrayContaining(['@obsolete', '@raw-io', '@reboot', '@cpu-emulation', '@debug']));
    for (const needed of ['@mount', '@swap', '@module', '@privileged', '@system-service']) expect(denied).not.toContain(needed);
    console.log(`kubeadm-ha-agent.service exposure: ${exposure('kubeadm-ha-agent.service') ?? 'systemd-analyze not available'}`);
  });
});

describe('kubeadm-ha-agent maintainer scripts', () => {
  const postinst = readFileSync(join(PACKAGING, 'debian/agent/postinst'), 'utf8');
  const spec = readFileSync(join(PACKAGING, 'rpm/kubeadm-ha-agent.spec'), 'utf8');

  it('an upgrade restarts a running agent with try-restart (a drain that waits for kubeadm), never by stop or kill', () => {
    // The .deb: start on first installation, try-restart on upgrade; both through deb-systemd-invoke (policy-rc.d).
    const invokes = [...postinst.matchAll(/deb-systemd-invoke (\S+) "\$unit"/g)].map((m) => m[1]);
    expect(invokes.sort()).toEqual(['start', 'try-restart']);
    expect(postinst).not.toMatch(/\b(kill|stop)\b.*kubeadm-ha-agent|systemctl (restart|stop|kill)/);
    expect(spawnSync('sh', ['-n', join(PACKAGING, 'debian/agent/postinst')]).status).toBe(0);
    // The .rpm: %postun on upgrade ($1 >= 1) try-restarts, and only %preun on erase ($1 = 0) stops.
    const postun = spec.slice(spec.indexOf('%postun'), spec.indexOf('%files'));
    expect(postun).toMatch(/if \[ "\$1" -ge 1 \]; then\n(?:#.*\n)*\s*systemctl try-restart kubeadm-ha-agent\.service/);
    expect(postun).not.toMatch(/systemctl (restart|stop|kill)/);
  });
});

describe('kubeadm-ha-coordinator.service', () => {
  const d = serviceDirectives('kubeadm-ha-coordinator.service');

  it('bounds memory, tasks and descriptors, and hides non-process /proc and the host\'s IPC', () => {
    expect(d.get('MemoryMax')).toEqual(['1G']);
    expect(d.get('TasksMax')).toEqual(['256']);
    expect(d.get('LimitNOFILE')).toEqual(['65536']);
    expect(d.get('ProcSubset')).toEqual(['pid']);
    expect(d.get('PrivateIPC')).toEqual(['yes']);
    expect(d.get('RestrictSUIDSGID')).toEqual(['yes']);
    console.log(`kubeadm-ha-coordinator.service exposure: ${exposure('kubeadm-ha-coordinator.service') ?? 'systemd-analyze not available'}`);
  });
});
