/**
 * How large a gRPC message each side reads. grpc-js checks `grpc.max_receive_message_length` against the 5-byte
 * length prefix of every message, before it buffers the body, so a bound here costs an oversized sender nothing more
 * than its prefix. Shared by the coordinator (server), the agent and coordinatorctl (clients).
 *
 * Sizes of the largest legitimate messages, measured on the renderers' golden files and the proto:
 * - Register (agent -> coordinator, before any certificate): bootstrap token 23 B, CSR ~0.5 KiB, NATS key 56 B,
 *   name <= 63 B, and HostFacts at ~100 B per network interface with one address. A host with 50 interfaces sends
 *   ~6 KiB; 64 KiB still fits ~600 interfaces.
 * - Task (coordinator -> agent): the largest is WriteFiles for a control-plane node: keepalived.conf ~2.6 KiB,
 *   check_apiserver.sh ~1 KiB, haproxy.cfg ~2 KiB plus ~100 B per backend, static pod manifests 2-3 KiB each,
 *   kubeadm.yaml ~3 KiB, and the operator's registry config.json (docker login writes ~200 B per registry): under
 *   64 KiB for any sane cluster. No certificate or key travels in a Task: kubeadm moves them (upload-certs).
 * - Agent -> coordinator on the Session: Hello (HostFacts, as above), progress lines, TaskResult (a twelve-line
 *   stderr tail, ~100 B per haproxy server in LbStatus).
 * - coordinatorctl -> coordinator: DeployRequest/AddNodeRequest, the spec YAML (~150 B per node: 1000 nodes ~150 KiB)
 *   plus the registry config.json.
 * The largest is ~200 KiB, so 4 MiB (gRPC's own default) leaves a margin of twenty.
 */

/**
 * Register, and any other call made without a client certificate. Anyone who can reach the coordinator's port can
 * send one; before this bound, 8 Register calls of 60 MiB took the coordinator from 126 to 1107 MiB RSS.
 */
export const MAX_UNAUTHENTICATED_MESSAGE_BYTES = 64 * 1024;

/**
 * Every message of an authenticated call, both ways between agent and coordinator: a registered agent's Session,
 * coordinatorctl's admin calls, and what the agent reads from the coordinator it pinned.
 */
export const MAX_AUTHENTICATED_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * What coordinatorctl reads from the coordinator (pinned by admin.conf's CA). NodesResponse carries every node's
 * HostFacts (up to 64 KiB each, see Register) and grows with the cluster, so this one bound is larger; only the
 * coordinator can send it, and coordinatorctl is a short-lived command.
 */
export const MAX_ADMIN_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * One chunk of a task's bulk output on the Session (TaskProgress.data: an etcd snapshot). A quarter of the message
 * bound, so a chunk plus its framing never nears it; the agent waits for the stream's flow control between chunks.
 */
export const TASK_DATA_CHUNK_BYTES = 1024 * 1024;
