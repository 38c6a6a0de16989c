// The three executables: what each is built from, what it is called on a host, and the Node/V8 flags built into it
// (the blob's execArgv: they apply wherever the executable runs, and the commands it starts do not inherit them as
// they would NODE_OPTIONS).
//
// The agent is a daemon on every host that idles almost all of the time; its flags trade speed it does not need for
// resident memory (test/bench/agent.ts measures it; figures from one run on loopback, restarted agent, idle):
//   --max-semi-space-size=1  young-generation semi-spaces of 1 MiB: V8 grows them to 16 MiB (32 MiB under --jitless)
//                            and keeps them committed. --optimize-for-size implies it today; stated for clarity.
//   --jitless                bytecode only: no machine code from Sparkplug, Maglev or TurboFan, nor for regular
//                            expressions, so no code space and none of the compilers' pages of the executable in
//                            memory (98 -> 79 MB). Small operations take about twice as long (decoding and checking a
//                            backend set: ~40 -> ~60 us; rendering haproxy.cfg: ~25 -> ~50 us); bulk data is copied by
//                            native code either way. No WebAssembly, which nothing the agent runs needs (its one
//                            bundled user, `long`, falls back to JavaScript).
//   --optimize-for-size      V8's memory-over-speed heuristics: smaller heap growth steps, a smaller old generation
//                            (79 -> 75 MB). Together with --jitless it is what V8 calls --lite-mode.
export const AGENT_EXEC_ARGV = Object.freeze(['--max-semi-space-size=1', '--jitless', '--optimize-for-size']);

export const BINARIES = Object.freeze([
  Object.freeze({ name: 'kubeadm-ha-agent', entry: 'agent/main.ts', pkg: 'kubeadm-ha-agent', execArgv: AGENT_EXEC_ARGV }),
  Object.freeze({ name: 'kubeadm-ha-coordinator', entry: 'coordinator/main.ts', pkg: 'kubeadm-ha-coordinator', execArgv: Object.freeze([]) }),
  Object.freeze({ name: 'coordinatorctl', entry: 'coordinator/cli/main.ts', pkg: 'kubeadm-ha-coordinator', execArgv: Object.freeze([]) }),
]);
