// "Where to look" after a demo run: the trace of one failing request, the PromQL that shows errors
// by category and the breaker, and the alerts Prometheus is evaluating.
import { eventually, promQuery } from '@faultline/stack';

export const QUERIES = Object.freeze({
  errorsByCategory: 'sum by (error_category) (rate(faultline_errors_total[1m]))',
  errorsByCode: 'sum by (service_name, error_type) (increase(faultline_errors_total[5m]))',
  breakerState: 'faultline_circuit_state{breaker="worker"}',
  breakerWorst: 'max_over_time(faultline_circuit_state{breaker="worker"}[5m])',
  serverCalls:
    'sum by (service_name, span_name, status_code) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"}[1m]))',
});

/** The Prometheus UI graph for `expr` (the URL a browser opens). */
export function graphUrl(prometheus: string, expr: string): string {
  return `${prometheus}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=0&g0.range_input=15m`;
}

/** The Prometheus HTTP API instant query for `expr` (what curl reads). */
export function apiUrl(prometheus: string, expr: string): string {
  return `${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`;
}

export function traceUrl(jaeger: string, traceId: string): string {
  return `${jaeger}/api/v3/traces/${traceId}`;
}

/** Waits until Jaeger has the trace (batching and the tail-sampling wait take a few seconds). */
export async function waitForTrace(jaeger: string, traceId: string, timeoutMs = 30_000): Promise<boolean> {
  try {
    await eventually(
      `trace ${traceId}`,
      async () => {
        const res = await fetch(traceUrl(jaeger, traceId), { signal: AbortSignal.timeout(5_000) });
        await res.body?.cancel();
        return res.ok ? true : undefined;
      },
      timeoutMs,
      1_000,
    );
    return true;
  } catch {
    return false;
  }
}

export interface AlertSummary {
  name: string;
  state: string;
  service?: string;
  severity?: string;
  /** The other labels, which tell two instances of one alert apart (burn_window, error_type…). */
  labels: Record<string, string>;
}

export async function alerts(prometheus: string): Promise<AlertSummary[]> {
  const res = await fetch(`${prometheus}/api/v1/alerts`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as {
    data?: { alerts?: { labels?: Record<string, string>; state?: string }[] };
  };
  return (body.data?.alerts ?? []).map((a) => {
    const { alertname, service_name, severity, ...rest } = a.labels ?? {};
    return {
      name: alertname ?? '(unnamed)',
      state: a.state ?? 'unknown',
      ...(service_name ? { service: service_name } : {}),
      ...(severity ? { severity } : {}),
      labels: rest,
    };
  });
}

/** The report's Prometheus part: links, current errors by category, breaker, alerts. */
export async function prometheusReport(prometheus: string): Promise<string> {
  const lines: string[] = [];
  lines.push('Prometheus (errors by category, per second over the last minute):');
  lines.push(`  graph: ${graphUrl(prometheus, QUERIES.errorsByCategory)}`);
  lines.push(`  api:   ${apiUrl(prometheus, QUERIES.errorsByCategory)}`);
  try {
    const rows = await promQuery(prometheus, QUERIES.errorsByCategory);
    rows.sort((a, b) => Number(b.value[1]) - Number(a.value[1]));
    for (const r of rows.filter((row) => Number(row.value[1]) > 0))
      lines.push(`    ${(r.metric.error_category ?? '?').padEnd(16)} ${Number(r.value[1]).toFixed(3)}/s`);
    if (rows.length === 0) lines.push('    (no samples yet: Prometheus scrapes every 2 s, rate() needs two)');
  } catch (e) {
    lines.push(`    (query failed: ${(e as Error).message})`);
  }
  lines.push(`  errors by service and code: ${graphUrl(prometheus, QUERIES.errorsByCode)}`);
  lines.push(`  server calls by status (span metrics): ${graphUrl(prometheus, QUERIES.serverCalls)}`);
  lines.push(
    `  breaker "worker" (0 closed, 1 half-open, 2 open): ${graphUrl(prometheus, QUERIES.breakerState)}`,
  );
  try {
    const [now] = await promQuery(prometheus, QUERIES.breakerState);
    const [worst] = await promQuery(prometheus, QUERIES.breakerWorst);
    if (now) {
      lines.push(`    now ${now.value[1]}, highest in the last 5 min ${worst?.value[1] ?? '?'}`);
    }
  } catch {
    // shown as a link only
  }
  lines.push(`Alerts (${prometheus}/alerts, api ${prometheus}/api/v1/alerts):`);
  try {
    const list = (await alerts(prometheus)).filter((a) => a.name !== 'Watchdog');
    if (list.length === 0)
      lines.push('    none pending or firing yet (most rules need minutes of data: `for:` clauses)');
    const order = (state: string) => (state === 'firing' ? 0 : 1);
    list.sort((a, b) => order(a.state) - order(b.state) || a.name.localeCompare(b.name));
    for (const a of list) {
      const extra = Object.entries(a.labels)
        .slice(0, 3)
        .map(([k, v]) => `${k}=${v}`);
      const where = [a.service, a.severity, ...extra].filter(Boolean).join(', ');
      lines.push(`    ${a.state.padEnd(8)} ${a.name}${where ? ` (${where})` : ''}`);
    }
  } catch (e) {
    lines.push(`    (cannot read alerts: ${(e as Error).message})`);
  }
  return lines.join('\n');
}
