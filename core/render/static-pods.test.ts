import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LB_CASES, planFor, targetsFor } from '../../test/fixtures/golden/lb-cases.js';
import { renderLoadBalancerFiles } from './load-balancer.js';
import {
  DEFAULT_LOAD_BALANCER_IMAGES,
  HAPROXY_MANIFEST_PATH,
  KEEPALIVED_MANIFEST_PATH,
  renderHaproxyManifest,
  renderKeepalivedManifest,
} from './static-pods.js';

const plan = planFor(LB_CASES[0]!);
const [master0] = targetsFor(plan);
const imageOf = (text: string) => (parse(text) as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image;

describe('keepalived and haproxy static pods', () => {
  it('use the documented default images unless the caller overrides them', () => {
    expect(imageOf(renderKeepalivedManifest(master0!))).toBe(DEFAULT_LOAD_BALANCER_IMAGES.keepalived);
    expect(imageOf(renderHaproxyManifest(master0!))).toBe(DEFAULT_LOAD_BALANCER_IMAGES.haproxy);
    const files = renderLoadBalancerFiles(master0!, { images: { haproxy: 'registry.example/lb/haproxy:2.8.14' } });
    expect(imageOf(files.find((f) => f.path === HAPROXY_MANIFEST_PATH)!.content)).toBe('registry.example/lb/haproxy:2.8.14');
    expect(imageOf(files.find((f) => f.path === KEEPALIVED_MANIFEST_PATH)!.content)).toBe(DEFAULT_LOAD_BALANCER_IMAGES.keepalived);
  });

  it('give haproxy a master CLI socket next to the admin socket, both 0600', () => {
    const command = (parse(renderHaproxyManifest(master0!)) as { spec: { containers: { command: string[] }[] } }).spec.containers[0]!.command;
    expect(command.slice(-2)).toEqual(['-S', '/run/haproxy/master.sock,mode,600']);
  });

  it('run keepalived for VRRP only, in the foreground, on the rendered file', () => {
    const command = (parse(renderKeepalivedManifest(master0!)) as { spec: { containers: { command: string[] }[] } }).spec.containers[0]!.command;
    expect(command).toEqual(['keepalived', '--dont-fork', '--log-console', '--log-detail', '--vrrp', '--use-file=/etc/keepalived/keepalived.conf']);
  });

  it('are not rendered for workers', () => {
    const worker = targetsFor(plan).find((t) => t.node.role === 'worker')!;
    expect(() => renderKeepalivedManifest(worker)).toThrow(/control-plane/);
    expect(() => renderHaproxyManifest(worker)).toThrow(/control-plane/);
  });
});
