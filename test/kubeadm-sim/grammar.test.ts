import { describe, it, expect } from 'vitest';
import {
  parseCommandLine,
  validateMixedArguments,
  validateIgnorePreflightErrors,
  UsageError,
  getStrings,
  getBool,
  getString,
  getNumber,
  renderHelp,
  chainFor,
} from './grammar.js';
import { KUBEADM_ROOT } from './kubeadm-spec.js';
import { formatGoDuration, humanDuration, parseGoDuration, shortHumanDuration } from './duration.js';

const parse = (...argv: string[]) => parseCommandLine(KUBEADM_ROOT, argv);

describe('cobra/pflag grammar', () => {
  it('resolves subcommands through interspersed flags', () => {
    const p = parse('init', '--config', '/etc/kubeadm-ha/kubeadm.yaml', 'phase', 'upload-certs', '--upload-certs');
    expect(p.path).toEqual(['kubeadm', 'init', 'phase', 'upload-certs']);
    expect(getString(p, 'config')).toBe('/etc/kubeadm-ha/kubeadm.yaml');
    expect(getBool(p, 'upload-certs')).toBe(true);
    expect(p.changed).toEqual(['config', 'upload-certs']);
  });

  it('keeps the join endpoint as the positional argument and accumulates slices', () => {
    const p = parse(
      'join',
      '198.18.0.100:8443',
      '--token',
      'abcdef.0123456789abcdef',
      '--discovery-token-ca-cert-hash=sha256:aa',
      '--discovery-token-ca-cert-hash',
      'sha256:bb',
      '--ignore-preflight-errors=DirAvailable--etc-kubernetes-manifests,Swap',
      '--control-plane',
    );
    expect(p.args).toEqual(['198.18.0.100:8443']);
    expect(getStrings(p, 'discovery-token-ca-cert-hash')).toEqual(['sha256:aa', 'sha256:bb']);
    expect(getStrings(p, 'ignore-preflight-errors')).toEqual(['DirAvailable--etc-kubernetes-manifests', 'Swap']);
    expect(getBool(p, 'control-plane')).toBe(true);
  });

  it('parses ints, durations, shorthands and bool values like pflag', () => {
    expect(getNumber(parse('join', 'x:1', '--apiserver-bind-port=16443'), 'apiserver-bind-port')).toBe(16443);
    expect(parse('token', 'create', '--ttl', '1h30m').values.get('ttl')).toBe(90 * 60_000);
    expect(getString(parse('version', '-o', 'short'), 'output')).toBe('short');
    expect(getString(parse('version', '-oshort'), 'output')).toBe('short');
    expect(getNumber(parse('version', '-v=5'), 'v')).toBe(5);
    expect(getBool(parse('reset', '-f'), 'force')).toBe(true);
    expect(getBool(parse('init', '--upload-certs=false'), 'upload-certs')).toBe(false);
  });

  it('rejects unknown flags with pflag messages', () => {
    expect(() => parse('join', '--foo')).toThrow(new UsageError('unknown flag: --foo'));
    expect(() => parse('init', '-x')).toThrow("unknown shorthand flag: 'x' in -x");
    expect(() => parse('init', '--config')).toThrow('flag needs an argument: --config');
    expect(() => parse('join', 'a:1', '--apiserver-bind-port', 'abc')).toThrow(
      'invalid argument "abc" for "--apiserver-bind-port" flag: strconv.ParseInt: parsing "abc": invalid syntax',
    );
    expect(() => parse('token', 'create', '--ttl', 'forever')).toThrow('invalid argument "forever" for "--ttl" flag: time: invalid duration "forever"');
    // --upload-certs belongs to init, not join
    expect(() => parse('join', 'a:1', '--upload-certs')).toThrow('unknown flag: --upload-certs');
  });

  it('enforces cobra argument rules', () => {
    expect(() => parse('join', 'a:1', 'b:2')).toThrow('accepts at most 1 arg(s), received 2');
    expect(() => parse('init', 'extra')).toThrow('unknown command "extra" for "kubeadm init"');
    expect(() => parse('token')).toThrow('missing subcommand; "token" is not meant to be run on its own');
  });

  it('treats -h/--help as help, not as an error', () => {
    const p = parse('join', '--help');
    expect(p.help).toBe(true);
    const help = renderHelp(chainFor(KUBEADM_ROOT, p.path));
    expect(help).toContain('kubeadm join [api-server-endpoint] [flags]');
    expect(help).toContain('--discovery-token-ca-cert-hash strings');
  });
});

