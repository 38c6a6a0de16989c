import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { servedCertificate } from './certs.js';

let host: ScriptedHostOps;
afterEach(() => host?.dispose());

describe('ServedCertificate', () => {
  it('connects only to an IP address and a TCP port, refusing anything else before reading or dialling', async () => {
    host = new ScriptedHostOps();
    await expect(servedCertificate(host, 'evil.example.com', 6443)).rejects.toThrow('"evil.example.com" is not an IP address');
    await expect(servedCertificate(host, '198.18.0.11:6443', 6443)).rejects.toThrow('is not an IP address');
    for (const port of [0, 65536, 6443.5, -1]) await expect(servedCertificate(host, '198.18.0.11', port)).rejects.toThrow(`${port} is not a TCP port`);
    // A valid target on a host that never joined: no cluster CA to verify against, so no handshake without it.
    await expect(servedCertificate(host, '198.18.0.11', 6443)).rejects.toThrow('does not exist: not a joined node');
    expect(host.calls).toEqual([]);
  });
});
