import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { InstrumentationName } from './config.js';
import { FaultlinePinoInstrumentation } from './pino.js';
import { report } from './report.js';

const FACTORIES: Record<InstrumentationName, () => Instrumentation[]> = {
  http: () => [new HttpInstrumentation()],
  undici: () => [new UndiciInstrumentation()],
  grpc: () => [new GrpcInstrumentation()],
  // instrumentation-pino injects trace_id/span_id/trace_flags and sends lines to the Logs SDK; ours
  // adds the structured `err` serializer.
  pino: () => [new PinoInstrumentation(), new FaultlinePinoInstrumentation()],
  express: () => [new ExpressInstrumentation()],
  // @fastify/otel is the maintained Fastify instrumentation (instrumentation-fastify is deprecated);
  // registerOnInitialization adds its plugin to every Fastify instance, so apps need no code.
  // It is built on an older @opentelemetry/instrumentation, hence the cast.
  fastify: () => [
    new FastifyOtelInstrumentation({ registerOnInitialization: true }) as unknown as Instrumentation,
  ],
};

/** The upstream instrumentations for the enabled names; one that fails to build is reported and skipped. */
export function createInstrumentations(names: readonly InstrumentationName[]): Instrumentation[] {
  const out: Instrumentation[] = [];
  for (const name of names) {
    try {
      out.push(...FACTORIES[name]());
    } catch (error) {
      report({
        code: 'FAULTLINE_ERR_INSTRUMENTATION_FAILED',
        message: `the ${name} instrumentation could not be created (${String(error)}); the app runs without it.`,
      });
    }
  }
  return out;
}
