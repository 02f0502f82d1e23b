// The Helm chart's generated files match their sources (fix: npm run gen:crds), and its dashboard and
// alerts are well formed: each query reads opsflow_* or temporal_* metrics (the e2e checks them
// against a real scrape), and the alerts the chart promises exist.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoDir } from '../../devenv/paths.ts';
import { chartFiles } from '../../src/api/chart-files.ts';
import { alertRules, dashboardQueries } from '../support/dashboards.ts';
import { metricNames } from '../support/promql.ts';

const chart = join(repoDir, 'charts', 'opsflow');

describe('Helm chart files', () => {
  const files = chartFiles();
  it('crds/ holds exactly the generated CRDs', () => {
    assert.deepEqual(readdirSync(join(chart, 'crds')).sort(), files.filter(([f]) => f.startsWith('crds/')).map(([f]) => f.slice(5)).sort());
  });
  for (const [file, text] of files) {
    it(`${file} matches its source (run \`npm run gen:crds\` if not)`, () => assert.equal(readFileSync(join(chart, file), 'utf8'), text));
  }

  it('the dashboard: operations by phase, step durations, Pods rolled, queued requests; every query reads opsflow or Temporal metrics', () => {
    const queries = dashboardQueries();
    assert.ok(queries.length >= 8);
    const names = new Set(queries.flatMap(metricNames));
    for (const want of ['opsflow_operations_total', 'opsflow_opsrequests', 'opsflow_step_duration_seconds_bucket', 'opsflow_pods_rolled_total']) assert.ok(names.has(want), want);
    for (const q of queries) {
      const m = metricNames(q);
      assert.ok(m.length > 0 && m.every((n) => /^(opsflow|temporal)_/.test(n)), `${q}: ${m.join(', ')}`);
    }
  });

  it('the alerts: a step over its timeout, a database paused with no open run, a failure ratio', () => {
    const rules = alertRules();
    assert.deepEqual(rules.map((r) => r.alert), ['OpsflowStepOverTimeout', 'OpsflowDatabasePausedWithoutOperation', 'OpsflowHighFailureRatio']);
    for (const r of rules) assert.ok(metricNames(r.expr).length > 0 && r.for, r.alert);
  });

  it('metricNames ignores labels, ranges, grouping and functions', () => {
    assert.deepEqual(metricNames('histogram_quantile(0.95, sum by (le, step) (rate(x_bucket{step="a b",le!="1"}[5m]))) / on (kind) group_left y'), ['x_bucket', 'y']);
  });
});
