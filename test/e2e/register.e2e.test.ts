// Issue 4's end-to-end proof: an app started with `--require @faultline/node/register` against
// the real collector, Jaeger, Prometheus (started by the e2e global setup).

import { eventually, promQuery } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type App, addScrapeTarget, startApp } from './support.js';

const stack = inject('stack');
const SERVICE = 'register-e2e';
let app: App;

interface OtlpAttr {
  key: string;
  value: { stringValue?: string; boolValue?: boolean; intValue?: string };
}
interface OtlpSpan {
  name: string;
  kind: number;
  status?: { code?: number };
  attributes?: OtlpAttr[];
  events?: Array<{ name: string; attributes?: OtlpAttr[] }>;
}

async function jaegerSpans(traceId: string): Promise<OtlpSpan[] | undefined> {
  const res = await fetch(`${stack.urls.jaegerQuery}/api/v3/traces/${traceId}`);
  if (!res.ok) return undefined;
  const body = (await res.json()) as {
    result?: { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }> };
  };
  const spans = (body.result?.resourceSpans ?? []).flatMap((r) =>
    (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []),
  );
  return spans.length > 0 ? spans : undefined;
}

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v?.stringValue ?? v?.boolValue ?? v?.intValue;
};

beforeAll(async () => {
  app = await startApp('failing-app.cjs', SERVICE, stack.urls.otlpHttp);
  addScrapeTarget(stack.servicesFile, `127.0.0.1:${app.metricsPort}`);
});

afterAll(async () => {
  await app?.stop();
});

describe('an app started with the register, against the real pipeline', () => {
  it('answers a failure with the correlation ID, and Jaeger has that trace with the structured error', async () => {
    const res = await fetch(`http://127.0.0.1:${app.port}/fail?code=dependency_failed`);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { code: string; correlationId: string };
    const id = res.headers.get('x-correlation-id');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.correlationId).toBe(id);
    expect(body.code).toBe('dependency_failed');

    const spans = await eventually(`trace ${id} in Jaeger`, () => jaegerSpans(id!), 60_000);
    const server = spans.find((s) => attr(s, 'error.type') === 'dependency_failed');
    expect(server, JSON.stringify(spans).slice(0, 2000)).toBeDefined();
    expect(server!.status?.code).toBe(2); // ERROR: a 502 fails the server span
    expect(attr(server!, 'faultline.error.category')).toBe('dependency');
    expect(attr(server!, 'faultline.error.severity')).toBe('high');
    expect(attr(server!, 'faultline.error.code')).toBe('dependency_failed');
    expect(server!.events?.some((e) => e.name === 'exception')).toBe(true);
    const text = JSON.stringify(spans);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('jane@example.com');
  });

  it('shows the error in Prometheus: faultline_errors_total and the error span metrics of the service', async () => {
    await fetch(`http://127.0.0.1:${app.port}/fail?code=internal_error`).then((r) => r.arrayBuffer());
    const errors = await eventually(
      'faultline_errors_total for the service',
      async () => {
        const r = await promQuery(stack.urls.prometheus, `faultline_errors_total{service_name="${SERVICE}"}`);
        return r.some((s) => s.metric.error_type === 'internal_error') ? r : undefined;
      },
      90_000,
    );
    const series = errors.find((s) => s.metric.error_type === 'internal_error')!;
    expect(series.metric).toMatchObject({ error_category: 'system', error_severity: 'high' });
    expect(Number(series.value[1])).toBeGreaterThanOrEqual(1);
    const spanMetrics = await eventually(
      'error span metrics for the service',
      async () => {
        const r = await promQuery(
          stack.urls.prometheus,
          `traces_span_metrics_calls_total{service_name="${SERVICE}",status_code="STATUS_CODE_ERROR"}`,
        );
        return r.some((s) => s.metric.error_type === 'internal_error') ? r : undefined;
      },
      90_000,
    );
    expect(spanMetrics.map((s) => s.metric.error_type)).toContain('internal_error');
  });

  it('keeps every error trace and samples most OK traces out under a bounded mixed load', async () => {
    const failing: string[] = [];
    const ok: string[] = [];
    // 200 requests, 1 in 5 failing with a 5xx, 10 at a time: bounded in count, over in seconds.
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const fail = i % 5 === 0;
          const res = await fetch(
            `http://127.0.0.1:${app.port}/${fail ? 'fail?code=service_unavailable' : 'ok'}`,
          );
          await res.arrayBuffer();
          (fail ? failing : ok).push(res.headers.get('x-correlation-id')!);
        }),
      );
    }
    // Wait until every failing trace is in Jaeger (the tail sampler decides after its wait).
    const found = await eventually(
      'all error traces in Jaeger',
      async () => {
        const present = await Promise.all(failing.map(async (id) => (await jaegerSpans(id)) !== undefined));
        const n = present.filter(Boolean).length;
        return n === failing.length ? n : undefined;
      },
      90_000,
      2_000,
    );
    const okPresent = (await Promise.all(ok.map(async (id) => (await jaegerSpans(id)) !== undefined))).filter(
      Boolean,
    ).length;
    console.log(
      `[sampling] error traces in Jaeger: ${found}/${failing.length}; OK traces in Jaeger: ${okPresent}/${ok.length} (policy: 10% probabilistic)`,
    );
    expect(found).toBe(40);
    expect(okPresent).toBeLessThan(ok.length / 2);
  });
});
