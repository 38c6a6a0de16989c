import { createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { renderNatsConfig, type NatsServerConfig } from './config.js';
import { COORDINATOR_PERMISSIONS, agentPermissions } from './permissions.js';

const coordinator = createUser().getPublicKey();
const agent = createUser().getPublicKey();

const base: NatsServerConfig = {
  serverName: 'kubeadm-ha-test',
  host: '127.0.0.1',
  port: 4222,
  monitorPort: 8222,
  pidFile: '/var/lib/kubeadm-ha/nats/nats-server.pid',
  storeDir: '/var/lib/kubeadm-ha/nats',
  users: [
    { nkey: coordinator, comment: 'coordinator', permissions: COORDINATOR_PERMISSIONS },
    { nkey: agent, comment: 'agent master-1 (cluster prod)', permissions: agentPermissions(agent, 'prod') },
  ],
};

describe('renderNatsConfig', () => {
  it('binds monitoring to loopback and lists every user with its grants', () => {
    const text = renderNatsConfig(base);
    expect(text).toContain('port: 4222');
    expect(text).toContain('http: "127.0.0.1:8222"');
    expect(text).toContain('store_dir: "/var/lib/kubeadm-ha/nats"');
    expect(text).toContain(`nkey: "${coordinator}"`);
    expect(text).toContain('# agent master-1 (cluster prod)');
    expect(text).toContain('publish: { allow: ["$JS.API.DIRECT.GET.KV_kha-lb.$KV.kha-lb.prod"] }');
    expect(text).not.toContain('CONSUMER');
    expect(text).toContain(`subscribe: { allow: ["$KV.kha-lb.prod", "_INBOX_${agent}.>"] }`);
    expect(text).not.toMatch(/^tls/m);
  });

  it('renders TLS, with client verification when a CA is given', () => {
    const text = renderNatsConfig({ ...base, tls: { certFile: '/etc/kha/nats.crt', keyFile: '/etc/kha/nats.key', caFile: '/etc/kha/ca.crt' } });
    expect(text).toMatch(
      /tls \{\n {2}cert_file: "\/etc\/kha\/nats\.crt"\n {2}key_file: "\/etc\/kha\/nats\.key"\n {2}ca_file: "\/etc\/kha\/ca\.crt"\n {2}verify: true/,
    );
    expect(renderNatsConfig({ ...base, tls: { certFile: '/a', keyFile: '/b' } })).not.toContain('verify');
  });

  it('refuses values that would break out of a quoted string, bad ports, sizes and keys', () => {
    expect(() => renderNatsConfig({ ...base, storeDir: '/tmp/x"\ninclude "/etc/passwd' })).toThrow(/not allowed/);
    expect(() => renderNatsConfig({ ...base, port: 0 })).toThrow(/port must be 1-65535/);
    expect(() => renderNatsConfig({ ...base, maxFileStore: '10G; x' })).toThrow(/size/);
    expect(() => renderNatsConfig({ ...base, users: [{ nkey: 'SUSEED', comment: 'x', permissions: COORDINATOR_PERMISSIONS }] })).toThrow(/public key/);
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
