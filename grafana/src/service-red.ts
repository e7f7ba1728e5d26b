// Service RED: rate, errors and duration of server spans per service and operation, from the
// collector's span metrics. The duration panel carries exemplars: each dot is a trace ID.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  datasourceVariable,
  faultlineDashboard,
  jaegerUiVariable,
  labelVariable,
  SERVICE_VARIABLE_QUERY,
  stat,
  thresholds,
  timeseries,
} from './panels.js';
import { promQuery } from './queries.js';

const SEL = 'span_kind="SPAN_KIND_SERVER", service_name=~"$service", span_name=~"$operation"';
const calls = (extra = '') => `traces_span_metrics_calls_total{${SEL}${extra}}`;
const BUCKETS = `traces_span_metrics_duration_milliseconds_bucket{${SEL}}`;
const quantile = (q: number, by: string) =>
  `histogram_quantile(${q}, sum by (${by}le) (rate(${BUCKETS}[$__rate_interval])))`;

/** Failed / all, with 0 where a series has calls but no failure yet (instead of no data). */
const errorRatio = (by: string) =>
  `(sum by (${by}) (rate(${calls(', status_code="STATUS_CODE_ERROR"')}[$__rate_interval])) or 0 * sum by (${by}) (rate(${calls()}[$__rate_interval]))) / sum by (${by}) (rate(${calls()}[$__rate_interval]))`;

export const SERVICE_RED_UID = 'faultline-service-red';

export function serviceRed(): Dashboard {
  return faultlineDashboard(
    SERVICE_RED_UID,
    'Faultline / Service RED',
    'Rate, errors and duration of server spans per service and operation (collector span metrics).',
  )
    .withVariable(datasourceVariable())
    .withVariable(labelVariable('service', 'Service', SERVICE_VARIABLE_QUERY))
    .withVariable(
      labelVariable(
        'operation',
        'Operation',
        'label_values(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER", service_name=~"$service"}, span_name)',
      ),
    )
    .withVariable(jaegerUiVariable())
    .withPanel(
      stat({
        title: 'Requests',
        unit: 'reqps',
        description: 'Server calls per second, selected services and operations together.',
        targets: [promQuery('A', `sum(rate(${calls()}[$__rate_interval]))`, { needs: 'traffic' })],
      }),
    )
    .withPanel(
      stat({
        title: 'Error ratio',
        unit: 'percentunit',
        description: 'Share of server calls with status ERROR.',
        targets: [
          promQuery(
            'A',
            `(sum(rate(${calls(', status_code="STATUS_CODE_ERROR"')}[$__rate_interval])) or vector(0)) / sum(rate(${calls()}[$__rate_interval]))`,
            { needs: 'traffic' },
          ),
        ],
      }).thresholds(thresholds([null, 'green'], [0.001, 'orange'], [0.05, 'red'])),
    )
    .withPanel(
      stat({
        title: 'p99 duration',
        unit: 'ms',
        description:
          '99th percentile of server span durations (histogram_quantile over the span metrics buckets).',
        targets: [promQuery('A', quantile(0.99, ''), { needs: 'traffic' })],
      }).thresholds(thresholds([null, 'green'], [500, 'orange'], [1000, 'red'])),
    )
    .withPanel(
      stat({
        title: 'Operations',
        description: 'Server operations (span names) with calls in the last 5 minutes.',
        targets: [
          promQuery('A', `count(sum by (service_name, span_name) (rate(${calls()}[5m])) > 0)`, {
            needs: 'traffic',
          }),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Rate by operation',
        unit: 'reqps',
        description: 'Server calls per second per service and operation.',
        targets: [
          promQuery('A', `sum by (service_name, span_name) (rate(${calls()}[$__rate_interval]))`, {
            needs: 'traffic',
            legend: '{{service_name}} {{span_name}}',
          }),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Error ratio by operation',
        unit: 'percentunit',
        description: 'Share of server calls with status ERROR per service and operation (0 until one fails).',
        targets: [
          promQuery('A', errorRatio('service_name, span_name'), {
            needs: 'traffic',
            legend: '{{service_name}} {{span_name}}',
          }),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Duration p50 / p95 / p99 (with exemplars)',
        unit: 'ms',
        span: 24,
        height: 10,
        description:
          'Server span duration percentiles per service. The dots are exemplars: sampled spans with their ' +
          'trace ID (= correlation ID); clicking one opens the trace in the Jaeger data source.',
        targets: [
          promQuery('A', quantile(0.5, 'service_name, '), {
            needs: 'traffic',
            legend: '{{service_name}} p50',
          }),
          promQuery('B', quantile(0.95, 'service_name, '), {
            needs: 'traffic',
            legend: '{{service_name}} p95',
          }),
          promQuery('C', quantile(0.99, 'service_name, '), {
            needs: 'traffic',
            legend: '{{service_name}} p99',
            exemplar: true,
          }),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'p99 duration by operation',
        unit: 'ms',
        description: '99th percentile of server span durations per service and operation.',
        targets: [
          promQuery('A', quantile(0.99, 'service_name, span_name, '), {
            needs: 'traffic',
            legend: '{{service_name}} {{span_name}}',
          }),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Failed calls by error code',
        unit: 'reqps',
        description:
          'Failed server calls per second by faultline.error.code (a span attribute the spanmetrics connector ' +
          'turns into the faultline_error_code dimension).',
        targets: [
          promQuery(
            'A',
            `sum by (service_name, faultline_error_code) (rate(${calls(', status_code="STATUS_CODE_ERROR"')}[$__rate_interval]))`,
            { needs: 'fault', legend: '{{service_name}} {{faultline_error_code}}' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'HTTP responses by status code',
        unit: 'reqps',
        description:
          'Server calls per second by http.response.status_code (HTTP services only; the dimension exists ' +
          'where the instrumentation sets the stable semantic-convention attribute, always on Faultline errors).',
        targets: [
          promQuery(
            'A',
            `sum by (service_name, http_response_status_code) (rate(${calls(', http_response_status_code!=""')}[$__rate_interval]))`,
            { needs: 'fault', legend: '{{service_name}} {{http_response_status_code}}' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'gRPC responses by status code',
        unit: 'reqps',
        description:
          'Server calls per second by rpc.response.status_code (gRPC services only; always set on Faultline errors).',
        targets: [
          promQuery(
            'A',
            `sum by (service_name, rpc_response_status_code) (rate(${calls(', rpc_response_status_code!=""')}[$__rate_interval]))`,
            { needs: 'fault', legend: '{{service_name}} {{rpc_response_status_code}}' },
          ),
        ],
      }),
    )
    .build();
}
