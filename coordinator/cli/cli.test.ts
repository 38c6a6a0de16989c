import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../../test/support/coordinatorctl.js';
import { afterAll, describe, expect, it } from 'vitest';

const FIXTURE = new URL('../../test/fixtures/cluster.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kha-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function specFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('coordinatorctl validate', () => {
  it('exits 0 with a summary of nodes, VIP, router id and priorities', async () => {
    const r = await cli('validate', '-f', FIXTURE);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid/);
    expect(r.out).toMatch(/198\.18\.0\.100\/24 port 8443/);
    expect(r.out).toMatch(/router id\s+auto \(\d+/);
    expect(r.out).toMatch(/master-1\s+control-plane\s+198\.18\.0\.12\s+eth0\s+98/);
  });

  it('exits 1 with one `path: message` line per problem', async () => {
    const bad = readFileSync(FIXTURE, 'utf8').replace('name: master-2', 'name: HCITos_cvm').replace('port: 8443', 'port: 6443');
    const r = await cli('validate', '-f', specFile('bad.yaml', bad));
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n')).toEqual([
      expect.stringMatching(/^spec\.nodes\[2\]\.name: "HCITos_cvm" is not a DNS-1123 label/),
      expect.stringMatching(/^spec\.controlPlaneEndpoint\.port: 6443 is also apiserverPort/),
    ]);
  });

  it('prints warnings but exits 0 for a single control-plane node', async () => {
    const single = readFileSync(FIXTURE, 'utf8').replace(
      /name: master-(1|2)\n(\s+)address: (\S+)\n\s+role: control-plane/g,
      'name: master-$1\n$2address: $3\n$2role: worker',
    );
    const r = await cli('validate', '-f', specFile('single.yaml', single));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/warning: spec\.nodes: has a single control-plane node/);
  });

  it.each([
    ['a missing file', ['validate', '-f', join(dir, 'nope.yaml')], /cannot read the cluster spec .*nope\.yaml: no such file; pass the path/],
    ['invalid YAML', ['validate', '-f', 'INVALID'], /line \d+, column \d+: invalid YAML: Flow sequence[^\n]*\]\n/],
    ['an unknown flag', ['validate', '--fil', 'x'], /Unknown option '--fil'[\s\S]*usage: coordinatorctl validate/],
    ['a missing -f', ['validate'], /-f is required/],
    ['an unknown command', ['deploi'], /unknown command "deploi"/],
  ])('refuses %s with a clear message and no stack trace', async (_what, argv, message) => {
    const args = argv.map((a) => (a === 'INVALID' ? specFile('invalid.yaml', 'apiVersion: [\n') : a));
    const r = await cli(...args);
    expect(r.code).toBeGreaterThan(0);
    expect(r.out + r.err).toMatch(message);
    expect(r.out + r.err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });
});

describe('coordinatorctl render', () => {
  it('writes every node file under DIR/<node>/<path> with its mode', async () => {
    const out = join(dir, 'render');
    const r = await cli('render', '-f', FIXTURE, '-o', out);
    expect(r.code).toBe(0);
    const mode = (p: string) => statSync(join(out, p)).mode & 0o777;
    expect(mode('master-0/etc/keepalived/keepalived.conf')).toBe(0o600);
    expect(mode('master-0/etc/keepalived/check_apiserver.sh')).toBe(0o755);
    expect(mode('master-0/etc/kubeadm-ha/kubeadm.yaml')).toBe(0o600);
    expect(mode('master-2/etc/kubernetes/manifests/haproxy.yaml')).toBe(0o600);
    expect(readFileSync(join(out, 'worker-1/etc/kubeadm-ha/kubeadm.yaml'), 'utf8')).toMatch(/kind: "?JoinConfiguration"?/);
    expect(() => statSync(join(out, 'worker-1/etc/haproxy/haproxy.cfg'))).toThrow();
  });

  it('renders one node with --node, and names the known nodes for an unknown one', async () => {
    const out = join(dir, 'one');
    expect((await cli('render', '-f', FIXTURE, '-o', out, '--node', 'master-1')).code).toBe(0);
    expect(statSync(join(out, 'master-1/etc/haproxy/haproxy.cfg')).isFile()).toBe(true);
    expect(() => statSync(join(out, 'master-0'))).toThrow();
    const r = await cli('render', '-f', FIXTURE, '-o', out, '--node', 'master-9');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no node named "master-9".*nodes are: master-0, master-1, master-2, worker-0, worker-1/);
  });

  it('names the path it cannot write and what to do, on one line, when -o is a file', async () => {
    const file = specFile('not-a-dir', 'x');
    const r = await cli('render', '-f', FIXTURE, '-o', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(
        `^coordinatorctl render: cannot write ${file}/master-0/\\S+: a part of the path is a file, not a directory; pass -o a directory you can write to\n$`,
      ),
    );
    expect(r.err).not.toMatch(/unexpected error|ENOTDIR|EEXIST/);
  });
});

