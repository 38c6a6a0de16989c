/**
 * Entry point of the simulated `kubeadm` (a test double; never shipped). Parses argv with
 * kubeadm's grammar, runs the command against $KUBEADM_SIM_ROOT and $KUBEADM_SIM_STATE, prints
 * kubeadm's texts, exits with kubeadm's codes and appends one line to the invocation log.
 */
import { KUBEADM_ROOT } from './kubeadm-spec.js';
import { chainFor, getString, parseCommandLine, renderHelp, UsageError, type ParsedCommand } from './grammar.js';
import { logInvocation, out, printFailure, readEnv, SimFailure, type SimEnv } from './env.js';
import { versionText } from './output.js';
import { runInit } from './cmd-init.js';
import { runJoin } from './cmd-join.js';
import { runReset } from './cmd-reset.js';
import { runCertificateKey, runTokenCreate, runTokenDelete, runTokenGenerate, runTokenList, runUploadCerts } from './cmd-token.js';

async function dispatch(p: ParsedCommand, env: SimEnv, setHost: (h: string) => void): Promise<void> {
  if (getString(p, 'rootfs')) throw new SimFailure('kubeadm-sim: --rootfs is not simulated; the simulated host root is $KUBEADM_SIM_ROOT');
  switch (p.path.slice(1).join(' ')) {
    case 'version': {
      const text = versionText(env.version, getString(p, 'output'));
      if (text === null) throw new SimFailure(`invalid output format: ${getString(p, 'output')}`);
      out(text);
      return;
    }
    case 'init':
      return runInit(p, env, setHost);
    case 'init phase upload-certs':
      return runUploadCerts(p, env);
    case 'join':
      return runJoin(p, env, setHost);
    case 'reset':
      return runReset(p, env, setHost);
    case 'token create':
      return runTokenCreate(p, env);
    case 'token delete':
      return runTokenDelete(p, env);
    case 'token list':
      return runTokenList(p, env);
    case 'token generate':
      return runTokenGenerate();
    case 'certs certificate-key':
      return runCertificateKey();
    case '':
      out(renderHelp([KUBEADM_ROOT]));
      return;
    default:
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
    logInvocation(env.logPath, { tool: 'kubeadm', ts_start: started, ts_end: Date.now(), host, root: env.root, argv, exitCode });
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
