import fc from 'fast-check';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  configureFaultline,
  ERROR_CATEGORIES,
  FaultlineError,
  fromGrpcStatus,
  fromProblemDetails,
  GrpcCode,
  isFaultlineError,
  listErrorCodes,
  PROBLEM_TYPE_PREFIX,
  resetFaultlineConfig,
  SEVERITIES,
  toGrpcStatus,
  toProblemDetails,
} from '../src/index.js';
import { googleRpcDescriptor } from '../src/proto/google-rpc.generated.js';

afterEach(() => resetFaultlineConfig());

const structuredError = fc
  .record({
    code: fc.constantFrom(...listErrorCodes().map((c) => c.code)),
    message: fc.string({ maxLength: 200 }),
    severity: fc.constantFrom(...SEVERITIES),
    retryable: fc.boolean(),
    retryAfterMs: fc.option(fc.integer({ min: 0, max: 86_400_000 }), { nil: undefined }),
    correlationId: fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: undefined }),
    service: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { nil: undefined }),
  })
  .map((o) => new FaultlineError(o));

const preserved = (e: FaultlineError) => ({
  code: e.code,
  category: e.category,
  severity: e.severity,
  retryable: e.retryable,
  retryAfterMs: e.retryAfterMs,
  correlationId: e.correlationId,
});

