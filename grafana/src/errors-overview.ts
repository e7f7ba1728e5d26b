// Errors overview: how much fails, what kind, where, since when, who knows about it.
import { LogsSortOrder, TableSortByFieldStateBuilder } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as PanelRaw } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as LogsBuilder } from '@grafana/grafana-foundation-sdk/logs';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { jaeger, victoriaLogs } from './datasources.js';
import { JaegerSearchBuilder } from './jaeger.js';
import {
  bars,
  datasourceVariable,
  faultlineDashboard,
  jaegerUiVariable,
  labelVariable,
  linkOn,
  pie,
  SERVICE_VARIABLE_QUERY,
  stat,
  table,
  thresholds,
  timeseries,
} from './panels.js';
import { promQuery } from './queries.js';
import { VictoriaLogsQueryBuilder } from './victorialogs.js';

const SERVER = 'span_kind="SPAN_KIND_SERVER"';
const FAILED = 'status_code="STATUS_CODE_ERROR"';
const SVC = 'service_name=~"$service"';

// Alert episodes: ALERTS{alertstate="firing"} has one sample per rule evaluation while an alert
// fires, and ALERTS_FOR_STATE holds the time an alert instance became active, so each new value of
// it is a new episode. Firing time / episodes = mean time from firing to resolved.
const FIRING = 'ALERTS{alertstate="firing", alertname!="Watchdog"}';
const EVALUATION_INTERVAL = 'scalar(max(prometheus_rule_group_interval_seconds{job="prometheus"}))';
const episodes = (by: string) =>
  `sum${by} ((changes(ALERTS_FOR_STATE{alertname!="Watchdog"}[$__range]) + 1) and ignoring (alertstate) (count_over_time(${FIRING}[$__range]) > 0))`;
const firingSeconds = (by: string) =>
  `sum${by} (count_over_time(${FIRING}[$__range])) * ${EVALUATION_INTERVAL}`;

const MTTR_METHOD =
  'Method: ALERTS{alertstate="firing"} has one sample per rule evaluation while an alert fires, so ' +
  'samples × the evaluation interval (prometheus_rule_group_interval_seconds) is the firing time in the ' +
  'range. ALERTS_FOR_STATE holds the moment an alert instance became active; every change of it starts ' +
  'a new episode, so changes + 1 counts the episodes of each instance that fired. Firing time / ' +
  'episodes is the mean time from firing to resolved. Episodes still firing count with their time so ' +
  'far; a pending-only episode of an instance that also fired counts as an episode (slight underestimate). ' +
  'The Watchdog is left out.';

export const ERRORS_OVERVIEW_UID = 'faultline-errors-overview';

