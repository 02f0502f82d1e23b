// The metric names a PromQL expression reads (pure), for checking dashboards and alerts against
// what the processes export: label matchers, grouping label lists, ranges and strings are removed;
// what remains besides functions, keywords and numbers are metric names.
const WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'clamp_min', 'clamp_max', 'clamp', 'abs',
  'absent', 'absent_over_time', 'avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'count_over_time',
  'time', 'timestamp', 'vector', 'scalar', 'label_replace', 'label_join', 'round', 'ceil', 'floor', 'changes', 'resets',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
]);

export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const w = m[0];
    if (!WORDS.has(w) && !/^(e|inf|nan)$/i.test(w)) names.add(w);
  }
  return [...names];
}

/** The Prometheus metric family a sample name belongs to (histogram/summary suffixes folded). */
export const family = (sample: string): string => sample.replace(/_(bucket|sum|count)$/, '');
