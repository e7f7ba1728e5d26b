import {
  configureFaultline,
  type FaultlineError,
  grpcCodeFor,
  isFaultlineError,
  resetFaultlineConfig,
} from '@faultline/errors';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FaultlineServiceError,
  faultlineInterceptor,
  promisifyUnary,
  withFaultline,
} from '../src/index.js';
import {
  type EchoClient,
  echoClient,
  type SayReply,
  type Started,
  sayRaw,
  startServer,
} from './support/echo.js';
import { echoFixture, faultlineOf, wireFields } from './support/fixture.js';
import { CATEGORY_CASES, type CategoryCase, echoImplementation } from './support/scenarios.js';

const fixture = echoFixture();
const { grpc, Echo, answered, telemetry } = fixture;
let server: Started;
let client: EchoClient;

beforeAll(async () => {
  server = await fixture.start();
  client = echoClient(grpc, Echo, server.address, [faultlineInterceptor()]);
});

afterAll(async () => {
  client?.close();
  await fixture.stop();
});

afterEach(() => resetFaultlineConfig());

function lastAnswered(): FaultlineError {
  const err = answered.at(-1);
  if (!err) throw new Error('the server answered no error');
  return err;
}

async function span(kind: SpanKind, traceId: string | undefined, method = 'Say') {
  const found = (await telemetry.finishedSpans()).find(
    (s) => s.kind === kind && s.spanContext().traceId === traceId && s.name.endsWith(`/${method}`),
  );
  expect(found, `a ${SpanKind[kind]} span in trace ${traceId}`).toBeDefined();
  return found!;
}

describe('unary: every category thrown in a handler arrives as the same FaultlineError', () => {
  it.each(Object.keys(CATEGORY_CASES) as CategoryCase[])('%s', async (category) => {
    const { err } = await sayRaw(client, { text: 'hi', fail: category });
    const sent = lastAnswered();
    expect(err?.code).toBe(CATEGORY_CASES[category].grpc);
    const got = faultlineOf(err);
    expect(sent.category).toBe(category);
    expect(wireFields(got)).toEqual(wireFields(sent));
    expect(got.remote).toBe(true);
    expect(got.service).toBe('faultline.test.Echo');
    expect(got.details.method).toBe('/faultline.test.Echo/Say');
    // One ID: the client span, the server span and the error share the trace ID.
    expect(got.correlationId).toMatch(/^[0-9a-f]{32}$/);
    const clientSpan = await span(SpanKind.CLIENT, got.correlationId);
    const serverSpan = await span(SpanKind.SERVER, got.correlationId);
    expect(clientSpan.attributes['error.type']).toBe(sent.code);
    expect(clientSpan.attributes['faultline.error.category']).toBe(category);
    expect(clientSpan.status.code).toBe(SpanStatusCode.ERROR);
    expect(serverSpan.attributes['error.type']).toBe(sent.code);
    expect(serverSpan.attributes['faultline.error.severity']).toBe(sent.severity);
    expect(serverSpan.attributes['rpc.response.status_code']).toBe(
      grpc.status[CATEGORY_CASES[category].grpc],
    );
    expect(serverSpan.events.some((e) => e.name === 'exception')).toBe(true);
  });
});

