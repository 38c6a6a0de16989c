import { describe, expect, it } from 'vitest';
import {
  EtcdGatewayError,
  gatewayErrorMessage,
  memberIdFromHex,
  memberIdToHex,
  parseAlarms,
  parseEndpointStatus,
  parseMemberList,
  parseMemberRemove,
  parseSnapshotLine,
  peerUrlOf,
} from './gateway.js';

// Answers as etcd 3.4's gateway writes them: uint64 as strings, zero and false fields left out.
const MEMBERS = JSON.stringify({
  header: { cluster_id: '14841639068965178418', member_id: '10276657743932975437', raft_term: '2' },
  members: [
    { ID: '10276657743932975437', name: 'master-0', peerURLs: ['https://198.18.0.11:2380'], clientURLs: ['https://198.18.0.11:2379'] },
    { ID: '2', peerURLs: ['https://198.18.0.12:2380'], isLearner: true },
  ],
});

describe('etcd JSON gateway answers', () => {
  it('member list: ids in hex as etcdctl prints them, an unstarted member without name or client URLs', () => {
    expect(parseMemberList(MEMBERS)).toEqual([
      { id: '8e9e05c52164694d', name: 'master-0', peerUrls: ['https://198.18.0.11:2380'], clientUrls: ['https://198.18.0.11:2379'], isLearner: false },
      { id: '2', name: '', peerUrls: ['https://198.18.0.12:2380'], clientUrls: [], isLearner: true },
    ]);
    expect(parseMemberRemove(MEMBERS)).toHaveLength(2);
  });

  it('endpoint status: sizes, raft term and index from strings; a missing leader is "0"', () => {
    const s = parseEndpointStatus(
      JSON.stringify({
        header: { member_id: '10276657743932975437', revision: '42', raft_term: '3' },
        version: '3.4.23',
        dbSize: '20480',
        leader: '10276657743932975437',
        raftIndex: '57',
        raftTerm: '3',
        raftAppliedIndex: '57',
        dbSizeInUse: '16384',
      }),
    );
    expect(s).toEqual({
      memberId: '8e9e05c52164694d',
      leaderId: '8e9e05c52164694d',
      raftTerm: 3,
      raftIndex: 57,
      dbSize: 20480,
      dbSizeInUse: 16384,
      version: '3.4.23',
      errors: [],
      dbSizeQuota: 0,
      isLearner: false,
      revision: 42,
    });
    expect(parseEndpointStatus('{"header":{"member_id":"5"},"errors":["corrupt"]}')).toMatchObject({ leaderId: '0', errors: ['corrupt'], dbSize: 0 });
  });

  it('alarms: NONE (the zero value) is no alarm', () => {
    expect(parseAlarms('{"header":{}}')).toEqual([]);
    expect(parseAlarms('{"alarms":[{"memberID":"10","alarm":"NOSPACE"},{"memberID":"11"}]}')).toEqual([{ memberId: 'a', alarm: 'NOSPACE' }]);
  });

  it('refuses what is not an etcd answer, in one line naming the field', () => {
    expect(() => parseMemberList('<html>')).toThrow(EtcdGatewayError);
    expect(() => parseMemberList('<html>')).toThrow(/etcd member list: the answer is not JSON/);
    expect(() => parseEndpointStatus('{"dbSize":"-1"}')).toThrow(/etcd endpoint status: unexpected answer from etcd: dbSize/);
    expect(() => parseEndpointStatus('{"dbSize":1e300}')).toThrow(/dbSize/);
    expect(() => parseMemberList(JSON.stringify({ members: Array.from({ length: 300 }, () => ({})) }))).toThrow(/members/);
  });

  it('snapshot lines: base64 bytes and the remaining count; an error line fails', () => {
    const line = JSON.stringify({ result: { header: {}, remaining_bytes: '3', blob: Buffer.from('abc').toString('base64') } });
    expect(parseSnapshotLine(line)).toEqual({ bytes: Buffer.from('abc'), remainingBytes: 3 });
    expect(parseSnapshotLine('{"result":{"header":{}}}')).toEqual({ bytes: Buffer.alloc(0), remainingBytes: 0 });
    expect(() => parseSnapshotLine('{"error":{"grpc_code":14,"message":"etcdserver: no leader"}}')).toThrow(/etcd failed the snapshot: etcdserver: no leader/);
    expect(() => parseSnapshotLine('{"result":{"blob":"not base64!"}}')).toThrow(/blob must be base64/);
  });

  it('error bodies and ids', () => {
    expect(gatewayErrorMessage(404, '{"error":"etcdserver: member not found","code":5,"message":"etcdserver: member not found"}')).toBe(
      'HTTP 404: etcdserver: member not found',
    );
    expect(gatewayErrorMessage(502, 'x'.repeat(500))).toMatch(/^HTTP 502: x{200}… \(500 characters\)$/);
    expect(memberIdToHex('10276657743932975437')).toBe('8e9e05c52164694d');
    expect(memberIdFromHex('8e9e05c52164694d')).toBe('10276657743932975437');
    expect(memberIdFromHex('0')).toBeUndefined();
    expect(memberIdFromHex('x1')).toBeUndefined();
    expect(peerUrlOf('198.18.0.12')).toBe('https://198.18.0.12:2380');
    expect(peerUrlOf('fd00::1')).toBe('https://[fd00::1]:2380');
  });
});
