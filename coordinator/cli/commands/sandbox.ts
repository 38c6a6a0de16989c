import { KubeadmHaError } from '../../../core/errors.js';
import { parseCommandArgs, UsageError, type Command } from '../command.js';

/**
 * The sandbox is built from test-only pieces (the kubeadm simulator, the network-namespace lab, the kubelet
 * stand-in) that never ship; it is loaded only from a source checkout's build.
 */
const SANDBOX_MODULE = '../../../test/sandbox/sandbox.js';

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'up | down: a local 3 control-plane + 1 worker cluster in network namespaces (kubeadm simulated; needs root and a source checkout)',
  usage: 'coordinatorctl sandbox up|down',
  async run(args, io) {
    const { positionals } = parseCommandArgs(this, args, {}, true);
    const action = positionals[0];
    if (action !== 'up' && action !== 'down') throw new UsageError(`sandbox: say up or down\nusage: ${this.usage}`);
    let sandbox: { sandboxUp(io: unknown): Promise<number>; sandboxDown(io: unknown): Promise<number> };
    try {
      sandbox = (await import(SANDBOX_MODULE)) as typeof sandbox;
    } catch {
      throw new KubeadmHaError('the sandbox is not part of this build: it runs from a source checkout (git clone, then `sudo npm run sandbox`)');
    }
    return action === 'up' ? sandbox.sandboxUp(io) : sandbox.sandboxDown(io);
  },
};
