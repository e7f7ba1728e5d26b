// Pipeline health: the collector (in, out, refused, failed, queues), Jaeger, Prometheus and
// Alertmanager. Collector counters are matched with and without _total: the v0.165 default
// Prometheus reader drops the suffix, older cores and Jaeger v2.13 keep it (see alerts.yml).
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { MappingType } from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceVariable, faultlineDashboard, stat, thresholds, timeseries } from './panels.js';
import { type Needs, promQuery } from './queries.js';

const COLLECTOR = 'job="otel-collector-self"';
const JAEGER = 'job="jaeger"';
const SIGNALS = [
  ['traces', 'spans'],
  ['metrics', 'metric_points'],
  ['logs', 'log_records'],
] as const;

const counter = (name: string, selector: string) => `{__name__=~"${name}(_total)?", ${selector}}`;

/** One series per signal: a rate of otelcol_<stage>_<items> summed by `by`, labelled signal=... */
function perSignal(stage: string, by: string): string {
  return SIGNALS.map(
    ([signal, items]) =>
      `label_replace(sum by (${by}) (rate(${counter(`otelcol_${stage}_${items}`, COLLECTOR)}[$__rate_interval])), "signal", "${signal}", "", "")`,
  ).join(' or ');
}

/** The sum over signals, 0 when none of them has a series yet. */
function allSignals(stage: string): string {
  return SIGNALS.map(
    ([, items]) =>
      `(sum(rate(${counter(`otelcol_${stage}_${items}`, COLLECTOR)}[$__rate_interval])) or vector(0))`,
  ).join(' + ');
}

const UP_MAPPINGS = [
  {
    type: MappingType.ValueToText as const,
    options: { '0': { text: 'down', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } },
  },
];

function upStat(title: string, jobs: string): ReturnType<typeof stat> {
  return stat({
    title,
    span: 4,
    description: `min(up) of the ${jobs} scrape job(s): down when Prometheus cannot scrape it.`,
    targets: [promQuery('A', `min(up{job=~"${jobs}"})`, { needs: 'scrape' })],
  })
    .mappings(UP_MAPPINGS)
    .thresholds(thresholds([null, 'red'], [1, 'green']));
}

function stageSeries(title: string, stage: string, by: string, needs: Needs, description: string) {
  return timeseries({
    title,
    unit: 'short',
    description,
    targets: [promQuery('A', perSignal(stage, by), { needs, legend: `{{${by}}} {{signal}}` })],
  });
}

export const PIPELINE_HEALTH_UID = 'faultline-pipeline-health';

