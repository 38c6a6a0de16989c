// What each package installs, for each format. The only difference between the formats is where a distribution
// keeps things: units (/lib/systemd/system on Debian 12, %{_unitdir} on RPM systems), the service's environment file
// (/etc/default vs /etc/sysconfig) and the license text (Debian's doc directory vs %license).

/** @typedef {{ path: string, mode: number, source?: string, binary?: string, generated?: string, conffile?: boolean }} FileEntry */
/** @typedef {{ path: string, mode: number }} DirEntry */

const UNIT_DIR = { deb: '/lib/systemd/system', rpm: '/usr/lib/systemd/system' };
const ENV_DIR = { deb: '/etc/default', rpm: '/etc/sysconfig' };
const licenseFile = (format, pkg) => (format === 'deb' ? `/usr/share/doc/${pkg}/copyright` : `/usr/share/licenses/${pkg}/copyright`);

export const PACKAGES = Object.freeze([
  Object.freeze({
    name: 'kubeadm-ha-agent',
    binaries: ['kubeadm-ha-agent'],
    summary: 'kubeadm-ha agent for highly-available kubeadm control planes',
    description: [
      'The agent runs on every host of a kubeadm-ha cluster. It registers with the',
      'coordinator with a bootstrap token and a pinned CA, then carries out what the',
      'coordinator asks over a mutually authenticated gRPC session: host preparation,',
      'keepalived and haproxy files, kubeadm init, join and reset, VIP cleanup. Hosts',
      "that run a load balancer follow the cluster's backend set over NATS and apply",
      'changes through the haproxy runtime API. keepalived and haproxy are needed when',
      'the cluster runs them as systemd services rather than static pods.',
    ],
    debDepends: ['iproute2'],
    debRecommends: ['keepalived', 'haproxy', 'nftables'],
    /** @param {'deb'|'rpm'} format @returns {{ files: FileEntry[], dirs: DirEntry[] }} */
    layout(format) {
      return {
        files: [
          { path: '/usr/bin/kubeadm-ha-agent', mode: 0o755, binary: 'kubeadm-ha-agent' },
          { path: '/usr/lib/kubeadm-ha/agent-configured', mode: 0o755, source: 'packaging/libexec/agent-configured' },
          { path: `${UNIT_DIR[format]}/kubeadm-ha-agent.service`, mode: 0o644, source: 'packaging/systemd/kubeadm-ha-agent.service' },
          // The token is a secret: the conffile is 0600 from the start, so pasting one in never makes it world-readable.
          { path: '/etc/kubeadm-ha/agent.yaml', mode: 0o600, source: 'packaging/etc/agent.yaml', conffile: true },
          { path: licenseFile(format, 'kubeadm-ha-agent'), mode: 0o644, generated: 'copyright' },
          { path: '/usr/share/man/man8/kubeadm-ha-agent.8.gz', mode: 0o644, generated: 'man:kubeadm-ha-agent' },
          ...(format === 'deb'
            ? [
                { path: '/usr/share/doc/kubeadm-ha-agent/changelog.gz', mode: 0o644, generated: 'changelog' },
                { path: '/usr/share/lintian/overrides/kubeadm-ha-agent', mode: 0o644, source: 'packaging/debian/agent/lintian-overrides' },
              ]
            : []),
        ],
        dirs: [{ path: '/var/lib/kubeadm-ha', mode: 0o700 }],
      };
    },
  }),
  Object.freeze({
    name: 'kubeadm-ha-coordinator',
    binaries: ['kubeadm-ha-coordinator', 'coordinatorctl'],
    summary: 'kubeadm-ha coordinator and coordinatorctl',
    description: [
      'The coordinator deploys and operates highly-available kubeadm control',
      'planes: it validates the cluster spec, plans the deploy, drives the agents',
      'over mutually authenticated gRPC, signs their certificates, and keeps the',
      "cluster's state and load-balancer backend set in NATS JetStream KV, served",
      'by a nats-server it starts and supervises. coordinatorctl is its',
      'command-line client.',
    ],
    // systemd-sysusers creates the kubeadm-ha account (dh_installsysusers declares the same alternatives).
    debDepends: ['nats-server', 'systemd | systemd-standalone-sysusers | systemd-sysusers'],
    debRecommends: [],
    layout(format) {
      return {
        files: [
          { path: '/usr/bin/kubeadm-ha-coordinator', mode: 0o755, binary: 'kubeadm-ha-coordinator' },
          { path: '/usr/bin/coordinatorctl', mode: 0o755, binary: 'coordinatorctl' },
          { path: '/usr/lib/kubeadm-ha/coordinator-configured', mode: 0o755, source: 'packaging/libexec/coordinator-configured' },
          { path: `${UNIT_DIR[format]}/kubeadm-ha-coordinator.service`, mode: 0o644, source: 'packaging/systemd/kubeadm-ha-coordinator.service' },
          { path: '/usr/lib/sysusers.d/kubeadm-ha-coordinator.conf', mode: 0o644, source: 'packaging/etc/kubeadm-ha-coordinator.sysusers' },
          { path: `${ENV_DIR[format]}/kubeadm-ha-coordinator`, mode: 0o644, source: 'packaging/etc/kubeadm-ha-coordinator.default', conffile: true },
          { path: licenseFile(format, 'kubeadm-ha-coordinator'), mode: 0o644, generated: 'copyright' },
          { path: '/usr/share/man/man1/coordinatorctl.1.gz', mode: 0o644, generated: 'man:coordinatorctl' },
          { path: '/usr/share/man/man8/kubeadm-ha-coordinator.8.gz', mode: 0o644, generated: 'man:kubeadm-ha-coordinator' },
          { path: '/usr/share/bash-completion/completions/coordinatorctl', mode: 0o644, generated: 'completion:bash' },
          // Prometheus alert rules and a Grafana dashboard over the coordinator's --metrics-listen series.
          { path: '/usr/share/kubeadm-ha/monitoring/kubeadm-ha-alerts.yaml', mode: 0o644, source: 'packaging/monitoring/kubeadm-ha-alerts.yaml' },
          { path: '/usr/share/kubeadm-ha/monitoring/kubeadm-ha-dashboard.json', mode: 0o644, source: 'packaging/monitoring/kubeadm-ha-dashboard.json' },
          { path: '/usr/share/kubeadm-ha/monitoring/README.md', mode: 0o644, source: 'packaging/monitoring/README.md' },
          ...(format === 'deb'
            ? [
                { path: '/usr/share/doc/kubeadm-ha-coordinator/changelog.gz', mode: 0o644, generated: 'changelog' },
                { path: '/usr/share/lintian/overrides/kubeadm-ha-coordinator', mode: 0o644, source: 'packaging/debian/coordinator/lintian-overrides' },
              ]
            : []),
        ],
        dirs: [],
      };
    },
  }),
]);
