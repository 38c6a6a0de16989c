import { describe, expect, it } from 'vitest';
import { RuntimeOutputError } from '../errors.js';
import { parseServerSessions, parseServersState, parseShowInfo, parseShowProc } from './runtime-output.js';

// Captured from haproxy 2.6.12: m0 from the file and UP; m1 added at runtime (maintenance, check stopped);
// m2 `disabled` in the file then `set server … state ready` (CMAINT kept, running); m3 forced into drain.
const HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
const STATE = [
  '1',
  HEADER,
  '3 kube-apiserver 1 m0 127.0.0.1 2 0 1 1 5 15 3 2 6 0 0 0 - 17001 - 0 0 - - 0',
  '3 kube-apiserver 2 m1 127.0.0.1 0 1 1 1 1 1 0 0 2 0 0 0 - 17002 - 0 0 - - 0',
  '3 kube-apiserver 3 m2 127.0.0.1 2 4 1 1 2 15 3 2 6 0 0 0 - 17003 - 0 0 - - 0',
  '3 kube-apiserver 4 m3 ::1 2 8 1 1 0 15 3 2 6 0 0 0 - 17004 - 0 0 - - 0',
  '',
  '',
].join('\n');

describe('parseServersState', () => {
  it('reads every server with its endpoint, states and check flags', () => {
    const servers = parseServersState(STATE);
    expect(servers.map((s) => [s.name, s.address, s.port, s.operational, s.admin, s.checkConfigured, s.checkEnabled])).toEqual([
      ['m0', '127.0.0.1', 17001, 'running', 'ready', true, true],
      ['m1', '127.0.0.1', 17002, 'stopped', 'maint', true, false],
      ['m2', '127.0.0.1', 17003, 'running', 'ready', true, true],
      ['m3', '::1', 17004, 'running', 'drain', true, true],
    ]);
    expect(servers[0]).toMatchObject({ backend: 'kube-apiserver', id: 1, adminFlags: 0 });
    expect(servers.map((s) => s.secondsSinceChange)).toEqual([5, 1, 2, 0]);
  });

  it('finds columns by name, so a reordered or longer header still reads right', () => {
    const text = [
      '1',
      '# be_name srv_name srv_port srv_addr srv_op_state srv_admin_state srv_check_state srv_id srv_time_since_last_change extra',
      'b s1 6443 198.18.0.11 2 1 14 7 42 x',
      '',
    ].join('\n');
    expect(parseServersState(text)).toEqual([
      expect.objectContaining({
        backend: 'b',
        name: 's1',
        port: 6443,
        address: '198.18.0.11',
        admin: 'maint',
        id: 7,
        checkEnabled: true,
        secondsSinceChange: 42,
      }),
    ]);
  });

  it('an empty backend is an empty list', () => {
    expect(parseServersState(`1\n${HEADER}\n\n`)).toEqual([]);
  });

  it('refuses other format versions, refusals and short lines', () => {
    expect(() => parseServersState(`2\n${HEADER}\n`)).toThrow(RuntimeOutputError);
    expect(() => parseServersState("Can't find backend.\n")).toThrow(/format version/);
    expect(() => parseServersState(`1\n${HEADER}\n3 kube-apiserver 1 m0\n`)).toThrow(/columns/);
    expect(() => parseServersState(`1\n${HEADER}\n3 kube-apiserver 1 m0 127.0.0.1 9 0 1 1 5 15 3 2 6 0 0 0 - 17001 - 0 0 - - 0\n`)).toThrow(/state column/);
  });
});

describe('parseServerSessions', () => {
  const csv = [
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight',
    'kube-apiserver,m0,0,0,2,2,,2,0,0,,0,,0,0,0,0,UP,1',
    'kube-apiserver,m1,1,1,0,2,,2,0,0,,0,,0,0,0,0,MAINT,1',
    'kube-apiserver,BACKEND,0,0,2,2,,2,0,0,,0,,0,0,0,0,UP,2',
    'other,m0,0,0,9,9,,2,0,0,,0,,0,0,0,0,UP,1',
    '',
  ].join('\n');

  it('keeps the servers of the backend with their current and queued sessions', () => {
    const sessions = parseServerSessions(csv, 'kube-apiserver');
    expect([...sessions.values()]).toEqual([
      { name: 'm0', current: 2, queued: 0, status: 'UP' },
      { name: 'm1', current: 0, queued: 1, status: 'MAINT' },
    ]);
  });

  it('refuses an answer without the CSV header', () => {
    expect(() => parseServerSessions('No such backend.\n', 'kube-apiserver')).toThrow(RuntimeOutputError);
  });
});

describe('parseShowProc', () => {
  it('reads the master, the current and the old workers', () => {
    const text = [
      '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
      '12230           master          3 [failed: 1]   0d00h11m09s     2.6.12-1+deb12u4',
      '# workers',
      '27829           worker          1               0d00h00m01s     2.6.12-1+deb12u4',
      '# old workers',
      '27780           worker          2               0d00h00m03s     2.6.12-1+deb12u4',
      '# programs',
      '',
    ].join('\n');
    expect(parseShowProc(text)).toEqual({
      master: { pid: 12230, reloads: 3, failedReloads: 1 },
      workers: [{ pid: 27829, reloads: 1 }],
      oldWorkers: [{ pid: 27780, reloads: 2 }],
    });
  });

  it('refuses an answer without a master', () => {
    expect(() => parseShowProc('Unknown command.\n')).toThrow(RuntimeOutputError);
  });
});

describe('parseShowInfo', () => {
  it('maps names to values', () => {
    const info = parseShowInfo('Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nPid: 27829\nUptime: 0d 0h00m01s\n');
    expect(info.get('Pid')).toBe('27829');
    expect(info.get('Uptime')).toBe('0d 0h00m01s');
  });
});
