import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTR,
  causeChain,
  configureFaultline,
  correlationId,
  type ExceptionLogRecord,
  FaultlineError,
  recordError,
  resetFaultlineConfig,
} from '../src/index.js';
import {
  composedStack,
  errorAttributes,
  exceptionAttributes,
  spanFailed,
  wasRecorded,
} from '../src/internal.js';
import { setupOtel } from './support/otel.js';

let otel: ReturnType<typeof setupOtel>;
beforeAll(() => {
  otel = setupOtel();
});
afterAll(async () => {
  await otel.shutdown();
});
afterEach(() => {
  otel.exporter.reset();
  resetFaultlineConfig();
});

function finished(name: string) {
  const span = otel.exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`span ${name} was not exported`);
  return span;
}

describe('recordError', () => {
  it('writes status, error.type, faultline.error.* and an exception event with the cause chain', () => {
    const root = new Error('socket hang up');
    const mid = Object.assign(new Error('upstream call failed', { cause: root }), { code: 'ECONNRESET' });
    const span = otel.tracer.startSpan('GET /orders', { kind: SpanKind.CLIENT });
    const err = recordError(span, mid);
    span.end();
    const s = finished('GET /orders');
    expect(err.code).toBe('connection_reset');
    expect(s.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'connection_reset: upstream call failed',
    });
    expect(s.attributes).toMatchObject({
      'error.type': 'connection_reset',
      'faultline.error.code': 'connection_reset',
      'faultline.error.category': 'network',
      'faultline.error.severity': 'high',
      'faultline.error.retryable': true,
      'faultline.error.cause_chain_length': 1,
    });
    expect(s.attributes['faultline.error.fingerprint']).toMatch(/^[0-9a-f]{16}$/);
    const events = s.events.filter((e) => e.name === 'exception');
    expect(events).toHaveLength(1);
    const attrs = events[0]!.attributes!;
    expect(attrs['exception.type']).toBe('Error');
    expect(attrs['exception.message']).toBe('upstream call failed');
    expect(attrs['exception.stacktrace']).toMatch(/^Error: upstream call failed\n\s+at /);
    expect(attrs['exception.stacktrace']).toContain('Caused by: Error: socket hang up');
    expect(err.correlationId).toBe(s.spanContext().traceId);
  });

  it('records the same error once per span, and counts it once', async () => {
    const before = (await otel.counterPoints('faultline.errors')).reduce((n, p) => n + p.value, 0);
    const span = otel.tracer.startSpan('dup', { kind: SpanKind.INTERNAL });
    const thrown = new Error('once');
    const first = recordError(span, thrown);
    recordError(span, thrown);
    recordError(span, first);
    expect(wasRecorded(span)).toBe(true);
    span.end();
    expect(finished('dup').events.filter((e) => e.name === 'exception')).toHaveLength(1);
    const after = (await otel.counterPoints('faultline.errors')).reduce((n, p) => n + p.value, 0);
    expect(after - before).toBe(1);
  });

  it('counts one failure once across the spans it is recorded on, and a wrapper of it not again', async () => {
    const total = async () => (await otel.counterPoints('faultline.errors')).reduce((n, p) => n + p.value, 0);
    const before = await total();
    const err = new FaultlineError({ code: 'dependency_failed', message: 'worker down' });
    for (const [name, kind] of [
      ['client', SpanKind.CLIENT],
      ['policy', SpanKind.INTERNAL],
      ['server', SpanKind.SERVER],
    ] as const) {
      const span = otel.tracer.startSpan(`count-${name}`, { kind });
      recordError(span, err);
      span.end();
      expect(finished(`count-${name}`).attributes['error.type']).toBe('dependency_failed');
    }
    const wrapper = new FaultlineError({ code: 'dependency_failed', message: 'gave up', cause: err });
    const span = otel.tracer.startSpan('count-wrapper', { kind: SpanKind.INTERNAL });
    recordError(span, wrapper);
    span.end();
    expect(await total()).toBe(before + 1);
    // A different failure counts.
    recordError(undefined, new FaultlineError({ code: 'dependency_failed', message: 'again' }));
    expect(await total()).toBe(before + 2);
  });

  it('increments faultline.errors with the labels of docs/architecture.md (Metrics and labels)', async () => {
    const span = otel.tracer.startSpan('POST /pay', { kind: SpanKind.SERVER });
    recordError(span, new FaultlineError({ code: 'memory_exhausted', message: 'heap' }), {
      httpStatusCode: 503,
    });
    span.end();
    const points = await otel.counterPoints('faultline.errors');
    const p = points.find((x) => x.attributes.operation === 'POST /pay');
    expect(p?.value).toBe(1);
    expect(p?.attributes).toEqual({
      'error.type': 'memory_exhausted',
      'error.category': 'resource',
      'error.severity': 'critical',
      operation: 'POST /pay',
    });
  });

  it('follows the semantic-convention status rules by span kind', () => {
    const cases: Array<[string, SpanKind, FaultlineError, Record<string, number>, boolean]> = [
      [
        'server-4xx',
        SpanKind.SERVER,
        new FaultlineError({ code: 'invalid_params' }),
        { httpStatusCode: 400 },
        false,
      ],
      [
        'server-5xx',
        SpanKind.SERVER,
        new FaultlineError({ code: 'internal_error' }),
        { httpStatusCode: 500 },
        true,
      ],
      ['server-implied-4xx', SpanKind.SERVER, new FaultlineError({ code: 'not_found' }), {}, false],
      ['server-implied-5xx', SpanKind.SERVER, new FaultlineError({ code: 'dependency_failed' }), {}, true],
      [
        'grpc-server-not-found',
        SpanKind.SERVER,
        new FaultlineError({ code: 'not_found' }),
        { grpcStatusCode: 5 },
        false,
      ],
      [
        'grpc-server-unavailable',
        SpanKind.SERVER,
        new FaultlineError({ code: 'service_unavailable' }),
        { grpcStatusCode: 14 },
        true,
      ],
      [
        'client-4xx',
        SpanKind.CLIENT,
        new FaultlineError({ code: 'invalid_params' }),
        { httpStatusCode: 400 },
        true,
      ],
      ['internal', SpanKind.INTERNAL, new FaultlineError({ code: 'invalid_params' }), {}, true],
    ];
    for (const [name, kind, err, status, fails] of cases) {
      const span = otel.tracer.startSpan(name, { kind });
      recordError(span, err, status);
      span.end();
      const s = finished(name);
      expect(s.status.code, name).toBe(fails ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
      expect(s.attributes['error.type'], name).toBe(err.code);
    }
    const grpc = finished('grpc-server-not-found');
    expect(grpc.attributes['rpc.response.status_code']).toBe('NOT_FOUND');
  });

  it('spanFailed matches the gRPC server failure set exactly', () => {
    const failing = new Set([2, 4, 12, 13, 14, 15]);
    for (let code = 0; code <= 16; code++) {
      expect(spanFailed(SpanKind.SERVER, { grpcStatusCode: code }), String(code)).toBe(failing.has(code));
      expect(spanFailed(SpanKind.CLIENT, { grpcStatusCode: code })).toBe(true);
    }
  });

  it('records on the active span when none is given, and bounds attribute lengths', () => {
    configureFaultline({ maxAttributeLength: 256 });
    otel.tracer.startActiveSpan('active', (span) => {
      expect(correlationId()).toBe(span.spanContext().traceId);
      recordError(undefined, new Error('y'.repeat(10_000)));
      span.end();
    });
    const event = finished('active').events.find((e) => e.name === 'exception')!;
    expect((event.attributes!['exception.message'] as string).length).toBeLessThanOrEqual(256);
    expect((event.attributes!['exception.stacktrace'] as string).length).toBeLessThanOrEqual(256 + 40);
  });

  it('never lets a secret reach the span', () => {
    const span = otel.tracer.startSpan('secret', { kind: SpanKind.CLIENT });
    recordError(
      span,
      new Error(
        'login failed for bob@example.com with password=hunter2 Authorization: Bearer abcdefghijklmnop',
      ),
    );
    span.end();
    const s = finished('secret');
    const text = JSON.stringify({ attributes: s.attributes, events: s.events, status: s.status });
    for (const secret of ['bob@example.com', 'hunter2', 'abcdefghijklmnop'])
      expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
  });

  it('sends exceptions to the log sink instead of span events when the opt-in says logs', () => {
    const seen: ExceptionLogRecord[] = [];
    configureFaultline({ exceptionSignal: 'logs', onExceptionLog: (r) => seen.push(r) });
    const span = otel.tracer.startSpan('logs-only', { kind: SpanKind.INTERNAL });
    recordError(span, new Error('to logs'));
    span.end();
    expect(finished('logs-only').events).toHaveLength(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.attributes['exception.message']).toBe('to logs');
    expect(seen[0]!.span).toBe(span);

    configureFaultline({ exceptionSignal: 'logs/dup' });
    const dup = otel.tracer.startSpan('logs-dup', { kind: SpanKind.INTERNAL });
    recordError(dup, new Error('both'));
    dup.end();
    expect(finished('logs-dup').events).toHaveLength(1);
    expect(seen).toHaveLength(2);
  });

  it('works with no span at all and with a non-recording span', () => {
    const err = recordError(undefined, 'plain string');
    expect(err.code).toBe('unknown_error');
    const nonRecording = trace.wrapSpanContext({
      traceId: '1'.repeat(32),
      spanId: '2'.repeat(16),
      traceFlags: 0,
    });
    expect(() =>
      context.with(trace.setSpan(context.active(), nonRecording), () =>
        recordError(undefined, new Error('x')),
      ),
    ).not.toThrow();
  });
});

