import {
  ERROR_CATEGORIES,
  FaultlineError,
  GRPC_STATUS_DETAILS_KEY,
  isErrorCategory,
  isFaultlineError,
  listErrorCodes,
  SEVERITIES,
} from '@faultline/errors';
import { safeMessage } from '@faultline/errors/internal';
import type * as grpcTypes from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorFromStatus, faultlineInterceptor, withFaultline, wrapHandler } from '../src/index.js';
import { answerFor } from '../src/server-status.js';
import {
  type EchoClient,
  echoClient,
  loadEcho,
  type SayReply,
  type SayRequest,
  type Started,
  sayRaw,
  startServer,
} from './support/echo.js';
import { wireFields } from './support/fixture.js';
import { echoImplementation } from './support/scenarios.js';
import { startTelemetry } from './support/telemetry.js';

// No instrumentation here: the interceptor's span rule is tested with spans the test starts itself.
const telemetry = startTelemetry({ instrument: false });
const { grpc } = telemetry;
const Echo = loadEcho(grpc);
const METHOD = '/faultline.test.Echo/Say';

/** Any structured error a service may raise: built-in or own codes, every field set or not. */
const structuredError = fc
  .record({
    code: fc.oneof(
      fc.constantFrom(...listErrorCodes().map((c) => c.code)),
      fc.stringMatching(/^[a-z][a-z0-9]{0,10}(?:_[a-z0-9]{1,8}){0,3}$/),
    ),
    category: fc.constantFrom(...ERROR_CATEGORIES),
    severity: fc.constantFrom(...SEVERITIES),
    retryable: fc.boolean(),
    retryAfterMs: fc.option(fc.integer({ min: 0, max: 86_400_000 }), { nil: undefined }),
    correlationId: fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: undefined }),
    service: fc.option(fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/), { nil: undefined }),
    message: fc.string({ maxLength: 300, unit: 'grapheme' }),
  })
  .map((fields) => new FaultlineError(fields));

function expectSame(got: FaultlineError, sent: FaultlineError, origin: string) {
  expect(isFaultlineError(got)).toBe(true);
  expect({ ...wireFields(got), service: got.service, message: got.message, remote: got.remote }).toEqual({
    ...wireFields(sent),
    service: sent.service ?? origin,
    message: safeMessage(sent, false),
    remote: true,
  });
}

