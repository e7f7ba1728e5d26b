// PromQL targets, with what each needs before it returns data on a live stack, so that the
// end-to-end test knows which queries must answer at once and which only after a fault.
import {
  DataqueryBuilder,
  PromQueryFormat,
  QueryEditorMode,
} from '@grafana/grafana-foundation-sdk/prometheus';

/**
 * scrape         - the stack is up (Prometheus scrapes its targets and evaluates rules)
 * traffic        - requests flow through the services (span metrics, retry successes, breaker gauges)
 * fault          - some request failed (error counters and ERROR spans exist only after the first error)
 * pipeline-fault - the telemetry pipeline failed (e.g. Jaeger down: export failures)
 * alert          - some alert fired and resolved (ALERTS, ALERTS_FOR_STATE)
 */
export type Needs = 'scrape' | 'traffic' | 'fault' | 'pipeline-fault' | 'alert';

const needsByExpr = new Map<string, Needs>();

export interface PromOptions {
  needs: Needs;
  legend?: string;
  /** One value per series at the end of the range (tables, pies, stats). */
  instant?: boolean;
  table?: boolean;
  exemplar?: boolean;
}

export function promQuery(refId: string, expr: string, options: PromOptions): DataqueryBuilder {
  const known = needsByExpr.get(expr);
  if (known !== undefined && known !== options.needs) {
    throw new Error(`${expr} is declared as needing both ${known} and ${options.needs}`);
  }
  needsByExpr.set(expr, options.needs);
  const query = new DataqueryBuilder().refId(refId).expr(expr).editorMode(QueryEditorMode.Code);
  if (options.legend !== undefined) query.legendFormat(options.legend);
  if (options.instant) query.instant();
  else query.range();
  if (options.table) query.format(PromQueryFormat.Table);
  if (options.exemplar) query.exemplar(true);
  return query;
}

export function needsOf(expr: string): Needs | undefined {
  return needsByExpr.get(expr);
}

/** Values a live test substitutes for the dashboard variables the queries use. */
export const DEFAULT_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '1m',
  __range: '1h',
  service: '.*',
  operation: '.*',
};

/**
 * Replaces Grafana variables ($name, ${name}, ${name:format}) by plain values, so the expression
 * can be sent to Prometheus directly. An unknown variable is an error, not a silent leftover.
 */
export function interpolate(expr: string, values: Readonly<Record<string, string>> = {}): string {
  const all = { ...DEFAULT_VARIABLES, ...values };
  return expr.replace(/\$\{([A-Za-z_]\w*)(?::\w+)?\}|\$([A-Za-z_]\w*)/g, (_match, braced, bare) => {
    const name: string = braced ?? bare;
    const value = all[name];
    if (value === undefined) throw new Error(`unknown variable $${name} in ${expr}`);
    return value;
  });
}