describe('unary: what leaves the server', () => {
  it('production: operational messages pass, internal ones are replaced, no debug details', async () => {
    const validation = faultlineOf((await sayRaw(client, { text: 'hi', fail: 'validation' })).err);
    expect(validation.message).toBe('text is too long');
    const { err } = await sayRaw(client, { text: 'hi', fail: 'execution' });
    expect(err?.details).not.toContain('hunter2');
    const execution = faultlineOf(err);
    expect(execution.message).not.toContain('hunter2');
    expect(execution.message).toBe('The code failed while running (a bug or an unexpected state).');
    expect(execution.details.debug).toBeUndefined();
  });

  it('development: the message and DebugInfo (stack, causes) are sent', async () => {
    configureFaultline({ environment: 'development' });
    const err = faultlineOf((await sayRaw(client, { text: 'hi', fail: 'system' })).err);
    expect(err.message).toBe('invariant broken');
    const debug = err.details.debug as { stackEntries: string[]; detail: string };
    expect(debug.stackEntries[0]).toContain('FaultlineError: invariant broken');
    expect(debug.stackEntries.some((line) => line.includes('scenarios.ts'))).toBe(true);
  });

  it.each([
    ['string', 'thrown', 'unknown_error'],
    ['null', 'thrown', 'unknown_error'],
    ['error', 'thrown', 'execution_failed'],
    ['econnrefused', 'thrown', 'connection_failed'],
    ['error', 'callback', 'execution_failed'],
    ['not_found', 'callback', 'not_found'],
    ['econnrefused', 'reject', 'connection_failed'],
    ['string', 'reject', 'unknown_error'],
  ])('a handler that %s (%s) answers %s', async (fail, how, code) => {
    const { err } = await sayRaw(client, { text: how, fail });
    const got = faultlineOf(err);
    expect(got.code).toBe(code);
    expect(got.code).toBe(lastAnswered().code);
    expect(err?.code).toBe(grpcCodeFor(lastAnswered()));
    expect(got.message).not.toContain('swordfish');
  });

  it('a message too long for trailers is shortened, not refused by the client', async () => {
    const arbitrary = () =>
      Object.assign(new Error('x'), { status: 400, message: `bad input ${'é'.repeat(10_000)}` });
    const big = await startServer(
      grpc,
      Echo.service,
      withFaultline(Echo.service, echoImplementation(arbitrary)),
    );
    const bigClient = echoClient(grpc, Echo, big.address, [faultlineInterceptor()]);
    try {
      const { err } = await sayRaw(bigClient, { text: 'hi', fail: 'arbitrary' });
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      const got = faultlineOf(err);
      expect(got.code).toBe('invalid_params');
      expect(got.message.startsWith('bad input éé')).toBe(true);
      expect(got.message.length).toBeLessThanOrEqual(256);
    } finally {
      bigClient.close();
      await big.close();
    }
  });

  it('a success is untouched', async () => {
    const { err, reply } = await sayRaw(client, { text: 'hello' });
    expect(err).toBeNull();
    expect(reply).toEqual({ text: 'hello' });
  });
});

describe("the caller's own deadline and cancellation", () => {
  it('DEADLINE_EXCEEDED raised by the client deadline is a local deadline_exceeded (timeout)', async () => {
    const deadline = Date.now() + 300;
    const { err } = await sayRaw(client, { text: 'hi', fail: 'slow' }, { deadline });
    expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const got = faultlineOf(err);
    expect(got.code).toBe('deadline_exceeded');
    expect(got.category).toBe('timeout');
    expect(got.retryable).toBe(true);
    expect(got.remote).toBe(false);
    expect(got.details.deadline).toBe(new Date(deadline).toISOString());
    expect((await span(SpanKind.CLIENT, got.correlationId)).attributes['error.type']).toBe(
      'deadline_exceeded',
    );
  });

  it('a call the caller cancels is a local cancelled', async () => {
    const err = await new Promise<FaultlineServiceError>((resolve) => {
      const call = client.Say!({ text: 'hi', fail: 'slow' }, (e: FaultlineServiceError) => resolve(e));
      setTimeout(() => call.cancel(), 50);
    });
    expect(err.code).toBe(grpc.status.CANCELLED);
    const got = faultlineOf(err);
    expect(got.code).toBe('cancelled');
    expect(got.remote).toBe(false);
  });
});

