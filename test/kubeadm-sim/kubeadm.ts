/**
 * Entry point of the simulated `kubeadm` (a test double; never shipped). Parses argv with
 * kubeadm's grammar, runs the command against $KUBEADM_SIM_ROOT and $KUBEADM_SIM_STATE, prints
 * kubeadm's texts, exits with kubeadm's codes and appends one line to the invocation log.
 */
import { KUBEADM_ROOT } from './kubeadm-spec.js';
import { chainFor, getString, parseCommandLine, renderHelp, UsageError, type ParsedCommand } from './grammar.js';
import { logInvocation, out, printFailure, readEnv, SimFailure, type SimEnv, invocationDetails } from './env.js';
import { versionText } from './output.js';
import { StateStore } from './state.js';

async function dispatch(p: ParsedCommand, env: SimEnv, setHost: (h: string) => void): Promise<void> {
  if (getString(p, 'rootfs')) throw new SimFailure('kubeadm-sim: --rootfs is not simulated; the simulated host root is $KUBEADM_SIM_ROOT');
  switch (p.path.slice(1).join(' ')) {
    case 'version': {
      const text = versionText(env.version, getString(p, 'output'));
      if (text === null) throw new SimFailure(`invalid output format: ${getString(p, 'output')}`);
      out(text);
      return;
    }
    // Command modules load on demand: the PKI stack costs startup time that `version` need not pay.
    case 'init':
      return (await import('./cmd-init.js')).runInit(p, env, setHost);
    case 'init phase upload-certs':
      return (await import('./cmd-token.js')).runUploadCerts(p, env);
    case 'join':
      return (await import('./cmd-join.js')).runJoin(p, env, setHost);
    case 'reset':
      return (await import('./cmd-reset.js')).runReset(p, env, setHost);
    case 'token create':
      return (await import('./cmd-token.js')).runTokenCreate(p, env);
    case 'token delete':
      return (await import('./cmd-token.js')).runTokenDelete(p, env);
    case 'token list':
      return (await import('./cmd-token.js')).runTokenList(p, env);
    case 'token generate':
      return (await import('./cmd-token.js')).runTokenGenerate();
    case 'certs certificate-key':
      return (await import('./cmd-token.js')).runCertificateKey();
    case 'upgrade plan':
      return (await import('./cmd-upgrade.js')).runUpgradePlan(p, env);
    case 'upgrade apply':
      return (await import('./cmd-upgrade.js')).runUpgradeApply(p, env, setHost);
    case 'upgrade node':
      return (await import('./cmd-upgrade.js')).runUpgradeNode(p, env, setHost);
    case 'certs check-expiration':
      return (await import('./cmd-certs.js')).runCertsCheckExpiration(p, env);
    case '':
      out(renderHelp([KUBEADM_ROOT]));
      return;
    default:
      if (p.path[1] === 'certs' && p.path[2] === 'renew' && p.path[3]) return (await import('./cmd-certs.js')).runCertsRenew(p, env, p.path[3]);
      throw new SimFailure(`kubeadm-sim: "kubeadm ${p.path.slice(1).join(' ')}" is not simulated`);
  }
}

async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  let host: string | null = null;
  let exitCode = 0;
  let env: SimEnv | null = null;
  try {
    env = readEnv();
    const p = parseCommandLine(KUBEADM_ROOT, argv);
    if (p.help) {
      out(renderHelp(chainFor(KUBEADM_ROOT, p.path)));
    } else {
      await dispatch(p, env, (h) => {
        host = h;
      });
    }
  } catch (e) {
    if (e instanceof SimFailure) {
      printFailure(e);
      exitCode = e.exitCode;
    } else if (e instanceof UsageError) {
      printFailure(new SimFailure(e.message, 1));
      exitCode = 1;
    } else {
      printFailure(new SimFailure(`kubeadm-sim internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 1));
      exitCode = 1;
    }
  }
  if (env) {
    if (host === null) {
      const root = env.root;
      host = new StateStore(env.stateDir).read()?.nodes.find((n) => n.root === root)?.name ?? null;
    }
    logInvocation(env.logPath, {
      tool: 'kubeadm',
      ts_start: started,
      ts_end: Date.now(),
      host,
      root: env.root,
      argv,
      exitCode,
      ...(Object.keys(invocationDetails).length > 0 ? { details: { ...invocationDetails } } : {}),
    });
  }
  return exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`kubeadm-sim: ${String(e)}\n`);
    process.exit(1);
  },
);
