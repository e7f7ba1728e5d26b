// Panel and dashboard building blocks shared by the four Faultline dashboards: every panel queries
// Prometheus through the `datasource` variable, has a description, and a legend that is shown.

import { PanelBuilder as BarGaugeBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  PanelBuilder as PieChartBuilder,
  PieChartLegendOptionsBuilder,
  PieChartType,
} from '@grafana/grafana-foundation-sdk/piechart';
import type { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelineBuilder } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { JAEGER_UI_DEFAULT, PROMETHEUS_UID, prometheus } from './datasources.js';

export interface PanelSpec {
  title: string;
  /** Says what the panel shows and how it is computed; shown as the panel's (i) tooltip. */
  description: string;
  targets: DataqueryBuilder[];
  unit?: string;
  /** Width in grid columns (of 24). */
  span?: number;
  height?: number;
}

/** The builder methods every panel type shares (each SDK panel builder is its own class). */
interface PanelFrame<T> {
  title(title: string): T;
  description(description: string): T;
  datasource(datasource: common.DataSourceRef): T;
  targets(targets: DataqueryBuilder[]): T;
  unit(unit: string): T;
  span(span: number): T;
  height(height: number): T;
}

function frame<T extends PanelFrame<T>>(builder: T, spec: PanelSpec, span: number, height: number): T {
  return builder
    .title(spec.title)
    .description(spec.description)
    .datasource(prometheus)
    .targets(spec.targets)
    .unit(spec.unit ?? 'short')
    .span(spec.span ?? span)
    .height(spec.height ?? height);
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom);
}

function lastValue(): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
}

export function thresholds(...steps: [number | null, string][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

export function timeseries(spec: PanelSpec): TimeseriesBuilder {
  return frame(new TimeseriesBuilder(), spec, 12, 8)
    .legend(legend())
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .lineWidth(1)
    .fillOpacity(10);
}

export function stat(spec: PanelSpec): StatBuilder {
  return frame(new StatBuilder(), spec, 6, 5)
    .reduceOptions(lastValue())
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value);
}

export function table(spec: PanelSpec): TableBuilder {
  return frame(new TableBuilder(), spec, 12, 8).filterable(true);
}

export function pie(spec: PanelSpec): PieChartBuilder {
  return frame(new PieChartBuilder(), spec, 6, 8)
    .pieType(PieChartType.Donut)
    .reduceOptions(lastValue())
    .legend(
      new PieChartLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right),
    );
}

export function bars(spec: PanelSpec): BarGaugeBuilder {
  return frame(new BarGaugeBuilder(), spec, 6, 8)
    .reduceOptions(lastValue())
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient);
}

export function stateTimeline(spec: PanelSpec): StateTimelineBuilder {
  return frame(new StateTimelineBuilder(), spec, 24, 8).legend(legend()).mergeValues(true);
}

/** A data link on one field (table column); `url` may use ${__value.raw} and ${__data.fields.x}. */
export function linkOn(field: string, title: string, url: string): [string, dashboard.DynamicConfigValue[]] {
  return [field, [{ id: 'links', value: [{ title, url, targetBlank: true }] }]];
}

// ---------------------------------------------------------------- variables and the dashboard frame

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Prometheus')
    .type('prometheus')
    .current({ text: 'Prometheus', value: PROMETHEUS_UID });
}

/** A multi-value label variable over a metric; "All" is the regex .* (queries use =~). */
export function labelVariable(
  name: string,
  label: string,
  definition: string,
): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(prometheus)
    .query(definition)
    .definition(definition)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

export const SERVICE_VARIABLE_QUERY =
  'label_values(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"}, service_name)';

export function jaegerUiVariable(): dashboard.TextBoxVariableBuilder {
  return new dashboard.TextBoxVariableBuilder('jaeger_url')
    .label('Jaeger UI')
    .description('Base URL of the Jaeger UI that data links open (trace IDs are correlation IDs).')
    .defaultValue(JAEGER_UI_DEFAULT)
    .current({ text: JAEGER_UI_DEFAULT, value: JAEGER_UI_DEFAULT });
}

export function faultlineDashboard(
  uid: string,
  title: string,
  description: string,
): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['faultline'])
    .readonly()
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder('Faultline')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['faultline'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}
