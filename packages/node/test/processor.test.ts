import { metrics, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultlineSpanProcessor } from '../src/processor.js';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const reader = new Reader();
const meterProvider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(meterProvider);
afterAll(async () => {
  await meterProvider.shutdown();
  metrics.disable();
});

async function errorsCounted(): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  let n = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const m of scope.metrics)
      if (m.descriptor.name === 'faultline.errors') for (const p of m.dataPoints) n += p.value as number;
  }
  return n;
}

describe('FaultlineSpanProcessor', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [new FaultlineSpanProcessor('events'), new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('test');

  it('leaves a span that a Faultline library described itself alone: no re-labelling, no count', async () => {
    const before = await errorsCounted();
    // What @faultline/resilience writes on a failed, retried attempt span (a handled error).
    const span = tracer.startSpan('worker attempt', { kind: SpanKind.INTERNAL });
    span.setAttributes({
      'error.type': 'service_unavailable',
      'faultline.error.code': 'service_unavailable',
      'faultline.error.category': 'resource',
      'faultline.error.retryable': true,
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'worker down' });
    span.end();
    const exported = exporter.getFinishedSpans().find((s) => s.name === 'worker attempt')!;
    expect(exported.attributes['faultline.error.code']).toBe('service_unavailable');
    expect(exported.attributes['faultline.error.category']).toBe('resource');
    expect(exported.attributes['faultline.error.retryable']).toBe(true);
    expect(await errorsCounted()).toBe(before);
  });

  it('maps and counts a failed span nobody described', async () => {
    const before = await errorsCounted();
    const span = tracer.startSpan('GET /x', { kind: SpanKind.SERVER });
    span.setAttribute('http.response.status_code', 503);
    span.end();
    const exported = exporter.getFinishedSpans().find((s) => s.name === 'GET /x')!;
    expect(exported.status.code).toBe(SpanStatusCode.ERROR);
    expect(exported.attributes['error.type']).toBe('503');
    expect(exported.attributes['faultline.error.code']).toBe('service_unavailable');
    // A request's count runs one macrotask after its root span ends (a crash handler may claim it).
    await new Promise((resolve) => setImmediate(resolve));
    expect(await errorsCounted()).toBe(before + 1);
  });
});
