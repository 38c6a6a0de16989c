import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { parseAgentConfig, renderAgentConfig } from './agent-config.js';

const PIN = `sha256:${'ab'.repeat(32)}`;
const TOKEN = 'abcdef.0123456789abcdef';

describe('agent.yaml', () => {
  it('round-trips what token create prints', () => {
    const text = renderAgentConfig({ coordinator: '198.18.0.2:9443', token: TOKEN, caCertHash: PIN, role: 'worker' });
    expect(parseAgentConfig(text)).toEqual({ coordinator: '198.18.0.2:9443', token: TOKEN, caCertHash: PIN, role: 'worker', stateDir: '/var/lib/kubeadm-ha' });
  });

  it('never echoes a malformed token', () => {
    const bad = 'coordinator: 198.18.0.2:9443\ntoken: abcdef.SECRETSECRETSECRE\ncaCertHash: ' + PIN + '\n';
    const err = (() => {
      try {
        parseAgentConfig(bad);
      } catch (e) {
        return e as SpecError;
      }
      throw new Error('accepted a bad token');
    })();
    expect(err).toBeInstanceOf(SpecError);
    expect(err.message).toMatch(/token: is not a bootstrap token/);
    expect(err.message).not.toContain('SECRET');
  });

  it('rejects unknown keys, bad pins and bad names, all at once', () => {
    const text = `coordinator: x\ntoken: ${TOKEN}\ncaCertHash: md5:00\nnodeName: Bad_Name\ncordinator: y\n`;
    const err = (() => {
      try {
        parseAgentConfig(text);
      } catch (e) {
        return e as SpecError;
      }
      throw new Error('accepted');
    })();
    expect(err.issues.map((i) => i.path).sort()).toEqual(['(document)', 'caCertHash', 'coordinator', 'nodeName']);
  });
});
