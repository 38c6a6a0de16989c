/** Ports kubeadm-ha itself takes on control-plane hosts, besides the LB port the spec names. */

/**
 * haproxy's loopback-only monitor endpoint, read by the static pod's liveness probe and keepalived's check script.
 * 8404 is haproxy's customary stats port.
 */
export const HAPROXY_HEALTHZ_PORT = 8404;
