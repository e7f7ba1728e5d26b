import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { GrpcModule } from './echo.js';

/**
 * The real SDK in memory plus the real @opentelemetry/instrumentation-grpc, as a service runs them:
 * client and server spans, traceparent propagated in metadata. grpc-js is loaded with `require`
 * after the instrumentation is enabled, which is when its require hook patches the module.
 */
export function startTelemetry(options: { instrument?: boolean } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const instrumentation = new GrpcInstrumentation({ enabled: options.instrument ?? true });
  instrumentation.setTracerProvider(provider);
  if (options.instrument ?? true) instrumentation.enable();
  const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as GrpcModule;

  /** Ended spans, once their (asynchronous) export is done. */
  async function finishedSpans(): Promise<ReadableSpan[]> {
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  }

  return {
    grpc,
    exporter,
    tracer: trace.getTracer('faultline-grpc-test'),
    finishedSpans,
    async shutdown() {
      instrumentation.disable();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

export type Telemetry = ReturnType<typeof startTelemetry>;
