// The three executables: what each is built from and what it is called on a host.
export const BINARIES = Object.freeze([
  Object.freeze({ name: 'kubeadm-ha-agent', entry: 'agent/main.ts', pkg: 'kubeadm-ha-agent' }),
  Object.freeze({ name: 'kubeadm-ha-coordinator', entry: 'coordinator/main.ts', pkg: 'kubeadm-ha-coordinator' }),
  Object.freeze({ name: 'coordinatorctl', entry: 'coordinator/cli/main.ts', pkg: 'kubeadm-ha-coordinator' }),
]);