describe('ValidateMixedArguments (kubeadm v1.31 isAllowedFlag)', () => {
  const mixed = (...argv: string[]) => validateMixedArguments(parse(...argv).changed);

  it('rejects --certificate-key with --config on init and on upload-certs', () => {
    expect(mixed('init', '--config', 'k.yaml', '--upload-certs', '--certificate-key', 'ab')).toBe("can not mix '--config' with arguments [certificate-key]");
    expect(mixed('init', 'phase', 'upload-certs', '--upload-certs', '--config', 'k.yaml', '--certificate-key', 'ab')).toBe(
      "can not mix '--config' with arguments [certificate-key]",
    );
  });

  it('lists every offending flag in lexicographic order', () => {
    expect(mixed('join', 'a:1', '--config', 'j.yaml', '--token', 't', '--control-plane', '--discovery-token-ca-cert-hash', 'sha256:x')).toBe(
      "can not mix '--config' with arguments [control-plane discovery-token-ca-cert-hash token]",
    );
    expect(mixed('token', 'create', '--config', 'k.yaml', '--ttl', '15m', '--print-join-command')).toBe("can not mix '--config' with arguments [ttl]");
  });

  it('allows the whitelisted and skip-* flags', () => {
    expect(
      mixed(
        'init',
        '--config',
        'k.yaml',
        '--upload-certs',
        '--skip-phases=addon/kube-proxy',
        '--skip-token-print',
        '--ignore-preflight-errors=all',
        '--node-name',
        'm0',
        '-v',
        '5',
      ),
    ).toBeNull();
    expect(
      mixed(
        'join',
        '--config',
        'j.yaml',
        '--ignore-preflight-errors=DirAvailable--etc-kubernetes-manifests',
        '--node-name',
        'm1',
        '--skip-phases',
        'preflight',
      ),
    ).toBeNull();
    expect(mixed('token', 'create', '--config', 'k.yaml', '--print-join-command', '--kubeconfig', '/etc/kubernetes/admin.conf')).toBeNull();
    expect(mixed('join', 'a:1', '--token', 't', '--control-plane')).toBeNull();
  });

  it('rejects "all" mixed with individual checks', () => {
    expect(validateIgnorePreflightErrors(['all', 'Swap'], []).error).toContain("don't specify individual checks if 'all' is used");
    expect([...validateIgnorePreflightErrors(['DirAvailable--etc-kubernetes-manifests'], ['Swap']).set]).toEqual([
      'swap',
      'diravailable--etc-kubernetes-manifests',
    ]);
  });
});

describe('Go durations', () => {
  it('parses and formats like time.Duration', () => {
    expect(parseGoDuration('15m')).toBe(900_000);
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('300ms')).toBe(300);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('15')).toBeNull();
    expect(parseGoDuration('')).toBeNull();
    expect(formatGoDuration(24 * 3_600_000)).toBe('24h0m0s');
    expect(formatGoDuration(1502)).toBe('1.502s');
    expect(formatGoDuration(300)).toBe('300ms');
  });

  it('renders the short and human durations of kubeadm token list and kubectl', () => {
    expect(shortHumanDuration(23 * 3_600_000 + 59 * 60_000)).toBe('23h');
    expect(shortHumanDuration(90_000)).toBe('1m');
    expect(shortHumanDuration(-5000)).toBe('<invalid>');
    expect(humanDuration(30_000)).toBe('30s');
    expect(humanDuration(5 * 60_000 + 10_000)).toBe('5m10s');
    expect(humanDuration(3 * 3_600_000 + 5 * 60_000)).toBe('3h5m');
  });
});
