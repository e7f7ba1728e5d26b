// Resilience: circuit breaker states and rejections, retries and give-ups (@faultline/resilience).
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { MappingType } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  datasourceVariable,
  faultlineDashboard,
  labelVariable,
  stat,
  stateTimeline,
  thresholds,
  timeseries,
} from './panels.js';
import { promQuery } from './queries.js';

const SVC = 'service_name=~"$service"';
const GIVE_UP = 'outcome=~"exhausted|budget|retry_budget"';

export const RESILIENCE_UID = 'faultline-resilience';

export function resilience(): Dashboard {
  return faultlineDashboard(
    RESILIENCE_UID,
    'Faultline / Resilience',
    'Circuit breakers (state, transitions, rejections) and retry policies (attempts by outcome, give-ups).',
  )
    .withVariable(datasourceVariable())
    .withVariable(
      labelVariable(
        'service',
        'Service',
        'label_values({__name__=~"faultline_circuit_state|faultline_retry_attempts_total|faultline_health_status"}, service_name)',
      ),
    )
    .withPanel(
      stat({
        title: 'Open breakers',
        description: 'Circuit breakers whose state is open (faultline_circuit_state == 2) now.',
        targets: [
          promQuery('A', `count(faultline_circuit_state{${SVC}} == 2) or vector(0)`, { needs: 'scrape' }),
        ],
      }).thresholds(thresholds([null, 'green'], [1, 'red'])),
    )
    .withPanel(
      stat({
        title: 'Retry give-ups / s',
        unit: 'ops',
        description:
          'Attempts after which a retry policy gave up: attempts exhausted, or the retry budget spent.',
        targets: [
          promQuery(
            'A',
            `sum(rate(faultline_retry_attempts_total{${GIVE_UP}, ${SVC}}[$__rate_interval])) or vector(0)`,
            {
              needs: 'scrape',
            },
          ),
        ],
      }).thresholds(thresholds([null, 'green'], [0.02, 'red'])),
    )
    .withPanel(
      stat({
        title: 'Calls rejected by open breakers / s',
        unit: 'ops',
        description:
          'faultline_circuit_rejections_total rate: calls that failed fast without reaching the dependency.',
        targets: [
          promQuery(
            'A',
            `sum(rate(faultline_circuit_rejections_total{${SVC}}[$__rate_interval])) or vector(0)`,
            {
              needs: 'scrape',
            },
          ),
        ],
      }).thresholds(thresholds([null, 'green'], [0.001, 'red'])),
    )
    .withPanel(
      stat({
        title: 'Retries per call',
        unit: 'none',
        description:
          'Attempts that failed and were retried (outcome retry) per final outcome (every other outcome ends a call).',
        targets: [
          promQuery(
            'A',
            `sum(rate(faultline_retry_attempts_total{outcome="retry", ${SVC}}[$__rate_interval]) or 0 * rate(faultline_retry_attempts_total{${SVC}}[$__rate_interval])) / sum(rate(faultline_retry_attempts_total{outcome!="retry", ${SVC}}[$__rate_interval]))`,
            { needs: 'traffic' },
          ),
        ],
      }).decimals(2),
    )
    .withPanel(
      stateTimeline({
        title: 'Breaker state',
        description: 'faultline_circuit_state per breaker over time: 0 closed, 1 half-open, 2 open.',
        targets: [
          promQuery('A', `max by (service_name, breaker) (faultline_circuit_state{${SVC}})`, {
            needs: 'traffic',
            legend: '{{service_name}} {{breaker}}',
          }),
        ],
      })
        .mappings([
          {
            type: MappingType.ValueToText,
            options: {
              '0': { text: 'closed', color: 'green', index: 0 },
              '1': { text: 'half-open', color: 'yellow', index: 1 },
              '2': { text: 'open', color: 'red', index: 2 },
            },
          },
        ])
        .thresholds(thresholds([null, 'green'], [1, 'yellow'], [2, 'red'])),
    )
    .withPanel(
      timeseries({
        title: 'Breaker transitions',
        unit: 'short',
        description:
          'State changes per breaker in each interval (faultline_circuit_transitions_total by from and to).',
        targets: [
          promQuery(
            'A',
            `sum by (service_name, breaker, from, to) (increase(faultline_circuit_transitions_total{${SVC}}[$__rate_interval]))`,
            { needs: 'fault', legend: '{{service_name}} {{breaker}} {{from}} → {{to}}' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Rejections by breaker',
        unit: 'ops',
        description: 'Calls rejected per second by each open breaker.',
        targets: [
          promQuery(
            'A',
            `sum by (service_name, breaker) (rate(faultline_circuit_rejections_total{${SVC}}[$__rate_interval]))`,
            {
              needs: 'fault',
              legend: '{{service_name}} {{breaker}}',
            },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Retry attempts by outcome',
        unit: 'ops',
        description:
          'faultline_retry_attempts_total per policy and outcome: success, retry (failed, will retry), exhausted, ' +
          'not_retryable, not_idempotent, aborted, budget (time budget spent), retry_budget (retry budget refused), circuit_open.',
        targets: [
          promQuery(
            'A',
            `sum by (service_name, policy, outcome) (rate(faultline_retry_attempts_total{${SVC}}[$__rate_interval]))`,
            { needs: 'traffic', legend: '{{service_name}} {{policy}} {{outcome}}' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Give-ups by policy',
        unit: 'percentunit',
        description:
          'Share of calls through each retry policy that ended with the policy giving up (exhausted, time budget or retry budget) ' +
          'among all calls that ended (every outcome but retry).',
        targets: [
          promQuery(
            'A',
            `sum by (service_name, policy) (rate(faultline_retry_attempts_total{${GIVE_UP}, ${SVC}}[$__rate_interval])) / sum by (service_name, policy) (rate(faultline_retry_attempts_total{outcome!="retry", ${SVC}}[$__rate_interval]))`,
            { needs: 'fault', legend: '{{service_name}} {{policy}}' },
          ),
        ],
      }),
    )
    .withPanel(
      stateTimeline({
        title: 'Readiness',
        description:
          'faultline_health_status per service and check: 0 healthy, 1 degraded, 2 unhealthy (a critical breaker ' +
          'open or most calls failing). FaultlineServiceUnready pages on it.',
        targets: [
          promQuery('A', `max by (service_name, check) (faultline_health_status{${SVC}})`, {
            needs: 'scrape',
            legend: '{{service_name}} {{check}}',
          }),
        ],
      })
        .mappings([
          {
            type: MappingType.ValueToText,
            options: {
              '0': { text: 'healthy', color: 'green', index: 0 },
              '1': { text: 'degraded', color: 'yellow', index: 1 },
              '2': { text: 'unhealthy', color: 'red', index: 2 },
            },
          },
        ])
        .thresholds(thresholds([null, 'green'], [1, 'yellow'], [2, 'red'])),
    )
    .withPanel(
      timeseries({
        title: 'Retry budget: calls offered vs attempts made',
        unit: 'ops',
        description:
          'Per retry policy: calls that ended (offered) and every attempt made (offered + retries). The retry ' +
          'budget keeps attempts within its share of the calls plus a small floor per second, so an outage ' +
          'does not multiply the load on the dependency by the attempt cap.',
        targets: [
          promQuery(
            'A',
            `sum by (service_name, policy) (rate(faultline_retry_attempts_total{outcome!="retry", ${SVC}}[$__rate_interval]))`,
            { needs: 'traffic', legend: '{{service_name}} {{policy}} offered' },
          ),
          promQuery(
            'B',
            `sum by (service_name, policy) (rate(faultline_retry_attempts_total{${SVC}}[$__rate_interval]))`,
            { needs: 'traffic', legend: '{{service_name}} {{policy}} attempted' },
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Retry budget: tokens left and refusals',
        unit: 'short',
        description:
          'faultline_retry_budget_tokens (a retry takes one; below 1 retries are refused) and the retries the ' +
          'budget refused per second.',
        targets: [
          promQuery('A', `max by (service_name, budget) (faultline_retry_budget_tokens{${SVC}})`, {
            needs: 'scrape',
            legend: '{{service_name}} {{budget}} tokens',
          }),
          promQuery(
            'B',
            `sum by (service_name, budget) (rate(faultline_retry_budget_refusals_total{${SVC}}[$__rate_interval]))`,
            { needs: 'scrape', legend: '{{service_name}} {{budget}} refused/s' },
          ),
        ],
      }),
    )
    .build();
}