describe('gRPC status codec', () => {
  it('round-trips code, category, severity, retryable, retryAfterMs and correlationId (property)', () => {
    fc.assert(
      fc.property(structuredError, fc.boolean(), (err, expose) => {
        const back = fromGrpcStatus(toGrpcStatus(err, { expose }));
        expect(preserved(back)).toEqual(preserved(err));
        expect(back.remote).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('writes the standard google.rpc.Status: ErrorInfo with an AIP-193 reason, RetryInfo, no DebugInfo in production', () => {
    configureFaultline({ service: 'checkout' });
    const err = new FaultlineError({
      code: 'rate_limited',
      message: 'slow down',
      retryAfterMs: 2500,
      correlationId: 'a'.repeat(32),
    });
    const payload = toGrpcStatus(err);
    expect(payload.code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
    // Decode with a separately loaded copy of the official definitions, as a foreign peer would.
    const root = protobuf.Root.fromJSON(googleRpcDescriptor as unknown as protobuf.INamespace);
    const Status = root.lookupType('google.rpc.Status');
    const status = Status.toObject(Status.decode(payload.statusDetailsBin)) as {
      code: number;
      message: string;
      details: Array<{ type_url: string; value: Uint8Array }>;
    };
    expect(status.code).toBe(8);
    expect(status.details.map((d) => d.type_url)).toEqual([
      'type.googleapis.com/google.rpc.ErrorInfo',
      'type.googleapis.com/google.rpc.RetryInfo',
    ]);
    const info = root
      .lookupType('google.rpc.ErrorInfo')
      .toObject(root.lookupType('google.rpc.ErrorInfo').decode(status.details[0]!.value));
    expect(info).toMatchObject({ reason: 'RATE_LIMITED', domain: 'checkout' });
    expect(info.metadata).toMatchObject({
      category: 'rate_limit',
      retryable: 'true',
      correlationId: 'a'.repeat(32),
    });
    const retry = root
      .lookupType('google.rpc.RetryInfo')
      .toObject(root.lookupType('google.rpc.RetryInfo').decode(status.details[1]!.value), { longs: Number });
    expect(retry).toEqual({ retryDelay: { seconds: 2, nanos: 500_000_000 } });

    const exposed = toGrpcStatus(
      new FaultlineError({ code: 'internal_error', message: 'db exploded at row 7' }),
      { expose: true },
    );
    const exposedStatus = Status.toObject(Status.decode(exposed.statusDetailsBin)) as typeof status;
    expect(exposedStatus.details.map((d) => d.type_url)).toContain(
      'type.googleapis.com/google.rpc.DebugInfo',
    );
    const hidden = toGrpcStatus(
      new FaultlineError({ code: 'internal_error', message: 'db exploded at row 7' }),
      { expose: false },
    );
    expect(hidden.message).not.toContain('row 7');
  });

  it("never stamps a decoded remote error with this process's service name", () => {
    configureFaultline({ service: 'local-svc' });
    expect(fromGrpcStatus({ code: 14, details: 'down' }).service).toBeUndefined();
    expect(fromProblemDetails({ code: 'not_found' }, 404).service).toBeUndefined();
    expect(fromProblemDetails({ code: 'not_found', service: 'orders' }, 404).service).toBe('orders');
    expect(new FaultlineError({ code: 'not_found' }).service).toBe('local-svc');
  });

  it('maps a foreign reason to a registered code case-insensitively, else keeps the status category', () => {
    const root = protobuf.Root.fromJSON(googleRpcDescriptor as unknown as protobuf.INamespace);
    const Status = root.lookupType('google.rpc.Status');
    const ErrorInfo = root.lookupType('google.rpc.ErrorInfo');
    const encode = (code: number, reason: string) =>
      Status.encode(
        Status.create({
          code,
          message: 'from python',
          details: [
            {
              type_url: 'type.googleapis.com/google.rpc.ErrorInfo',
              value: ErrorInfo.encode(ErrorInfo.create({ reason, domain: 'example.com' })).finish(),
            },
          ],
        }),
      ).finish();
    expect(fromGrpcStatus({ code: 6, statusDetailsBin: encode(6, 'Already_Exists') })).toMatchObject({
      code: 'already_exists',
      category: 'conflict',
    });
    const foreign = fromGrpcStatus({ code: 8, statusDetailsBin: encode(8, 'QUOTA_EXCEEDED') });
    expect(foreign).toMatchObject({
      code: 'quota_exceeded',
      category: 'rate_limit',
      remote: true,
      message: 'from python',
    });
  });

  it('never throws on arbitrary bytes and metadata, and falls back to the status code (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 40 }), fc.uint8Array({ maxLength: 512 }), (code, bytes) => {
        const err = fromGrpcStatus({ code, details: 'x', metadata: { get: () => [Buffer.from(bytes)] } });
        expect(isFaultlineError(err)).toBe(true);
        expect(ERROR_CATEGORIES).toContain(err.category);
        const raw = fromGrpcStatus(bytes);
        expect(isFaultlineError(raw)).toBe(true);
      }),
      { numRuns: 500 },
    );
    const truncated = toGrpcStatus(new FaultlineError({ code: 'not_found' })).statusDetailsBin.slice(0, 7);
    expect(fromGrpcStatus({ code: 5, statusDetailsBin: truncated }).code).toBe('not_found');
    expect(fromGrpcStatus({ code: 14, statusDetailsBin: new Uint8Array(1_000_000) }).code).toBe(
      'service_unavailable',
    );
    expect(
      fromGrpcStatus({
        code: 'NaN',
        metadata: {
          get() {
            throw new Error('hostile');
          },
        },
      } as never).code,
    ).toBe('unknown_error');
  });
});

describe('problem+json codec', () => {
  it('round-trips through JSON text (property)', () => {
    fc.assert(
      fc.property(structuredError, fc.boolean(), (err, expose) => {
        const problem = toProblemDetails(err, { expose });
        const back = fromProblemDetails(JSON.stringify(problem), problem.status);
        expect(preserved(back)).toEqual(preserved(err));
        expect(problem.type).toBe(PROBLEM_TYPE_PREFIX + err.code);
      }),
      { numRuns: 300 },
    );
  });

  it('exposes no stack or internals in production', () => {
    const err = new FaultlineError({
      code: 'internal_error',
      message: 'pg: relation users missing',
      details: { table: 'users' },
    });
    const prod = toProblemDetails(err, { expose: false });
    expect(prod).not.toHaveProperty('stack');
    expect(prod).not.toHaveProperty('details');
    expect(JSON.stringify(prod)).not.toContain('relation users');
    const dev = toProblemDetails(err, { expose: true });
    expect(dev.stack).toContain('FaultlineError: pg: relation users missing');
    expect(dev.details).toEqual({ table: 'users' });
    // Operational messages are meant for the caller and are kept.
    expect(
      toProblemDetails(new FaultlineError({ code: 'invalid_params', message: 'email is required' })).detail,
    ).toBe('email is required');
  });

  it('never throws on arbitrary bodies, and uses the status when the body is garbage (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.string(), fc.anything()),
        fc.integer({ min: 100, max: 700 }),
        (body, status) => {
          const err = fromProblemDetails(body, status);
          expect(isFaultlineError(err)).toBe(true);
          expect(ERROR_CATEGORIES).toContain(err.category);
        },
      ),
      { numRuns: 500 },
    );
    expect(fromProblemDetails('<html>bad gateway</html>', 502).code).toBe('dependency_failed');
    expect(fromProblemDetails('x'.repeat(10_000_000), 429).code).toBe('rate_limited');
    expect(
      fromProblemDetails({ code: 'Bad Code!', category: 'nope', severity: 'extreme', retryAfterMs: -1 }, 404),
    ).toMatchObject({
      code: 'not_found',
      category: 'not_found',
      severity: 'low',
      retryAfterMs: undefined,
    });
  });
});
