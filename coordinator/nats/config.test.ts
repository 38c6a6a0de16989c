import { createAccount } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { renderNatsConfig, type NatsServerConfig } from './config.js';
import { agentPermissions } from './permissions.js';
import { createUser } from '@nats-io/nkeys';

const agent = createUser().getPublicKey();
const account = createAccount().getPublicKey();
const system = createAccount().getPublicKey();
const fakeJwt = (n: number) => `eyJ0eXAiOiJKV1QifQ.eyJu${n}fQ.c2ln${n}`;

const base: NatsServerConfig = {
  serverName: 'kubeadm-ha-test',
  host: '127.0.0.1',
  port: 4222,
  monitorPort: 8222,
  pidFile: '/var/lib/kubeadm-ha/nats/nats-server.pid',
  storeDir: '/var/lib/kubeadm-ha/nats',
  trust: {
    operatorJwt: fakeJwt(1),
    systemAccount: system,
    accounts: { [account]: fakeJwt(2), [system]: fakeJwt(3) },
    resolverDir: '/var/lib/kubeadm-ha/nats/accounts',
  },
};

describe('renderNatsConfig', () => {
  it('binds monitoring to loopback and trusts the operator, with both accounts preloaded and no user list', () => {
    const text = renderNatsConfig(base);
    expect(text).toContain('port: 4222');
    expect(text).toContain('http: "127.0.0.1:8222"');
    expect(text).toContain('store_dir: "/var/lib/kubeadm-ha/nats"');
    expect(text).toContain(`operator: "${fakeJwt(1)}"`);
    expect(text).toContain(`system_account: "${system}"`);
    expect(text).toContain('resolver {\n  type: full\n  dir: "/var/lib/kubeadm-ha/nats/accounts"\n  allow_delete: false');
    expect(text).toContain(`resolver_preload: {\n  "${account}": "${fakeJwt(2)}"\n  "${system}": "${fakeJwt(3)}"\n}`);
    // Registrations change nothing in this file: no users, no authorization block.
    expect(text).not.toContain('authorization');
    expect(text).not.toContain('nkey');
    expect(text).not.toMatch(/^tls/m);
  });

  it('renders TLS, with client verification when a CA is given', () => {
    const text = renderNatsConfig({ ...base, tls: { certFile: '/etc/kha/nats.crt', keyFile: '/etc/kha/nats.key', caFile: '/etc/kha/ca.crt' } });
    expect(text).toMatch(
      /tls \{\n {2}cert_file: "\/etc\/kha\/nats\.crt"\n {2}key_file: "\/etc\/kha\/nats\.key"\n {2}ca_file: "\/etc\/kha\/ca\.crt"\n {2}verify: true/,
    );
    expect(renderNatsConfig({ ...base, tls: { certFile: '/a', keyFile: '/b' } })).not.toContain('verify');
  });

  it('refuses values that would break out of a quoted string, bad ports, sizes, keys and tokens', () => {
    expect(() => renderNatsConfig({ ...base, storeDir: '/tmp/x"\ninclude "/etc/passwd' })).toThrow(/not allowed/);
    expect(() => renderNatsConfig({ ...base, port: 0 })).toThrow(/port must be 1-65535/);
    expect(() => renderNatsConfig({ ...base, maxFileStore: '10G; x' })).toThrow(/size/);
    expect(() => renderNatsConfig({ ...base, trust: { ...base.trust, systemAccount: agent } })).toThrow(/account public key/);
    expect(() => renderNatsConfig({ ...base, trust: { ...base.trust, accounts: { [account]: 'a.b"\n.c' } } })).toThrow(/not a JWT/);
  });
});

describe('agentPermissions', () => {
  it('grants read access to one key of kha-lb and the agent inbox, and nothing that writes or creates consumers', () => {
    const p = agentPermissions(agent, 'prod');
    expect(p.subscribe.allow).toEqual(['$KV.kha-lb.prod', `_INBOX_${agent}.>`]);
    for (const subject of p.publish.allow) {
      expect(subject.startsWith('$KV.')).toBe(false);
      expect(subject).not.toContain('kha-state');
      expect(subject).not.toBe('>');
    }
    // No consumer of any kind (durable, ephemeral, ordered): agents leave no state on the server.
    expect(p.publish.allow.filter((s) => s.includes('CONSUMER'))).toEqual([]);
    expect(p.publish.allow).toEqual(['$JS.API.DIRECT.GET.KV_kha-lb.$KV.kha-lb.prod']);
  });
});