export function pipelineHealth(): Dashboard {
  return faultlineDashboard(
    PIPELINE_HEALTH_UID,
    'Faultline / Pipeline health',
    'Is the telemetry getting through? Collector in/out/refused/failed and queues, Jaeger, Prometheus, Alertmanager.',
  )
    .withVariable(datasourceVariable())
    .withPanel(upStat('Collector up', 'otel-collector|otel-collector-self'))
    .withPanel(upStat('Jaeger up', 'jaeger'))
    .withPanel(upStat('Alertmanager up', 'alertmanager'))
    .withPanel(
      stat({
        title: 'Items refused / s',
        span: 4,
        description:
          'Spans + metric points + log records the collector receivers refused (memory_limiter back-pressure).',
        targets: [promQuery('A', allSignals('receiver_refused'), { needs: 'scrape' })],
      }).thresholds(thresholds([null, 'green'], [0.001, 'red'])),
    )
    .withPanel(
      stat({
        title: 'Items failed to send / s',
        span: 4,
        description: 'Spans + metric points + log records the collector exporters failed to send.',
        targets: [promQuery('A', allSignals('exporter_send_failed'), { needs: 'scrape' })],
      }).thresholds(thresholds([null, 'green'], [0.001, 'red'])),
    )
    .withPanel(
      stat({
        title: 'Fullest exporter queue',
        span: 4,
        unit: 'percentunit',
        description:
          'The fullest collector sending queue: otelcol_exporter_queue_size / otelcol_exporter_queue_capacity.',
        targets: [
          promQuery(
            'A',
            `max(max by (exporter, data_type) (otelcol_exporter_queue_size{${COLLECTOR}}) / max by (exporter, data_type) (otelcol_exporter_queue_capacity{${COLLECTOR}}))`,
            { needs: 'scrape' },
          ),
        ],
      }).thresholds(thresholds([null, 'green'], [0.5, 'orange'], [0.8, 'red'])),
    )
    .withPanel(
      stageSeries(
        'Collector in (accepted)',
        'receiver_accepted',
        'receiver',
        'traffic',
        'Items per second the collector receivers accepted, per receiver and signal.',
      ),
    )
    .withPanel(
      stageSeries(
        'Collector out (sent)',
        'exporter_sent',
        'exporter',
        'traffic',
        'Items per second the collector exporters sent, per exporter and signal (traces to Jaeger after tail ' +
          'sampling, metrics to the Prometheus exporter including span metrics).',
      ),
    )
    .withPanel(
      stageSeries(
        'Collector refused',
        'receiver_refused',
        'receiver',
        'traffic',
        'Items per second refused by the receivers: the senders retry, then drop.',
      ),
    )
    .withPanel(
      stageSeries(
        'Collector failed to send',
        'exporter_send_failed',
        'exporter',
        'pipeline-fault',
        'Items per second the exporters failed to send (the series appear with the first failure).',
      ),
    )
    .withPanel(
      timeseries({
        title: 'Exporter queues',
        unit: 'percentunit',
        description: 'Sending queue fill per exporter; at 100% new batches are dropped (enqueue_failed).',
        targets: [
          promQuery(
            'A',
            `max by (exporter, data_type) (otelcol_exporter_queue_size{${COLLECTOR}}) / max by (exporter, data_type) (otelcol_exporter_queue_capacity{${COLLECTOR}})`,
            { needs: 'scrape', legend: '{{exporter}} {{data_type}}' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Collector memory',
        unit: 'bytes',
        description:
          'Resident memory and Go heap of the collector; memory_limiter refuses data near its limit.',
        targets: [
          promQuery('A', `max({__name__=~"otelcol_process_memory_rss(_bytes)?", ${COLLECTOR}})`, {
            needs: 'scrape',
            legend: 'rss',
          }),
          promQuery('B', `max(otelcol_process_runtime_heap_alloc_bytes{${COLLECTOR}})`, {
            needs: 'scrape',
            legend: 'heap',
          }),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Jaeger spans in and stored',
        unit: 'short',
        description: 'Spans per second Jaeger accepted from the collector, and wrote to its storage.',
        targets: [
          promQuery(
            'A',
            `sum(rate(${counter('otelcol_receiver_accepted_spans', JAEGER)}[$__rate_interval]))`,
            {
              needs: 'traffic',
              legend: 'accepted',
            },
          ),
          promQuery(
            'B',
            `sum by (exporter) (rate(${counter('otelcol_exporter_sent_spans', JAEGER)}[$__rate_interval]))`,
            { needs: 'traffic', legend: 'stored ({{exporter}})' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Jaeger storage errors',
        unit: 'short',
        description:
          'Spans per second Jaeger failed to write to storage, and storage reads per second by operation and result.',
        targets: [
          promQuery(
            'A',
            `sum by (exporter) (rate(${counter('otelcol_exporter_send_failed_spans', JAEGER)}[$__rate_interval]))`,
            { needs: 'scrape', legend: 'write failed ({{exporter}})' },
          ),
          promQuery(
            'B',
            `sum by (operation, result) (rate(${counter('jaeger_storage_requests', JAEGER)}[$__rate_interval]))`,
            { needs: 'traffic', legend: 'read {{operation}} {{result}}' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Scrape targets up',
        unit: 'short',
        description:
          'Targets up per scrape job (otel-collector, otel-collector-self, jaeger, faultline-services, ...).',
        targets: [promQuery('A', 'sum by (job) (up)', { needs: 'scrape', legend: '{{job}}' })],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Rule evaluation',
        unit: 'short',
        description:
          'Rule evaluation failures per rule group (they blind the alerts) and the last evaluation duration (s).',
        targets: [
          promQuery(
            'A',
            'sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total{job="prometheus"}[$__rate_interval]))',
            { needs: 'scrape', legend: 'failures {{rule_group}}' },
          ),
          promQuery(
            'B',
            'max by (rule_group) (prometheus_rule_group_last_duration_seconds{job="prometheus"})',
            {
              needs: 'scrape',
              legend: 'duration {{rule_group}}',
            },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Alert notifications',
        unit: 'short',
        description:
          'Alerts Prometheus sent to Alertmanager, failed to send and dropped per second; Alertmanagers discovered.',
        targets: [
          promQuery(
            'A',
            'sum(rate(prometheus_notifications_sent_total{job="prometheus"}[$__rate_interval]))',
            {
              needs: 'scrape',
              legend: 'sent',
            },
          ),
          promQuery(
            'B',
            'sum(rate(prometheus_notifications_errors_total{job="prometheus"}[$__rate_interval]))',
            {
              needs: 'scrape',
              legend: 'errors',
            },
          ),
          promQuery(
            'C',
            'sum(rate(prometheus_notifications_dropped_total{job="prometheus"}[$__rate_interval]))',
            {
              needs: 'scrape',
              legend: 'dropped',
            },
          ),
          promQuery('D', 'max(prometheus_notifications_alertmanagers_discovered{job="prometheus"})', {
            needs: 'scrape',
            legend: 'alertmanagers discovered',
          }),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Alertmanager',
        unit: 'short',
        description:
          'Active alerts in Alertmanager, and notifications that failed per second by integration.',
        targets: [
          promQuery('A', 'sum(alertmanager_alerts{job="alertmanager", state="active"})', {
            needs: 'scrape',
            legend: 'active alerts',
          }),
          promQuery(
            'B',
            'sum by (integration) (rate(alertmanager_notifications_failed_total{job="alertmanager"}[$__rate_interval]))',
            { needs: 'scrape', legend: 'failed {{integration}}' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Prometheus storage',
        unit: 'short',
        description:
          'Head series, and exemplars in storage (0 or missing: Prometheus runs without ' +
          '--enable-feature=exemplar-storage and trace IDs are lost).',
        targets: [
          promQuery('A', 'max(prometheus_tsdb_head_series{job="prometheus"})', {
            needs: 'scrape',
            legend: 'series',
          }),
          promQuery('B', 'max(prometheus_tsdb_exemplar_exemplars_in_storage{job="prometheus"})', {
            needs: 'traffic',
            legend: 'exemplars',
          }),
        ],
      }),
    )
    .build();
}
