import { describe, expect, it } from 'vitest';
import { otlpEnv, REGISTER_CJS, runNode } from './support/child.js';
import type { ReceivedSpan } from './support/otlp-receiver.js';
import { KIND, STATUS, useReceiver } from './support/suite.js';

const receiver = useReceiver();

describe('gRPC (@grpc/grpc-js server and client under --require @faultline/node/register)', () => {
  it('server spans follow the semantic-convention status rule; client spans fail on any error code', async () => {
    const result = await runNode(['--require', REGISTER_CJS, 'grpc-app.cjs'], {
      ...otlpEnv(receiver().url),
      OTEL_SERVICE_NAME: 'svc-grpc',
      OTEL_METRICS_EXPORTER: 'none',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('CALL NOT_FOUND -> NOT_FOUND');
    expect(result.stdout).toContain('CALL INTERNAL -> INTERNAL');
    expect(result.stdout).toContain('DONE');

    const span = (kind: number, code: string) =>
      receiver().waitForSpan(
        (s: ReceivedSpan) =>
          s.resource['service.name'] === 'svc-grpc' &&
          s.kind === kind &&
          s.attributes['rpc.system'] === 'grpc' &&
          s.attributes['rpc.response.status_code'] === code,
      );

    // NOT_FOUND is the caller's problem: instrumentation-grpc marks the server span ERROR, the
    // processor brings it back to UNSET, and the span still says what failed.
    const serverNotFound = await span(KIND.SERVER, 'NOT_FOUND');
    expect(serverNotFound.status.code).toBe(STATUS.UNSET);
    expect(serverNotFound.attributes['rpc.grpc.status_code']).toBe(5);
    expect(serverNotFound.attributes['error.type']).toBe('NOT_FOUND');
    expect(serverNotFound.attributes['faultline.error.code']).toBe('not_found');

    const serverInternal = await span(KIND.SERVER, 'INTERNAL');
    expect(serverInternal.status.code).toBe(STATUS.ERROR);
    expect(serverInternal.attributes['error.type']).toBe('INTERNAL');
    expect(serverInternal.attributes['faultline.error.code']).toBeTruthy();

    const clientNotFound = await span(KIND.CLIENT, 'NOT_FOUND');
    expect(clientNotFound.status.code).toBe(STATUS.ERROR);
    expect(clientNotFound.attributes['error.type']).toBe('NOT_FOUND');
    expect(clientNotFound.attributes['faultline.error.category']).toBe('not_found');
    expect(clientNotFound.traceId).toBe(serverNotFound.traceId);

    const serverOk = await span(KIND.SERVER, 'OK');
    expect(serverOk.status.code).toBe(STATUS.UNSET);
    expect(serverOk.attributes['error.type']).toBeUndefined();
  });
});