export function errorsOverview(): Dashboard {
  return faultlineDashboard(
    ERRORS_OVERVIEW_UID,
    'Faultline / Errors overview',
    'How much fails, what kind of error, where, and which alerts it raised. Trace IDs are correlation IDs.',
  )
    .withVariable(datasourceVariable())
    .withVariable(labelVariable('service', 'Service', SERVICE_VARIABLE_QUERY))
    .withVariable(
      labelVariable('trace_service', 'Service (traces)', SERVICE_VARIABLE_QUERY)
        .multi(false)
        .includeAll(false)
        .current({ text: '', value: '' }),
    )
    .withVariable(jaegerUiVariable())
    .withPanel(
      stat({
        title: 'Server error ratio (5m)',
        description:
          'Share of server spans with status ERROR over the last 5 minutes, all selected services together ' +
          '(the SLI of the burn-rate alerts).',
        unit: 'percentunit',
        targets: [
          promQuery(
            'A',
            `(sum(service_name:span_server_errors:rate5m{${SVC}}) or vector(0)) / sum(service_name:span_server_calls:rate5m{${SVC}})`,
            { needs: 'traffic' },
          ),
        ],
      }).thresholds(thresholds([null, 'green'], [0.001, 'orange'], [0.05, 'red'])),
    )
    .withPanel(
      stat({
        title: 'Errors recorded',
        description:
          'faultline_errors_total increase over the dashboard range: every error the services classified.',
        targets: [
          promQuery('A', `sum(increase(faultline_errors_total{${SVC}}[$__range]))`, { needs: 'fault' }),
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Correlation ID coverage',
        unit: 'percentunit',
        description:
          'Approximate share of server spans whose parent came from an instrumented caller, i.e. whose trace ' +
          '(= correlation) ID was propagated rather than started here. Span metrics carry no parent, so it is ' +
          'derived: every propagated call is one CLIENT span in the caller and one SERVER span in the callee, ' +
          'so client calls / server calls (all services, capped at 100%). It reads low when uninstrumented ' +
          'callers (browsers, curl) send traffic, and high when clients call uninstrumented services.',
        targets: [
          promQuery(
            'A',
            'clamp_max(sum(rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_CLIENT"}[$__rate_interval])) / sum(rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"}[$__rate_interval])), 1)',
            { needs: 'traffic' },
          ),
        ],
      }).thresholds(thresholds([null, 'red'], [0.5, 'orange'], [0.9, 'green'])),
    )
    .withPanel(
      stat({
        title: 'Mean time to resolve (alerts)',
        unit: 's',
        description: `Mean time from an alert firing to it resolving, over the dashboard range. ${MTTR_METHOD}`,
        targets: [promQuery('A', `${firingSeconds('')} / ${episodes('')}`, { needs: 'alert' })],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Error rate',
        unit: 'reqps',
        description:
          'Failed server calls per second (span metrics, status ERROR) and errors recorded per second ' +
          '(faultline_errors_total: also client-side and 4xx-class errors, which do not fail a server span). ' +
          'Click an exemplar on the Service RED duration panel to open a failing trace.',
        targets: [
          promQuery(
            'A',
            `sum by (service_name) (rate(traces_span_metrics_calls_total{${SERVER}, ${FAILED}, ${SVC}}[$__rate_interval]))`,
            { needs: 'fault', legend: '{{service_name}} failed server calls' },
          ),
          promQuery('B', `sum by (service_name) (rate(faultline_errors_total{${SVC}}[$__rate_interval]))`, {
            needs: 'fault',
            legend: '{{service_name}} errors recorded',
          }),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Error ratio and error budget',
        unit: 'percentunit',
        description:
          'Server error ratio over 5 minutes per service, against the error budget (1 - SLO, ' +
          'faultline:slo_error_budget:ratio). Above the line the budget burns faster than sustainable.',
        targets: [
          promQuery('A', `service_name:span_server_error:ratio_rate5m{${SVC}}`, {
            needs: 'traffic',
            legend: '{{service_name}}',
          }),
          promQuery('B', 'faultline:slo_error_budget:ratio', { needs: 'scrape', legend: 'error budget' }),
        ],
      }),
    )
    .withPanel(
      pie({
        title: 'Errors by category',
        description: 'Errors recorded over the dashboard range by category (the Faultline taxonomy).',
        targets: [
          promQuery('A', `sum by (error_category) (increase(faultline_errors_total{${SVC}}[$__range]))`, {
            needs: 'fault',
            legend: '{{error_category}}',
            instant: true,
          }),
        ],
      }),
    )
    .withPanel(
      bars({
        title: 'Errors by severity',
        description: 'Errors recorded over the dashboard range by severity (low, medium, high, critical).',
        targets: [
          promQuery('A', `sum by (error_severity) (increase(faultline_errors_total{${SVC}}[$__range]))`, {
            needs: 'fault',
            legend: '{{error_severity}}',
            instant: true,
          }),
        ],
      }).thresholds(thresholds([null, 'orange'])),
    )
    .withPanel(
      table({
        title: 'New error codes (last hour)',
        span: 12,
        description:
          'Codes (error_type) recorded now that were not recorded in the hour before the last one. The ' +
          'FaultlineNewErrorCode alert announces the same thing.',
        targets: [
          promQuery(
            'A',
            `count by (service_name, error_type) (faultline_errors_total{${SVC}}) unless count by (service_name, error_type) (count_over_time(faultline_errors_total{${SVC}}[1h] offset 1h))`,
            { needs: 'fault', instant: true, table: true },
          ),
        ],
      }).withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true } } }),
    )
    .withPanel(topFailingOperations())
    .withPanel(recentErrorTraces())
    .withPanel(serviceLogs())
    .withPanel(
      table({
        title: 'Mean time to resolve by alert',
        unit: 's',
        description: MTTR_METHOD,
        targets: [
          promQuery('A', `${firingSeconds(' by (alertname)')} / ${episodes(' by (alertname)')}`, {
            needs: 'alert',
            instant: true,
            table: true,
          }),
        ],
      }).withTransformation({
        id: 'organize',
        options: { excludeByName: { Time: true }, renameByName: { Value: 'mean time to resolve' } },
      }),
    )
    .withPanel(
      table({
        title: 'Firing alerts',
        description: 'ALERTS{alertstate="firing"} now, from Prometheus (the Watchdog always fires).',
        targets: [
          promQuery('A', 'ALERTS{alertstate="firing"}', { needs: 'scrape', instant: true, table: true }),
        ],
      }).withTransformation({
        id: 'organize',
        options: { excludeByName: { Time: true, Value: true, __name__: true, alertstate: true } },
      }),
    )
    .withPanel(
      new PanelRaw()
        .type('alertlist')
        .title('Alert list')
        .description(
          'Alert rules and their state as Grafana sees them (data-source-managed Prometheus rules).',
        )
        .span(12)
        .height(8)
        .options({
          viewMode: 'list',
          groupMode: 'default',
          maxItems: 20,
          sortOrder: 1,
          dashboardAlerts: false,
          alertName: '',
          alertInstanceLabelFilter: '',
          showInstances: true,
          stateFilter: { firing: true, pending: true, noData: false, normal: false, error: true },
        }),
    )
    .build();
}

