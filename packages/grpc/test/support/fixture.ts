import { type FaultlineError, isFaultlineError } from '@faultline/errors';
import { expect } from 'vitest';
import { type FaultlineServiceError, withFaultline } from '../../src/index.js';
import { loadEcho, type Started, startServer } from './echo.js';
import { echoImplementation } from './scenarios.js';
import { startTelemetry } from './telemetry.js';

/**
 * An instrumented process (real SDK, instrumentation-grpc) that serves the wrapped Echo service
 * on loopback once `start` is called; `answered` collects every error the server answered.
 */
export function echoFixture() {
  const telemetry = startTelemetry();
  const Echo = loadEcho(telemetry.grpc);
  const answered: FaultlineError[] = [];
  let server: Started | undefined;
  return {
    telemetry,
    grpc: telemetry.grpc,
    Echo,
    answered,
    async start(): Promise<Started> {
      server = await startServer(
        telemetry.grpc,
        Echo.service,
        withFaultline(Echo.service, echoImplementation(), { onError: (err) => answered.push(err) }),
      );
      return server;
    },
    async stop() {
      await server?.close();
      await telemetry.shutdown();
    },
  };
}

/** The FaultlineError the interceptor attached to a failed call's ServiceError. */
export function faultlineOf(err: FaultlineServiceError | null | undefined): FaultlineError {
  expect(isFaultlineError(err?.faultline), 'err.faultline is a FaultlineError').toBe(true);
  return err!.faultline!;
}

/** The fields the wire must carry unchanged. */
export function wireFields(err: FaultlineError) {
  return {
    code: err.code,
    category: err.category,
    severity: err.severity,
    retryable: err.retryable,
    retryAfterMs: err.retryAfterMs,
    correlationId: err.correlationId,
  };
}
