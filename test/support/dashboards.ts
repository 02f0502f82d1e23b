// The chart's Grafana dashboard queries and PrometheusRule rules, read for tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoDir } from '../../devenv/paths.ts';

const chart = join(repoDir, 'charts', 'opsflow');
/** Every PromQL query of the dashboard's panels. */
export const dashboardQueries = (): string[] => {
  const d = JSON.parse(readFileSync(join(chart, 'files', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  return d.panels.flatMap((p) => p.targets.map((t) => t.expr));
};
/** The alerting rules of files/prometheus-rules.yaml. */
export const alertRules = () => (parse(readFileSync(join(chart, 'files', 'prometheus-rules.yaml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }> }).groups.flatMap((g) => g.rules);