function topFailingOperations(): TableBuilder {
  const failed = `sum by (service_name, span_name) (increase(traces_span_metrics_calls_total{${SERVER}, ${FAILED}, ${SVC}}[$__range]))`;
  const all = `sum by (service_name, span_name) (increase(traces_span_metrics_calls_total{${SERVER}, ${SVC}}[$__range]))`;
  const search =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variables, interpolated by Grafana
    '${jaeger_url:raw}/search?service=${__data.fields.service_name}&operation=${__data.fields.span_name}' +
    '&tags=%7B%22error%22%3A%22true%22%7D&limit=20';
  return table({
    title: 'Top failing operations',
    description:
      'Server operations with the most failed calls over the dashboard range, with their error ratio. Click ' +
      'an operation to search Jaeger for its failed traces (trace IDs are correlation IDs).',
    targets: [
      promQuery('A', `topk(10, ${failed})`, { needs: 'fault', instant: true, table: true }),
      promQuery('B', `${failed} / ${all}`, { needs: 'fault', instant: true, table: true }),
    ],
  })
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true },
        renameByName: { 'Value #A': 'failed calls', 'Value #B': 'error ratio' },
      },
    })
    .withTransformation({
      id: 'filterByValue',
      options: {
        type: 'exclude',
        match: 'any',
        filters: [{ fieldName: 'failed calls', config: { id: 'isNull', options: {} } }],
      },
    })
    .sortBy([new TableSortByFieldStateBuilder().displayName('failed calls').desc(true)])
    .overrideByName('error ratio', [{ id: 'unit', value: 'percentunit' }])
    .overrideByName(...linkOn('span_name', 'Failed traces in Jaeger', search));
}

/** LogsQL: the log lines of the selected services (Grafana's regex format of a multi-value variable). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, interpolated by Grafana
export const SERVICE_LOGS_QUERY = 'service.name:~"${service:regex}"';

function serviceLogs(): LogsBuilder {
  return new LogsBuilder()
    .title('Logs of the selected services')
    .description(
      'Log lines (pino lines, exception and crash records) of the selected services, from VictoriaLogs, ' +
        'newest first. Every line carries trace_id, the correlation ID: open a line and follow ' +
        '"Open trace in Jaeger" (the data source\'s derived field); a span in Jaeger links back to ' +
        "its trace's lines.",
    )
    .datasource(victoriaLogs)
    .withTarget(new VictoriaLogsQueryBuilder('A', SERVICE_LOGS_QUERY).maxLines(500))
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(LogsSortOrder.Descending)
    .span(24)
    .height(10);
}

function recentErrorTraces(): TableBuilder {
  return (
    new TableBuilder()
      .title('Recent error traces')
      .description(
        'Traces of the selected service (Service (traces)) that contain an error, from Jaeger. The trace ID is ' +
          'the correlation ID that clients, logs and problem+json bodies carry. Click one to open it.',
      )
      .datasource(jaeger)
      .withTarget(new JaegerSearchBuilder('A', '$trace_service').tags('error=true').limit(20))
      .span(12)
      .height(8)
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variables, interpolated by Grafana
      .overrideByName(...linkOn('traceID', 'Open trace in Jaeger', '${jaeger_url:raw}/trace/${__value.raw}'))
  );
}