describe('codec: server answer -> status -> client error', () => {
  it('any structured error survives', () => {
    fc.assert(
      fc.property(structuredError, (sent) => {
        const { status } = answerFor(sent, { span: undefined, method: METHOD });
        expect(sent.correlationId).toMatch(/^[0-9a-f]{32}$/);
        expectSame(errorFromStatus(status, { method: METHOD }), sent, 'faultline.test.Echo');
      }),
      { numRuns: 500 },
    );
  });

  it('garbage details and garbage statuses never throw, and fall back to the status code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 1, max: 16 }), (bytes, code) => {
        const metadata = new grpc.Metadata();
        metadata.set(GRPC_STATUS_DETAILS_KEY, Buffer.from(bytes));
        const err = errorFromStatus({ code, details: 'x', metadata }, { method: METHOD });
        expect(isFaultlineError(err)).toBe(true);
        expect(isErrorCategory(err.category)).toBe(true);
        expect(err.remote).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (status, context) => {
        const err = errorFromStatus(status as never, context as never);
        expect(isFaultlineError(err)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('over the network (bounded number of real round trips)', () => {
  let next: unknown;
  let trailer: grpcTypes.Metadata | undefined;
  let wrapped: Started;
  let raw: Started;
  let wrappedClient: EchoClient;
  let rawClient: EchoClient;

  beforeAll(async () => {
    wrapped = await startServer(
      grpc,
      Echo.service,
      withFaultline(
        Echo.service,
        echoImplementation(() => next),
      ),
    );
    // A server without Faultline: answers the status and trailers the test puts there.
    raw = await startServer(grpc, Echo.service, {
      Say: (_call: unknown, callback: grpcTypes.sendUnaryData<unknown>) =>
        callback({ code: grpc.status.INTERNAL, details: 'raw', metadata: trailer }),
    });
    wrappedClient = echoClient(grpc, Echo, wrapped.address, [faultlineInterceptor()]);
    rawClient = echoClient(grpc, Echo, raw.address, [faultlineInterceptor({ service: 'raw-echo' })]);
  });

  afterAll(async () => {
    wrappedClient?.close();
    rawClient?.close();
    await wrapped?.close();
    await raw?.close();
    await telemetry.shutdown();
  });

  it('arbitrary structured errors thrown by a handler arrive intact', async () => {
    await fc.assert(
      fc.asyncProperty(structuredError, async (sent) => {
        next = sent;
        const { err } = await sayRaw(wrappedClient, { text: 'hi', fail: 'arbitrary' });
        expect(err?.faultline).toBeDefined();
        expectSame(err!.faultline!, sent, 'faultline.test.Echo');
      }),
      { numRuns: 40 },
    );
  });

  it('random bytes in grpc-status-details-bin never crash the client', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), async (bytes) => {
        trailer = new grpc.Metadata();
        trailer.set(GRPC_STATUS_DETAILS_KEY, Buffer.from(bytes));
        const { err } = await sayRaw(rawClient, { text: 'hi' });
        expect(err?.code).toBe(grpc.status.INTERNAL);
        expect(isFaultlineError(err?.faultline)).toBe(true);
        expect(err!.faultline!.remote).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('a status without details falls back to the code, with the origin the caller named', async () => {
    trailer = undefined;
    const { err } = await sayRaw(rawClient, { text: 'hi' });
    const got = err!.faultline!;
    expect(got.code).toBe('internal_error');
    expect(got.category).toBe('system');
    expect(got.message).toBe('raw');
    expect(got.service).toBe('raw-echo');
    expect(got.remote).toBe(true);
  });

  it('the server span status follows the conventions: NOT_FOUND does not fail it, INTERNAL does', async () => {
    // What @opentelemetry/instrumentation-grpc does around a handler, without its status rule.
    const Say = wrapHandler(Echo.service.Say!, echoImplementation().Say) as grpcTypes.handleUnaryCall<
      SayRequest,
      SayReply
    >;
    const spanned = await startServer(grpc, Echo.service, {
      Say: (
        call: grpcTypes.ServerUnaryCall<SayRequest, SayReply>,
        callback: grpcTypes.sendUnaryData<SayReply>,
      ) =>
        telemetry.tracer.startActiveSpan('server Say', { kind: SpanKind.SERVER }, (span) =>
          Say(call, (err, value) => {
            span.end();
            callback(err, value);
          }),
        ),
    });
    const spannedClient = echoClient(grpc, Echo, spanned.address, [faultlineInterceptor()]);
    try {
      const notFound = (await sayRaw(spannedClient, { text: 'hi', fail: 'not_found' })).err?.faultline;
      const internal = (await sayRaw(spannedClient, { text: 'hi', fail: 'system' })).err?.faultline;
      const spans = await telemetry.finishedSpans();
      const serverSpan = (traceId: string | undefined) =>
        spans.find((s) => s.name === 'server Say' && s.spanContext().traceId === traceId);
      expect(serverSpan(notFound?.correlationId)?.attributes['error.type']).toBe('not_found');
      expect(serverSpan(notFound?.correlationId)?.status.code).toBe(SpanStatusCode.UNSET);
      expect(serverSpan(internal?.correlationId)?.attributes['error.type']).toBe('internal_error');
      expect(serverSpan(internal?.correlationId)?.status.code).toBe(SpanStatusCode.ERROR);
    } finally {
      spannedClient.close();
      await spanned.close();
    }
  });

  it("withFaultline keeps a class-based implementation's `this`, under either method name", async () => {
    class EchoService {
      // A prototype method: not an own property, so a copy of the object would not have it.
      decorate(text: string) {
        return `echo:${text}`;
      }
      say(
        call: grpcTypes.ServerUnaryCall<SayRequest, SayReply>,
        callback: grpcTypes.sendUnaryData<SayReply>,
      ) {
        if (call.request.fail) throw new FaultlineError({ code: 'not_found', message: this.decorate('') });
        callback(null, { text: this.decorate(call.request.text) });
      }
    }
    const classy = await startServer(
      grpc,
      Echo.service,
      withFaultline(Echo.service, new EchoService() as unknown as grpcTypes.UntypedServiceImplementation),
    );
    const classyClient = echoClient(grpc, Echo, classy.address, [faultlineInterceptor()]);
    try {
      expect((await sayRaw(classyClient, { text: 'hi' })).reply).toEqual({ text: 'echo:hi' });
      const { err } = await sayRaw(classyClient, { text: 'hi', fail: 'x' });
      expect(err?.faultline).toMatchObject({ code: 'not_found', message: 'echo:' });
    } finally {
      classyClient.close();
      await classy.close();
    }
  });

  it('records on the active CLIENT span only: an enclosing span may survive the failure', async () => {
    const inside = async (kind: SpanKind) =>
      telemetry.tracer.startActiveSpan(`outer ${SpanKind[kind]}`, { kind }, async (span) => {
        await sayRaw(wrappedClient, { text: 'hi', fail: 'not_found' });
        span.end();
        return span.spanContext().spanId;
      });
    const clientId = await inside(SpanKind.CLIENT);
    const internalId = await inside(SpanKind.INTERNAL);
    const spans = await telemetry.finishedSpans();
    const client = spans.find((s) => s.spanContext().spanId === clientId);
    const internal = spans.find((s) => s.spanContext().spanId === internalId);
    expect(client?.attributes['error.type']).toBe('not_found');
    expect(client?.events.map((e) => e.name)).toContain('exception');
    expect(internal).toBeDefined();
    expect(internal?.attributes['error.type']).toBeUndefined();
  });
});
