import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { eventually, promQuery } from '../src/index.js';

const stack = inject('stack');

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** One OTLP/HTTP JSON export, as any OTLP SDK would send it. */
async function sendSpan(
  traceId: string,
  attrs: Record<string, string>,
  error: boolean,
  service = 'pipeline-e2e',
) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'e2e' },
            spans: [
              {
                traceId,
                spanId: hex(8),
                name: 'GET /checkout',
                kind: 2,
                startTimeUnixNano: String(now - 5_000_000n),
                endTimeUnixNano: String(now),
                attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
                status: error ? { code: 2, message: 'boom' } : { code: 1 },
              },
            ],
          },
        ],
      },
    ],
  };
  const res = await fetch(`${stack.urls.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

describe('the loopback pipeline (real collector, Jaeger, Prometheus, Alertmanager)', () => {
  it('carries an error span to Jaeger with its attributes, scrubbing secrets on the way', async () => {
    const traceId = hex(16);
    await sendSpan(
      traceId,
      {
        'error.type': 'connection_failed',
        'faultline.error.category': 'network',
        'http.request.header.authorization': 'Bearer abcdefghijklmnopqrstu',
        'app.note': 'login with password=hunter2 for jane@example.com',
      },
      true,
    );
    const trace = await eventually(
      `trace ${traceId} in Jaeger`,
      async () => {
        const res = await fetch(`${stack.urls.jaegerQuery}/api/v3/traces/${traceId}`);
        return res.ok ? ((await res.json()) as unknown) : undefined;
      },
      60_000,
    );
    const text = JSON.stringify(trace);
    expect(text).toContain('connection_failed');
    expect(text).toContain('faultline.error.category');
    for (const secret of ['abcdefghijklmnopqrstu', 'hunter2', 'jane@example.com'])
      expect(text).not.toContain(secret);
  });

  it('turns spans into span metrics that Prometheus scrapes, labelled by service and status', async () => {
    await sendSpan(hex(16), { 'error.type': 'internal_error' }, true, 'metrics-e2e');
    const series = await eventually(
      'traces_span_metrics_calls_total for metrics-e2e',
      async () => {
        const r = await promQuery(
          stack.urls.prometheus,
          'traces_span_metrics_calls_total{service_name="metrics-e2e",status_code="STATUS_CODE_ERROR"}',
        );
        return r.length > 0 ? r : undefined;
      },
      90_000,
    );
    expect(series[0]!.metric.error_type).toBe('internal_error');
    expect(series[0]!.metric.span_kind).toBe('SPAN_KIND_SERVER');
  });

  it('stores the span metric exemplar that points back at the failed trace, and Jaeger SPM reads the series', async () => {
    const traceId = hex(16);
    await sendSpan(traceId, { 'error.type': 'internal_error' }, true, 'exemplar-e2e');
    const query = 'traces_span_metrics_duration_milliseconds_bucket{service_name="exemplar-e2e"}';
    const exemplars = await eventually(
      `an exemplar with trace_id ${traceId}`,
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const url = new URL('/api/v1/query_exemplars', stack.urls.prometheus);
        url.search = new URLSearchParams({
          query,
          start: String(now - 300),
          end: String(now + 60),
        }).toString();
        const text = await (await fetch(url)).text();
        return text.includes(traceId) ? text : undefined;
      },
      90_000,
    );
    expect(exemplars).toContain(traceId);
    const calls = await eventually(
      'Jaeger SPM calls for exemplar-e2e',
      async () => {
        const url = new URL('/api/metrics/calls', stack.urls.jaegerQuery);
        url.search = new URLSearchParams({
          service: 'exemplar-e2e',
          spanKind: 'server',
          endTs: String(Date.now() + 60_000),
          lookback: '300000',
          step: '1000',
          ratePer: '60000',
        }).toString();
        const text = await (await fetch(url)).text();
        return text.includes('"value"') ? text : undefined;
      },
      60_000,
    );
    expect(calls).toContain('exemplar-e2e');
  });

  it('has Prometheus scraping every pipeline program', async () => {
    const up = await eventually(
      'all pipeline scrape targets up',
      async () => {
        const r = await promQuery(
          stack.urls.prometheus,
          'up{job=~"prometheus|alertmanager|otel-collector|otel-collector-self|jaeger"}',
        );
        return r.length === 5 && r.every((s) => s.value[1] === '1') ? r : undefined;
      },
      60_000,
    );
    expect(up.map((s) => s.metric.job).sort()).toEqual([
      'alertmanager',
      'jaeger',
      'otel-collector',
      'otel-collector-self',
      'prometheus',
    ]);
  });
});
