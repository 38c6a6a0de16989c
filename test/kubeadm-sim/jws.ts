/**
 * The kube-public/cluster-info ConfigMap as the bootstrap signer maintains it: a CA-only
 * kubeconfig plus one detached HS256 JWS per signing-capable bootstrap token, keyed by token ID.
 */
import { createHmac } from 'node:crypto';
import { renderKubeconfig } from './render.js';
import type { ClusterState } from './state.js';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** bootstrap.ComputeDetachedSignature: `header..signature`. */
export function detachedSignature(content: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const signingInput = `${header}.${b64url(content)}`;
  const sig = createHmac('sha256', tokenSecret).update(signingInput).digest('base64url');
  return `${header}..${sig}`;
}

export function detachedTokenIsValid(detached: string, content: string, tokenId: string, tokenSecret: string): boolean {
  return detached === detachedSignature(content, tokenId, tokenSecret);
}

export function clusterInfoKubeconfig(s: ClusterState, caPem: string, fallbackServer: string): string {
  const server = `https://${s.controlPlaneEndpoint || fallbackServer}`;
  return renderKubeconfig({ clusterName: '', clusterEntryName: '', server, caPem, userName: '', contextName: '' });
}

export function clusterInfoConfigMap(s: ClusterState, caPem: string): unknown {
  const first = s.nodes.find((n) => n.role === 'control-plane');
  const kubeconfig = clusterInfoKubeconfig(s, caPem, first ? `${first.address}:${first.bindPort}` : '');
  const data: Record<string, string> = { kubeconfig };
  for (const t of s.tokens) if (t.usages.includes('signing')) data[`jws-kubeconfig-${t.id}`] = detachedSignature(kubeconfig, t.id, t.secret);
  return { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data };
}
