import { describe, expect, it } from 'vitest';
import { answerProblem } from './runtime-answer.js';

// Answers as haproxy 2.6.12 gives them, trailing blank lines included.
describe('answerProblem', () => {
  it('accepts the success answers', () => {
    expect(answerProblem('add server kube-apiserver/m1 127.0.0.1:1 check', 'New server registered.\n\n')).toBeUndefined();
    expect(answerProblem('del server kube-apiserver/m1', 'Server deleted.\n')).toBeUndefined();
    expect(answerProblem('enable health kube-apiserver/m1', '\n')).toBeUndefined();
    expect(answerProblem('enable server kube-apiserver/m1', '\n')).toBeUndefined();
    expect(answerProblem('set server kube-apiserver/m1 state maint', '\n')).toBeUndefined();
    expect(answerProblem('shutdown sessions server kube-apiserver/m1', '\n')).toBeUndefined();
    expect(answerProblem('show servers state kube-apiserver', '1\n# be_id be_name\n\n')).toBeUndefined();
    expect(answerProblem('show stat kube-apiserver 4 -1', '# pxname,svname,qcur\n')).toBeUndefined();
    expect(answerProblem('show info', 'Name: HAProxy\nPid: 12\n')).toBeUndefined();
  });

  it('names the refusals callers react to', () => {
    const cases: [string, string, string][] = [
      ['del server kube-apiserver/nope', 'No such server.\n', 'no-such-server'],
      ['set server kube-apiserver/nope state drain', 'No such server.\n\n', 'no-such-server'],
      ['show servers state nope', "Can't find backend.\n\n", 'no-such-backend'],
      ['add server kube-apiserver/m1 127.0.0.1:2', 'Already exists a server with the same name in backend.\n\n', 'server-exists'],
      ['del server kube-apiserver/m1', 'Only servers in maintenance mode can be deleted.\n', 'not-in-maintenance'],
      ['del server kube-apiserver/m1', 'Server still has connections attached to it, cannot remove it.\n', 'has-connections'],
      ['add server kube-apiserver/m9 1.2.3.4:5 bogus', "unknown keyword 'bogus'.\n\n", 'bad-argument'],
      ['enable server kube-apiserver/m1', 'Permission denied\n\n', 'permission-denied'],
      ['bogus', 'Unknown command, but maybe one of the following ones is a better match:\n  help\n\n', 'unknown-command'],
    ];
    for (const [command, answer, refusal] of cases) expect(answerProblem(command, answer), command).toEqual({ refusal, answer: answer.trim() });
  });

  it('a silent command that says anything failed, even in words it has never used', () => {
    expect(answerProblem('set server kube-apiserver/m1 state ready', 'Something new went wrong.\n')).toEqual({
      refusal: 'unexpected-answer',
      answer: 'Something new went wrong.',
    });
    expect(answerProblem('add server kube-apiserver/m1 1.2.3.4:5', '\n')?.refusal).toBe('unexpected-answer');
  });

  it('commands without an expectation pass unless haproxy does not know them', () => {
    expect(answerProblem('show version', '2.6.12\n')).toBeUndefined();
    expect(answerProblem('show versio', 'Unknown command\n')?.refusal).toBe('unknown-command');
  });
});
