import { createServer } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CATEGORIES,
  FaultlineError,
  GrpcCode,
  isFaultlineError,
  SEVERITIES,
  toFaultlineError,
  toGrpcStatus,
} from '../src/index.js';

function sysError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
}

describe('toFaultlineError: what it recognises', () => {
  it.each([
    ['ECONNREFUSED', 'connection_failed', true],
    ['ECONNRESET', 'connection_reset', true],
    ['EPIPE', 'connection_reset', true],
    ['ETIMEDOUT', 'network_timeout', true],
    ['ENOTFOUND', 'dns_failure', false],
    ['EAI_AGAIN', 'dns_failure', true],
    ['EMFILE', 'file_descriptors_exhausted', true],
    ['ENOMEM', 'memory_exhausted', false],
    ['ENOSPC', 'disk_full', false],
    ['ERR_MODULE_NOT_FOUND', 'import_error', false],
    ['UND_ERR_CONNECT_TIMEOUT', 'network_timeout', true],
    ['UND_ERR_SOCKET', 'connection_reset', true],
  ])('Node/undici %s -> %s (retryable %s)', (code, expected, retryable) => {
    const original = sysError(code);
    const err = toFaultlineError(original);
    expect(err.code).toBe(expected);
    expect(err.retryable).toBe(retryable);
    expect(err.exceptionType).toBe('Error');
    expect(err.stack).toBe(original.stack);
  });

  it('reuses the original stack as a non-enumerable own property and leaves Error.stackTraceLimit as it was', () => {
    const saved = Error.stackTraceLimit;
    try {
      for (const limit of [10, 0, 50, Number.POSITIVE_INFINITY]) {
        Error.stackTraceLimit = limit;
        const original = sysError('ECONNRESET', 'socket hang up');
        const err = toFaultlineError(original);
        expect(err.stack).toBe(original.stack);
        expect(Object.getOwnPropertyDescriptor(err, 'stack')?.enumerable).toBe(false);
        expect(Object.keys(err)).not.toContain('stack');
        expect(Error.stackTraceLimit).toBe(limit);
        // A structured error with no stack to reuse still captures its own where its code asks for one.
        const own = new FaultlineError({ code: 'internal_error', message: 'boom' });
        expect(own.stack?.startsWith('FaultlineError: boom')).toBe(true);
        expect(Error.stackTraceLimit).toBe(limit);
      }
      // An operational code is stackless: its stack is the header alone.
      Error.stackTraceLimit = 10;
      expect(new FaultlineError({ code: 'not_found', message: 'no user' }).stack).toBe(
        'FaultlineError: no user',
      );
    } finally {
      Error.stackTraceLimit = saved;
    }
  });

  it('reads each property of the thrown value once', () => {
    const reads = new Map<PropertyKey, number>();
    const target = Object.assign(new Error('counted'), { code: 'ECONNREFUSED' });
    const counted = new Proxy(target, {
      get(t, key, receiver) {
        reads.set(key, (reads.get(key) ?? 0) + 1);
        return Reflect.get(t, key, receiver);
      },
    });
    expect(toFaultlineError(counted).code).toBe('connection_failed');
    for (const [key, n] of reads) expect(n, String(key)).toBe(1);
  });

  it('recognises a real ECONNREFUSED from fetch (undici wraps it in `cause`)', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const thrown = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    const err = toFaultlineError(thrown);
    expect(err.code).toBe('connection_failed');
    expect(err.category).toBe('network');
    expect(err.exceptionType).toBe('TypeError');
  });

  it('recognises AbortError and the TimeoutError of AbortSignal.timeout', async () => {
    const controller = new AbortController();
    controller.abort();
    const aborted = await fetch('http://127.0.0.1:9/', { signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(toFaultlineError(aborted).code).toBe('cancelled');
    const signal = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    const timedOut = signal.reason as unknown;
    expect(toFaultlineError(timedOut)).toMatchObject({
      code: 'operation_timeout',
      category: 'timeout',
      retryable: true,
    });
  });

  it('maps HTTP statuses on errors and objects', () => {
    expect(toFaultlineError({ status: 404, message: 'nope' }).code).toBe('not_found');
    expect(toFaultlineError(Object.assign(new Error('x'), { statusCode: 429 })).code).toBe('rate_limited');
    expect(toFaultlineError({ response: { status: 503 } }).code).toBe('service_unavailable');
    expect(toFaultlineError({ status: 418 }).code).toBe('invalid_params');
    expect(toFaultlineError({ status: 599 }).code).toBe('internal_error');
    expect(toFaultlineError({ status: 200, message: 'ok?' }).code).toBe('unknown_error');
  });

  it('decodes grpc-js ServiceErrors, with and without rich details', () => {
    const plain = Object.assign(new Error('5 NOT_FOUND: no such user'), {
      code: GrpcCode.NOT_FOUND,
      details: 'no such user',
      metadata: { get: () => [] },
    });
    expect(toFaultlineError(plain)).toMatchObject({
      code: 'not_found',
      remote: true,
      message: 'no such user',
    });
    const rich = toGrpcStatus(
      new FaultlineError({ code: 'rate_limited', message: 'slow down', retryAfterMs: 1500 }),
    );
    const withDetails = Object.assign(new Error('8 RESOURCE_EXHAUSTED: slow down'), {
      code: rich.code,
      details: rich.message,
      metadata: {
        get: (k: string) => (k === 'grpc-status-details-bin' ? [Buffer.from(rich.statusDetailsBin)] : []),
      },
    });
    expect(toFaultlineError(withDetails)).toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 1500,
      remote: true,
    });
  });

  it('returns an already structured error as is, and recognises its own codes on plain objects', () => {
    const err = new FaultlineError({ code: 'conflict', message: 'version mismatch' });
    expect(toFaultlineError(err)).toBe(err);
    expect(toFaultlineError({ code: 'conflict', message: 'from JSON' }).code).toBe('conflict');
  });

  it('classifies memory RangeErrors and plain Errors', () => {
    expect(toFaultlineError(new RangeError('Invalid array length')).code).toBe('memory_exhausted');
    expect(toFaultlineError(new TypeError('x is not a function'))).toMatchObject({
      code: 'execution_failed',
      exceptionType: 'TypeError',
    });
  });

  it('finds the reason in AggregateError members', () => {
    const agg = new AggregateError(
      [sysError('ECONNREFUSED'), sysError('ECONNREFUSED')],
      'all attempts failed',
    );
    expect(toFaultlineError(agg).code).toBe('connection_failed');
  });
});

