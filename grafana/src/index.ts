// Faultline dashboards as code. `pnpm --filter @faultline/grafana generate` writes them to
// grafana/dashboards/<uid>.json, which Grafana provisions; the test keeps the two equal.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { VICTORIALOGS_TYPE } from './datasources.js';
import { ERRORS_OVERVIEW_UID, errorsOverview } from './errors-overview.js';
import { PIPELINE_HEALTH_UID, pipelineHealth } from './pipeline-health.js';
import { type Needs, needsOf } from './queries.js';
import { RESILIENCE_UID, resilience } from './resilience.js';
import { SERVICE_RED_UID, serviceRed } from './service-red.js';

export { JAEGER_UID, PROMETHEUS_UID, VICTORIALOGS_TYPE, VICTORIALOGS_UID } from './datasources.js';
export { SERVICE_LOGS_QUERY } from './errors-overview.js';
export { DEFAULT_VARIABLES, interpolate, type Needs } from './queries.js';

export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  [ERRORS_OVERVIEW_UID]: errorsOverview,
  [SERVICE_RED_UID]: serviceRed,
  [RESILIENCE_UID]: resilience,
  [PIPELINE_HEALTH_UID]: pipelineHealth,
};

/** Every dashboard, built. */
export function buildDashboards(): Dashboard[] {
  return Object.values(DASHBOARDS).map((build) => build());
}

/** The JSON file content for a dashboard, exactly as committed under grafana/dashboards/. */
export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  /** PromQL with Grafana variables ($service, $__rate_interval, ...); see interpolate(). */
  expr: string;
  /** What must have happened on a live stack before the query returns data. */
  needs: Needs;
}

interface PanelLike {
  title?: string;
  datasource?: { type?: string };
  targets?: { refId?: string; expr?: string }[];
  panels?: PanelLike[];
}

/**
 * Every PromQL expression of every panel, for the end-to-end test to run against Prometheus (the
 * LogsQL of log panels is left out: its data source is VictoriaLogs).
 */
export function allPanelQueries(): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const dashboard of buildDashboards()) {
    const visit = (panel: PanelLike) => {
      if (panel.datasource?.type === VICTORIALOGS_TYPE) return;
      for (const target of panel.targets ?? []) {
        if (target.expr === undefined) continue;
        const needs = needsOf(target.expr);
        if (needs === undefined) throw new Error(`no needs declared for ${target.expr}`);
        queries.push({
          dashboard: dashboard.uid ?? '',
          panel: panel.title ?? '',
          refId: target.refId ?? '',
          expr: target.expr,
          needs,
        });
      }
      for (const child of panel.panels ?? []) visit(child);
    };
    for (const panel of (dashboard.panels ?? []) as PanelLike[]) visit(panel);
  }
  return queries;
}
