/**
 * The host paths kubeadm-ha reads, writes or checks, named once. Paths that kubeadm or kubelet own are fixed by them
 * (kubeadm's constants.go, kubelet's defaults); ours live under /etc/kubeadm-ha and /var/lib/kubeadm-ha*. Host-absolute:
 * the agent resolves them against its host root (HostOps), so tests run them under a temporary directory.
 */

// kubeadm and kubelet

/** kubelet's staticPodPath as kubeadm sets it up: a manifest here is a running pod, its removal stops the pod. */
export const STATIC_POD_MANIFESTS_DIR = '/etc/kubernetes/manifests';
/** The cluster-admin kubeconfig kubeadm writes on control-plane nodes; kubectl runs on the host use it. */
export const ADMIN_KUBECONFIG_PATH = '/etc/kubernetes/admin.conf';
/** kubeadm ≥ 1.29, init node only: works before admin.conf's RBAC binding exists (kube-vip needs it during init). */
export const SUPER_ADMIN_KUBECONFIG_PATH = '/etc/kubernetes/super-admin.conf';
/** kubelet's kubeconfig, written by `kubeadm init/join`: its presence means the node already joined a cluster. */
export const KUBELET_KUBECONFIG_PATH = '/etc/kubernetes/kubelet.conf';
/** The cluster CA certificate; it appears when kubeadm init/join has fetched it, so apiserver checks can pin it. */
export const CLUSTER_CA_CERT_PATH = '/etc/kubernetes/pki/ca.crt';
/** etcd's own CA, which signs its server, peer and client certificates (kubeadm's names; read-only to the agent). */
export const ETCD_CA_CERT_PATH = '/etc/kubernetes/pki/etcd/ca.crt';
/** The client certificate kubeadm makes for etcd's liveness probe: what the agent's read-only etcd checks use. */
export const ETCD_HEALTHCHECK_CLIENT_CERT_PATH = '/etc/kubernetes/pki/etcd/healthcheck-client.crt';
export const ETCD_HEALTHCHECK_CLIENT_KEY_PATH = '/etc/kubernetes/pki/etcd/healthcheck-client.key';
/** The apiserver's etcd client certificate: what member removal and snapshots use (kubeadm's own member removal does too). */
export const APISERVER_ETCD_CLIENT_CERT_PATH = '/etc/kubernetes/pki/apiserver-etcd-client.crt';
export const APISERVER_ETCD_CLIENT_KEY_PATH = '/etc/kubernetes/pki/apiserver-etcd-client.key';
/** kubelet's configuration file from kubeadm; a leftover means the host was not reset. */
export const KUBELET_CONFIG_PATH = '/var/lib/kubelet/config.yaml';
/** kubelet's registry credentials (docker config.json format), for spec.registryAuth. */
export const KUBELET_REGISTRY_AUTH_PATH = '/var/lib/kubelet/config.json';
/** etcd's static pod; a leftover means a control plane ran here. */
export const ETCD_MANIFEST_PATH = `${STATIC_POD_MANIFESTS_DIR}/etcd.yaml`;
/** The apiserver's static pod; a leftover means a control plane ran here. */
export const KUBE_APISERVER_MANIFEST_PATH = `${STATIC_POD_MANIFESTS_DIR}/kube-apiserver.yaml`;
/** etcd's data directory in kubeadm's stacked-etcd layout. */
export const ETCD_DATA_DIR = '/var/lib/etcd';

// The load balancer

/** The static-pod manifests of the load balancer, by file name in STATIC_POD_MANIFESTS_DIR. */
export const LOAD_BALANCER_MANIFEST_NAMES = ['keepalived.yaml', 'haproxy.yaml', 'kube-vip.yaml'] as const;
/** Where the agent parks stopped load-balancer manifests: outside the manifests directory, so kubelet stops the pods. */
export const STOPPED_MANIFESTS_DIR = '/etc/kubeadm-ha/stopped-manifests';
/** keepalived's configuration as a systemd unit reads it (and as the static pod mounts it). */
export const KEEPALIVED_CONF_PATH = '/etc/keepalived/keepalived.conf';
/** haproxy's configuration as a systemd unit reads it (and as the static pod mounts it). */
export const HAPROXY_CFG_PATH = '/etc/haproxy/haproxy.cfg';

// The operating system

/** Swap entries live here; kubelet refuses to run with swap on, so preflight comments them out. */
export const FSTAB_PATH = '/etc/fstab';
/** PRETTY_NAME for the host facts. */
export const OS_RELEASE_PATH = '/etc/os-release';
/** systemd's per-host ID, reported in the host facts: hosts cloned from one image share it until it is regenerated. */
export const MACHINE_ID_PATH = '/etc/machine-id';
/** Where systemd looks for unit files, most specific first. */
export const SYSTEMD_UNIT_DIRS = ['/etc/systemd/system/', '/lib/systemd/system/', '/usr/lib/systemd/system/'] as const;

// kubeadm-ha itself

/** Our own directory on every host: kubeadm configs, the cleanup script, parked manifests. Secrets live here (0600). */
export const KUBEADM_HA_CONFIG_DIR = '/etc/kubeadm-ha';
/**
 * The spec that LB agents of earlier releases read to re-render haproxy.cfg (it can hold keepalived's authPass).
 * Nothing writes it any more (the backend set carries the load-balancer settings); node removal still deletes it from
 * hosts deployed before, and the allow-list keeps it 0600 should anything ever write it again.
 */
export const LB_SPEC_PATH = `${KUBEADM_HA_CONFIG_DIR}/cluster.json`;
/** The agent's configuration (coordinator address, CA pin, bootstrap token), written by the operator or the installer. */
export const AGENT_CONFIG_PATH = `${KUBEADM_HA_CONFIG_DIR}/agent.yaml`;
/** The coordinator's state: CA, admin.conf and the local NATS. */
export const COORDINATOR_DATA_DIR = '/var/lib/kubeadm-ha-coordinator';
/** coordinatorctl's default credentials, written by the coordinator into its data directory. */
export const COORDINATOR_ADMIN_CONF_PATH = `${COORDINATOR_DATA_DIR}/admin.conf`;