describe('toFaultlineError: totality over hostile input', () => {
  const hostileGetter = Object.defineProperty(new Error('x'), 'code', {
    get() {
      throw new Error('getter exploded');
    },
  });
  const throwingProxy = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
      has() {
        throw new Error('trap');
      },
      ownKeys() {
        throw new Error('trap');
      },
      getOwnPropertyDescriptor() {
        throw new Error('trap');
      },
    },
  );
  const cyclic: { message: string; cause?: unknown } = { message: 'loop' };
  cyclic.cause = cyclic;
  const cyclicError = new Error('a', { cause: new Error('b') });
  (cyclicError.cause as Error).cause = cyclicError;
  let deep: Error = new Error('bottom');
  for (let i = 0; i < 10_000; i++) deep = new Error(`level ${i}`, { cause: deep });
  const huge = new Error('x'.repeat(10 * 1024 * 1024));

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'boom'],
    ['a number', 42],
    ['NaN', Number.NaN],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n ** 30n],
    ['a boolean', false],
    ['a function', () => 1],
    ['a plain object', { a: 1 }],
    ['Object.create(null)', Object.create(null)],
    ['a throwing getter', hostileGetter],
    ['a throwing Proxy', throwingProxy],
    ['a cyclic object cause', cyclic],
    ['a cyclic Error cause', cyclicError],
    ['a 10,000-deep cause chain', deep],
    ['a 10 MB message', huge],
    ['an array', [1, 2, 3]],
  ])('%s yields a valid FaultlineError', (_name, value) => {
    const err = toFaultlineError(value);
    expect(isFaultlineError(err)).toBe(true);
    expect(ERROR_CATEGORIES).toContain(err.category);
    expect(SEVERITIES).toContain(err.severity);
    expect(typeof err.message).toBe('string');
    expect(err.message.length).toBeLessThanOrEqual(4_096 + 64);
    expect(() => JSON.stringify(err.toJSON())).not.toThrow();
  });

  it('never throws for any value (property)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withSparseArray: true,
        }),
        (value) => {
          const err = toFaultlineError(value);
          expect(isFaultlineError(err)).toBe(true);
          expect(ERROR_CATEGORIES).toContain(err.category);
          expect(JSON.stringify(err.toJSON()).length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws for Errors with arbitrary hostile fields (property)', () => {
    const field = fc.oneof(fc.anything(), fc.constant('throw'));
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'code',
            'name',
            'message',
            'status',
            'statusCode',
            'cause',
            'errors',
            'metadata',
            'stack',
          ),
          field,
        ),
        (fields) => {
          const e = new Error('base');
          for (const [k, v] of Object.entries(fields)) {
            if (v === 'throw') {
              Object.defineProperty(e, k, {
                get() {
                  throw new Error('hostile');
                },
              });
            } else {
              Object.defineProperty(e, k, { value: v, configurable: true });
            }
          }
          const err = toFaultlineError(e);
          expect(isFaultlineError(err)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
