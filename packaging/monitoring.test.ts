/**
 * The alert rules and the dashboard shipped under /usr/share/kubeadm-ha/monitoring/: promtool (Debian's prometheus
 * package) checks the rules, and every series they and the dashboard query is one the coordinator exports, so a
 * renamed series cannot leave an alert that never fires.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createClusterMetrics, type ClusterMetricsOptions } from '../coordinator/metrics/cluster-metrics.js';

const ROOT = new URL('..', import.meta.url).pathname;
const RULES = join(ROOT, 'packaging/monitoring/kubeadm-ha-alerts.yaml');
const DASHBOARD = join(ROOT, 'packaging/monitoring/kubeadm-ha-dashboard.json');

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The series the coordinator's /metrics can carry: read from the registry itself, not from a list kept here. */
function exportedSeries(): Set<string> {
  const rt = {} as ClusterMetricsOptions['rt'];
  const metrics = createClusterMetrics({ rt: { ...rt, hub: { lbStatuses: () => new Map() } } as never, health: () => ({}), onLbStatus: () => () => undefined });
  return new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
}

const usedSeries = (expr: string): string[] => [...expr.matchAll(/\bkubeadm_ha_[a-z_]+\b/g)].map((m) => m[0]);
/** A counter is exported as `x_total`, whichever way a client library names it inside. */
const exportedHas = (exported: Set<string>, series: string): boolean => exported.has(series) || exported.has(series.replace(/_total$/, ''));

describe('monitoring: alert rules and dashboard', () => {
  const exported = exportedSeries();
  const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

  it('the coordinator exports the series the issue names, with these names', () => {
    for (const name of [
      'kubeadm_ha_agent_connected',
      'kubeadm_ha_vip_holder',
      'kubeadm_ha_vrrp_state',
      'kubeadm_ha_vip_transitions_total',
      'kubeadm_ha_vip_last_transition_timestamp_seconds',
      'kubeadm_ha_backend_set_version',
      'kubeadm_ha_lb_applied_version',
      'kubeadm_ha_lb_backend_up',
      'kubeadm_ha_etcd_member_healthy',
      'kubeadm_ha_etcd_has_leader',
      'kubeadm_ha_certificate_expiry_timestamp_seconds',
      'kubeadm_ha_operation_running',
      'kubeadm_ha_operation_last_success_timestamp_seconds',
    ])
      expect(exportedHas(exported, name), name).toBe(true);
  });

  it('promtool accepts the rules', () => {
    const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    if (r.error) throw new Error(`promtool (Debian's prometheus package) is needed: run sudo npm run setup (${r.error.message})`);
    expect(r.stdout + r.stderr).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('every rule alerts on series we export, with a severity, a summary and a description', () => {
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^KubeadmHa[A-Za-z]+$/);
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      const used = usedSeries(rule.expr ?? '');
      expect(used.length, rule.alert).toBeGreaterThan(0);
      for (const s of used) expect(exportedHas(exported, s), `${rule.alert}: ${s}`).toBe(true);
    }
    // What an operator asked to be alerted on, each covered.
    const exprs = rules.map((r) => r.expr).join('\n');
    for (const series of ['kubeadm_ha_vip_transitions_total', 'kubeadm_ha_lb_applied_version', 'kubeadm_ha_lb_backend_up', 'kubeadm_ha_agent_connected', 'kubeadm_ha_etcd_has_leader', 'kubeadm_ha_certificate_expiry_timestamp_seconds'])
      expect(exprs).toContain(series);
  });

  it('the dashboard is Grafana JSON whose every query uses only series we export', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: { title: string; targets?: { expr: string }[] }[] };
    expect(dashboard.uid).toBe('kubeadm-ha');
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    for (const { panel, expr } of exprs) {
      const used = usedSeries(expr);
      expect(used.length, panel).toBeGreaterThan(0);
      for (const s of used) expect(exportedHas(exported, s), `${panel}: ${s}`).toBe(true);
    }
  });
});