describe('streaming methods', () => {
  it('server-streaming: replies before the failure arrive, then the structured error', async () => {
    for (const text of ['throw', 'emit']) {
      const call = client.SayMany!({ text, fail: 'rate_limit', before: 2 }) as ReturnType<
        typeof grpc.Client.prototype.makeServerStreamRequest
      >;
      const replies: string[] = [];
      call.on('data', (reply: SayReply) => replies.push(reply.text));
      const err = await new Promise<FaultlineServiceError>((resolve) => call.on('error', resolve));
      expect(replies).toEqual([`${text} 0`, `${text} 1`]);
      expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const got = faultlineOf(err);
      expect(got.code).toBe('rate_limited');
      expect(got.retryAfterMs).toBe(1_500);
      expect(got.correlationId).toBe(lastAnswered().correlationId);
      const serverSpan = await span(SpanKind.SERVER, got.correlationId, 'SayMany');
      expect(serverSpan.attributes['error.type']).toBe('rate_limited');
      const clientSpan = await span(SpanKind.CLIENT, got.correlationId, 'SayMany');
      expect(clientSpan.attributes['error.type']).toBe('rate_limited');
    }
  });

  it('server-streaming: a plain Error emitted by the handler is answered structured too', async () => {
    const call = client.SayMany!({ text: 'emit', fail: 'error', before: 0 }) as ReturnType<
      typeof grpc.Client.prototype.makeServerStreamRequest
    >;
    call.on('data', () => {});
    const err = await new Promise<FaultlineServiceError>((resolve) => call.on('error', resolve));
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(faultlineOf(err).code).toBe('execution_failed');
  });

  it('client-streaming: the callback error is structured (and a second callback is ignored)', async () => {
    const err = await new Promise<FaultlineServiceError | null>((resolve) => {
      const call = client.Collect!((e: FaultlineServiceError | null) => resolve(e)) as ReturnType<
        typeof grpc.Client.prototype.makeClientStreamRequest
      >;
      call.write({ text: 'a', fail: '' });
      call.write({ text: 'b', fail: 'conflict' });
      call.end();
    });
    expect(err?.code).toBe(grpc.status.ABORTED);
    expect(faultlineOf(err).code).toBe('conflict');
    expect(faultlineOf(err).severity).toBe('high');
  });

  it('bidi: an error emitted mid-conversation ends it with the structured status', async () => {
    const call = client.Chat!() as ReturnType<typeof grpc.Client.prototype.makeBidiStreamRequest>;
    const replies: string[] = [];
    call.on('data', (reply: SayReply) => replies.push(reply.text));
    const done = new Promise<FaultlineServiceError>((resolve) => call.on('error', resolve));
    call.write({ text: 'one', fail: '' });
    call.write({ text: 'two', fail: 'authentication' });
    const err = await done;
    call.end();
    expect(replies).toContain('one');
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(faultlineOf(err).code).toBe('unauthenticated');
  });
});

describe('promisifyUnary', () => {
  it('resolves replies and rejects with the FaultlineError itself', async () => {
    const say = promisifyUnary<{ text: string; fail?: string }, SayReply>(client, 'Say');
    await expect(say({ text: 'ok' })).resolves.toEqual({ text: 'ok' });
    const rejected = await say({ text: 'hi', fail: 'not_found' }).catch((e: unknown) => e);
    expect(isFaultlineError(rejected)).toBe(true);
    expect((rejected as FaultlineError).code).toBe('not_found');
    expect((rejected as FaultlineError).stack).toContain('for call at');
  });

  it('works without the interceptor, including the local deadline', async () => {
    const bare = echoClient(grpc, Echo, server.address);
    try {
      const say = promisifyUnary<{ text: string; fail?: string }, SayReply>(bare, 'say');
      const rejected = (await say({ text: 'hi', fail: 'rate_limit' }).catch(
        (e: unknown) => e,
      )) as FaultlineError;
      expect(rejected.code).toBe('rate_limited');
      expect(rejected.retryAfterMs).toBe(1_500);
      expect(rejected.remote).toBe(true);
      const late = (await say(
        { text: 'hi', fail: 'slow' },
        { callOptions: { deadline: Date.now() + 200 } },
      ).catch((e: unknown) => e)) as FaultlineError;
      expect(late.code).toBe('deadline_exceeded');
      expect(late.remote).toBe(false);
    } finally {
      bare.close();
    }
  });

  it('refuses unknown and streaming methods with stable codes', () => {
    expect(() => promisifyUnary(client, 'Nope')).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_GRPC_NO_SUCH_METHOD' }),
    );
    expect(() => promisifyUnary(client, 'SayMany')).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_GRPC_NOT_UNARY' }),
    );
  });
});
