import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../core/errors.js';
import { renderHoldNewConnections } from '../../core/render/vip-handover.js';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { handOverVip, type VipHandoverRequest } from './vip-handover.js';

const REQ: VipHandoverRequest = { vip: '198.18.0.100', port: 8443, drainTimeoutMs: 2_000, moveTimeoutMs: 2_000 };
const ADDR_WITH_VIP = [
  '2: eth0    inet 198.18.0.11/24 brd 198.18.0.255 scope global eth0\\       valid_lft forever preferred_lft forever',
  '2: eth0    inet 198.18.0.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever',
].join('\n');
const ADDR_WITHOUT_VIP = ADDR_WITH_VIP.split('\n')[0]!;
const conn = (peerPort: number, state = 'ESTAB') => `${state} 0 0 198.18.0.100:8443 198.18.0.21:${peerPort}`;

let host: ScriptedHostOps;
afterEach(() => host?.dispose());

/** A holder whose keepalived drops the VIP once the fault callback ran; `ssAnswers` are served in order, the last repeats. */
function holder(ssAnswers: string[], opts: { nft?: 'ok' | 'missing'; vipLeaves?: boolean } = {}) {
  host = new ScriptedHostOps();
  const events: string[] = [];
  let faulted = false;
  let ssCalls = 0;
  host.on('ss -Htn', () => {
    events.push('ss');
    return { stdout: ssAnswers[Math.min(ssCalls++, ssAnswers.length - 1)]! };
  });
  host.on('ip -o addr show', () => ({ stdout: faulted && opts.vipLeaves !== false ? ADDR_WITHOUT_VIP : ADDR_WITH_VIP }));
  if (opts.nft === 'missing') host.on(/^nft /, { exitCode: -1, stderr: 'spawn nft ENOENT' });
  const progress: string[] = [];
  const fault = async () => {
    events.push('fault');
    faulted = true;
  };
  return { events, progress, deps: { host, fault, progress: (l: string) => progress.push(l) } };
}

describe('handOverVip', () => {
  it('holds new connections, waits for the open ones to finish, then faults, and releases the hold once the VIP left', async () => {
    const h = holder([[conn(40512), conn(40513, 'CLOSE-WAIT'), conn(40400, 'TIME-WAIT')].join('\n'), conn(40512), '']);
    const result = await handOverVip(REQ, h.deps);
    expect(result).toMatchObject({ heldNewConnections: true, openAtStart: 2, cut: 0 });
    const nftCalls = host.calls.map((c, i) => [c, i] as const).filter(([c]) => c.startsWith('nft '));
    expect(nftCalls.map(([c]) => c)).toEqual(['nft -f -', 'nft delete table inet kubeadm_ha_vip_handover']);
    expect(host.inputs.get(nftCalls[0]![1])).toBe(renderHoldNewConnections('198.18.0.100', 8443));
    // The hold goes in before anything else, the fault only after the last open connection finished.
    expect(host.calls[0]).toBe('nft -f -');
    expect(h.events).toEqual(['ss', 'ss', 'ss', 'fault']);
    expect(host.calls.indexOf('nft delete table inet kubeadm_ha_vip_handover')).toBe(host.calls.length - 1);
    expect(h.progress.join('\n')).toMatch(/2 open connection\(s\) to 198\.18\.0\.100:8443 finished in \d+ ms/);
  });

  it('cuts what outlives the drain timeout (a watch never finishes) and says how many', async () => {
    const h = holder([conn(50000)]);
    const result = await handOverVip({ ...REQ, drainTimeoutMs: 150 }, h.deps);
    expect(result).toMatchObject({ heldNewConnections: true, openAtStart: 1, cut: 1 });
    expect(result.drainMs).toBeGreaterThanOrEqual(150);
    expect(h.events.at(-1)).toBe('fault');
    expect(h.progress.join('\n')).toContain('1 of 1 connection(s) to 198.18.0.100:8443 still open after 150 ms; they are cut when the VIP moves');
  });

  it('without nftables it still moves the VIP, and says what to install', async () => {
    const h = holder([conn(40512)], { nft: 'missing' });
    const result = await handOverVip(REQ, h.deps);
    expect(result).toMatchObject({ heldNewConnections: false, openAtStart: 0, cut: 0 });
    expect(h.events).toEqual(['fault']);
    expect(host.calls.filter((c) => c.startsWith('nft '))).toEqual(['nft -f -']);
    expect(h.progress[0]).toMatch(/cannot hold new connections to 198\.18\.0\.100:8443 \(nft: spawn nft ENOENT\); install nftables/);
  });

  it('a VIP that never leaves is a timeout naming the address, and the hold is released anyway', async () => {
    const h = holder([''], { vipLeaves: false });
    const err = await handOverVip({ ...REQ, moveTimeoutMs: 200 }, h.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/^198\.18\.0\.100 still on this host 200 ms after keepalived was put in FAULT/);
    expect(host.calls.at(-1)).toBe('nft delete table inet kubeadm_ha_vip_handover');
  });

  it('an IPv6 VIP is bracketed in what it says and matched normalised', async () => {
    const h = holder(['ESTAB 0 0 [fd00::100]:8443 [fd00::21]:40000', '']);
    host.on('ip -o addr show', { stdout: '' });
    const result = await handOverVip({ ...REQ, vip: 'fd00::100' }, h.deps);
    expect(result.openAtStart).toBe(1);
    expect(h.progress[0]).toContain('[fd00::100]:8443');
  });
});
