import { FaultlineError } from '@faultline/errors';
import type * as grpcTypes from '@grpc/grpc-js';
import type { SayReply, SayRequest } from './echo.js';

/** One error per category, with the wire mapping docs/architecture.md ("Wire mapping") gives it. */
export const CATEGORY_CASES = {
  validation: {
    grpc: 3,
    make: () => new FaultlineError({ code: 'invalid_params', message: 'text is too long' }),
  },
  authentication: {
    grpc: 16,
    make: () => new FaultlineError({ code: 'unauthenticated', message: 'token expired' }),
  },
  authorization: {
    grpc: 7,
    make: () => new FaultlineError({ code: 'permission_denied', message: 'not yours' }),
  },
  not_found: { grpc: 5, make: () => new FaultlineError({ code: 'not_found', message: 'no such echo' }) },
  conflict: {
    grpc: 10,
    make: () => new FaultlineError({ code: 'conflict', message: 'version 3 != 4', severity: 'high' }),
  },
  rate_limit: {
    grpc: 8,
    make: () => new FaultlineError({ code: 'rate_limited', message: 'slow down', retryAfterMs: 1_500 }),
  },
  cancelled: { grpc: 1, make: () => new FaultlineError({ code: 'cancelled', message: 'job withdrawn' }) },
  execution: {
    grpc: 13,
    make: () => new FaultlineError({ code: 'execution_failed', message: 'secret=hunter2 at row 7' }),
  },
  configuration: {
    grpc: 13,
    make: () =>
      new FaultlineError({ code: 'configuration_error', message: 'DB_URL unset', severity: 'critical' }),
  },
  system: {
    grpc: 13,
    make: () => new FaultlineError({ code: 'internal_error', message: 'invariant broken' }),
  },
  dependency: {
    grpc: 14,
    make: () => new FaultlineError({ code: 'dependency_failed', message: 'ledger down', retryAfterMs: 250 }),
  },
  network: { grpc: 14, make: () => new FaultlineError({ code: 'connection_failed', message: 'refused' }) },
  resource: {
    grpc: 14,
    make: () => new FaultlineError({ code: 'service_unavailable', message: 'draining', retryAfterMs: 2_000 }),
  },
  timeout: {
    grpc: 4,
    make: () =>
      new FaultlineError({ code: 'operation_timeout', message: 'query took 30s', retryable: false }),
  },
} as const;

export type CategoryCase = keyof typeof CATEGORY_CASES;

/** More values as handlers really throw them (most are not FaultlineErrors). */
export const THROWN: Record<string, () => unknown> = {
  // grpc-message is percent-encoded: gRPC Python checks it against Status.message byte for byte.
  unicode: () => new FaultlineError({ code: 'invalid_params', message: 'naïve café ✓ 100% "quoted"' }),
  string: () => 'a bare string',
  null: () => null,
  error: () => new Error('password=swordfish in the message'),
  econnrefused: () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
};

/** The error a request's `fail` names: a category case, a thrown value, or the test's own. */
export function failureFor(fail: string, arbitrary: () => unknown): { value: unknown } | undefined {
  if (fail === '') return undefined;
  if (fail === 'arbitrary') return { value: arbitrary() };
  if (fail in CATEGORY_CASES) return { value: CATEGORY_CASES[fail as CategoryCase].make() };
  const thrown = THROWN[fail];
  if (thrown) return { value: thrown() };
  return { value: new FaultlineError({ code: 'invalid_params', message: `unknown failure ${fail}` }) };
}

type Unary = grpcTypes.handleUnaryCall<SayRequest, SayReply>;
type ServerStream = grpcTypes.handleServerStreamingCall<SayRequest, SayReply>;
type ClientStream = grpcTypes.handleClientStreamingCall<SayRequest, SayReply>;
type Bidi = grpcTypes.handleBidiStreamingCall<SayRequest, SayReply>;

/**
 * The Echo implementation the tests wrap. `fail` picks the failure and `how` it leaves the
 * handler: thrown (default), called back, rejected (async), emitted on the stream.
 */
export function echoImplementation(arbitrary: () => unknown = () => undefined) {
  const fail = (request: SayRequest) => failureFor(request.fail, arbitrary);
  const Say: Unary = (call, callback) => {
    const { fail: name, text } = call.request;
    if (name === 'slow') {
      const timer = setTimeout(() => callback(null, { text }), 20_000);
      call.on('cancelled', () => clearTimeout(timer));
      return;
    }
    if (text === 'callback') {
      callback(fail(call.request)?.value as grpcTypes.ServiceError);
      return;
    }
    if (text === 'reject') {
      return Promise.reject(fail(call.request)?.value) as unknown as undefined;
    }
    const failure = fail(call.request);
    if (failure) throw failure.value;
    callback(null, { text });
  };
  const SayMany: ServerStream = (call) => {
    for (let i = 0; i < call.request.before; i++) call.write({ text: `${call.request.text} ${i}` });
    const failure = fail(call.request);
    if (!failure) {
      call.end();
      return;
    }
    if (call.request.text === 'emit') call.emit('error', failure.value);
    else throw failure.value;
  };
  const Collect: ClientStream = (call, callback) => {
    const texts: string[] = [];
    call.on('data', (request: SayRequest) => {
      texts.push(request.text);
      const failure = fail(request);
      if (failure) callback(failure.value as grpcTypes.ServiceError);
    });
    call.on('end', () => callback(null, { text: texts.join(' ') }));
  };
  const Chat: Bidi = (call) => {
    call.on('data', (request: SayRequest) => {
      const failure = fail(request);
      if (failure) call.emit('error', failure.value);
      else call.write({ text: request.text });
    });
    call.on('end', () => call.end());
  };
  return { Say, SayMany, Collect, Chat };
}
