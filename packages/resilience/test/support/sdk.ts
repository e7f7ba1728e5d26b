import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** A reader we collect from on demand (no export interval, so fake timers cannot trigger it). */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Point {
  value: number;
  attributes: Record<string, unknown>;
}

export interface Telemetry {
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  span(name: string): ReadableSpan;
  /** Data points of one metric (sum or gauge), as collected now. */
  points(metric: string): Promise<Point[]>;
  /** The value of the point whose attributes include `match`, 0 when there is none. */
  value(metric: string, match: Record<string, unknown>): Promise<number>;
  shutdown(): Promise<void>;
}

/** Installs the real OpenTelemetry SDK globally: spans go to memory, metrics are read with points(). */
export function installSdk(): Telemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  async function points(metric: string): Promise<Point[]> {
    const { resourceMetrics } = await reader.collect();
    const found: Point[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const m of scope.metrics) {
        if (m.descriptor.name !== metric) continue;
        if (m.dataPointType !== DataPointType.SUM && m.dataPointType !== DataPointType.GAUGE) continue;
        for (const p of m.dataPoints)
          found.push({ value: p.value as number, attributes: { ...p.attributes } });
      }
    }
    return found;
  }

  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const matches = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (matches.length !== 1) throw new Error(`expected one span named '${name}', found ${matches.length}`);
      return matches[0] as ReadableSpan;
    },
    points,
    async value(metric, match) {
      const all = await points(metric);
      const hit = all.find((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
      return hit?.value ?? 0;
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
