/**
 * The systemd units' hardening, read from the files as shipped. Cheap on purpose (no package build, unlike
 * packaging.test.ts): these lines are easy to lose in an edit, and some of them must stay loose for kubeadm to work.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UNITS = join(fileURLToPath(new URL('.', import.meta.url)), 'systemd');

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
