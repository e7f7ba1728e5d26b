import {
  configureFaultline,
  fromGrpcStatus,
  GRPC_STATUS_DETAILS_KEY,
  resetFaultlineConfig,
} from '@faultline/errors';
import type * as grpcTypes from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anySecretCase, leaks, type SecretCase, thrownWith } from '../../../test/support/secrets.js';
import { withFaultline } from '../src/index.js';
import { echoClient, loadEcho, type Started, sayRaw, startServer } from './support/echo.js';
import { startTelemetry } from './support/telemetry.js';

// A real grpc-js server wrapped by @faultline/grpc answers errors whose message, cause, stack and
// details hold a secret; a plain grpc-js client (no Faultline interceptor) reads the raw trailers.
// Neither grpc-message nor the bytes of grpc-status-details-bin (nor what they decode to) may
// contain it, in production and in development (DebugInfo).
const telemetry = startTelemetry({ instrument: false });
const Echo = loadEcho(telemetry.grpc);

let next: unknown;
let server: Started;
let client: ReturnType<typeof echoClient>;

beforeAll(async () => {
  const implementation: grpcTypes.UntypedServiceImplementation = {
    Say: () => {
      throw next;
    },
  };
  server = await startServer(telemetry.grpc, Echo.service, withFaultline(Echo.service, implementation));
  client = echoClient(telemetry.grpc, Echo, server.address);
});

afterAll(async () => {
  client.close();
  await server.close();
  await telemetry.shutdown();
  resetFaultlineConfig();
});

/** What the trailer decodes to: the status message and DebugInfo's stack entries and detail. */
function decodedText(bin: Uint8Array): string {
  const err = fromGrpcStatus(bin);
  const debug = err.details.debug as { stackEntries: string[]; detail: string } | undefined;
  return `${err.message}\n${debug?.stackEntries.join('\n') ?? ''}\n${debug?.detail ?? ''}`;
}

async function failedCall(): Promise<{ message: string; bin: Uint8Array; debug: boolean }> {
  const { err } = await sayRaw(client, { text: 'hi' });
  expect(err, 'the call failed').not.toBeNull();
  const bin = err!.metadata.get(GRPC_STATUS_DETAILS_KEY)[0];
  expect(bin, 'the server sent grpc-status-details-bin').toBeInstanceOf(Buffer);
  const text = decodedText(bin as Buffer);
  return { message: err!.details, bin: bin as Buffer, debug: text.includes('    at ') };
}

describe('no secret in a gRPC answer', () => {
  for (const mode of ['production', 'development'] as const) {
    it(`grpc-message and grpc-status-details-bin, ${mode} mode (property, real server)`, async () => {
      configureFaultline({ environment: mode });
      await fc.assert(
        fc.asyncProperty(anySecretCase, fc.nat(), async (c: SecretCase, shape) => {
          next = thrownWith(c, shape);
          const { message, bin } = await failedCall();
          expect(leaks(message, c.secret), `${c.kind} in grpc-message: ${message}`).toBe(false);
          expect(leaks(bin, c.secret), `${c.kind} in the trailer bytes`).toBe(false);
          expect(leaks(decodedText(bin), c.secret), `${c.kind} in DebugInfo: ${decodedText(bin)}`).toBe(
            false,
          );
        }),
        { numRuns: 60 },
      );
    });
  }

  it('development answers still carry DebugInfo (the stack, redacted)', async () => {
    configureFaultline({ environment: 'development' });
    next = new Error('boom secret=Abcdef123456789');
    const { bin, debug } = await failedCall();
    expect(debug).toBe(true);
    expect(decodedText(bin)).toContain('Error: boom secret=[REDACTED]');
  });
});