describe('coordinatorctl plan', () => {
  it('prints the phases in order with the join order', async () => {
    const r = await cli('plan', '-f', FIXTURE);
    expect(r.code).toBe(0);
    const phases = [...r.out.matchAll(/^\d+\. ([a-z-]+):/gm)].map((m) => m[1]);
    expect(phases).toEqual([
      'validate',
      'wait-agents',
      'preflight',
      'etcd-health-gate',
      'prepare-hosts',
      'load-balancer',
      'init',
      'join-control-plane',
      'join-workers',
      'verify',
    ]);
    expect(r.out).toMatch(/hosts \(one at a time\): master-1, master-2/);
  });
});

describe('coordinatorctl etcd', () => {
  it('refuses a missing or unknown subcommand and a bad --keep before connecting, with its usage', async () => {
    const none = await cli('etcd');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/etcd: expected status, snapshot or restore\nusage: coordinatorctl etcd status/);
    expect((await cli('etcd', 'rewind')).code).toBe(2);
    const restore = await cli('etcd', 'restore');
    expect(restore.code).toBe(2);
    expect(restore.err).toMatch(/etcd restore: --from FILE is required/);
    expect((await cli('etcd', 'restore', '--from', 'x.db', '-o', 'json')).err).toMatch(/-o is for etcd status and snapshot/);
    expect((await cli('etcd', 'status', '--yes')).err).toMatch(/--from and --yes are for etcd restore/);
    const keep = await cli('etcd', 'snapshot', '--keep', '0');
    expect(keep.code).toBe(2);
    expect(keep.err).toMatch(/--keep "0" is not a count from 1 to 1000/);
    expect((await cli('etcd', 'status', '--keep', '3')).err).toMatch(/--keep is for etcd snapshot/);
    expect((await cli('etcd', 'status', '-o', 'yaml')).err).toMatch(/-o takes only json/);
  });
});

describe('coordinatorctl commands, loaded when run', () => {
  it('lists every command with its summary, and each name runs the command of that name', async () => {
    const help = await cli('--help');
    const names = [...help.out.matchAll(/^ {2}(\S+) {2,}\S/gm)].map((m) => m[1]!);
    expect(names).toEqual([
      'validate',
      'render',
      'plan',
      'deploy',
      'add-node',
      'remove-node',
      'reset',
      'status',
      'nodes',
      'token',
      'join-command',
      'verify',
      'etcd',
      'certs',
      'upgrade',
      'coordinators',
      'completion',
    ]);
    for (const name of names) {
      const r = await cli(name, '--help');
      expect(r.code, name).toBe(0);
      expect(r.out, name).toContain(`usage: coordinatorctl ${name}`);
    }
    expect((await cli('no-such')).err).toMatch(/unknown command "no-such"[\s\S]*deploy {2,}Deploy/);
  });
});