describe('composedStack and causeChain', () => {
  it('writes the attribute names of ATTR, and only those', () => {
    const err = new FaultlineError({ code: 'internal_error', message: 'x' });
    expect(Object.keys(errorAttributes(err)).sort()).toEqual(
      [
        ATTR.ERROR_TYPE,
        ATTR.CODE,
        ATTR.CATEGORY,
        ATTR.SEVERITY,
        ATTR.RETRYABLE,
        ATTR.FINGERPRINT,
        ATTR.CAUSE_CHAIN_LENGTH,
      ].sort(),
    );
    expect(Object.keys(exceptionAttributes(err, 1024)).sort()).toEqual(
      [ATTR.EXCEPTION_TYPE, ATTR.EXCEPTION_MESSAGE, ATTR.EXCEPTION_STACKTRACE].sort(),
    );
  });

  it('has one link for an error with no cause, and follows causes and AggregateError members', () => {
    const lone = new Error('alone');
    expect(causeChain(lone)).toEqual([{ value: lone, via: 'root', depth: 0 }]);
    expect(causeChain(lone, 0)).toEqual([]);
    const inner = new Error('inner');
    const agg = new AggregateError([new Error('first'), new Error('second')], 'all failed', { cause: inner });
    expect(causeChain(agg).map((l) => [l.via, l.depth])).toEqual([
      ['root', 0],
      ['aggregate', 1],
      ['aggregate', 1],
      ['cause', 1],
    ]);
  });

  it('writes every cause and member as a section, with redacted headers and structured codes', () => {
    const structured = new FaultlineError({ code: 'dependency_failed', message: 'token=abc123 rejected' });
    const agg = new AggregateError([new Error('replica 1 down')], 'all replicas failed', {
      cause: structured,
    });
    const err = toFaultlineErrorOf(new Error('password=hunter2 login failed', { cause: agg }));
    const text = composedStack(err, 16_384);
    expect(text.startsWith('Error: password=[REDACTED] login failed\n    at ')).toBe(true);
    expect(text).toContain('\nCaused by: AggregateError: all replicas failed\n');
    expect(text).toContain('\nAggregated: Error: replica 1 down\n');
    expect(text).toContain('\nCaused by: [dependency_failed] FaultlineError: token=[REDACTED] rejected');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abc123');
  });

  it('returns the stack itself when there is no cause and nothing to redact', () => {
    const original = new Error('plain failure');
    const err = toFaultlineErrorOf(original);
    expect(composedStack(err, 16_384)).toBe(original.stack);
  });

  it('honours each bound, whatever bound was asked for first', () => {
    const err = toFaultlineErrorOf(new Error('bounded', { cause: new Error('below') }));
    const small = composedStack(err, 80);
    expect(small.endsWith('…[truncated]')).toBe(true);
    expect(small.length).toBe(80 + '…[truncated]'.length);
    const full = composedStack(err, 16_384);
    expect(full).toContain('Caused by: Error: below');
    expect(full.endsWith('…[truncated]')).toBe(false);
    expect(composedStack(err, 80)).toBe(small);
    expect(composedStack(err, 16_384)).toBe(full);
  });
});

function toFaultlineErrorOf(value: unknown): FaultlineError {
  return recordError(undefined, value);
}
