import { configureFaultline, resetFaultlineConfig } from '@faultline/errors';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultlineServiceError, faultlineInterceptor, promisifyUnary } from '../src/index.js';
import { type EchoClient, echoClient, type SayReply, type Started, sayRaw } from './support/echo.js';
import { echoFixture, faultlineOf } from './support/fixture.js';
import { preparePython, runPythonClient, startPythonServer } from './support/python.js';

// A third-party implementation on the other side: gRPC Python with grpcio-status, as real processes.
const fixture = echoFixture();
const { grpc, Echo, answered, telemetry } = fixture;
let python: Awaited<ReturnType<typeof preparePython>>;
let pythonServer: Awaited<ReturnType<typeof startPythonServer>>;
let nodeServer: Started;
let client: EchoClient;

beforeAll(async () => {
  python = await preparePython();
  pythonServer = await startPythonServer(python.python, python.generated);
  nodeServer = await fixture.start();
  client = echoClient(grpc, Echo, pythonServer.address, [faultlineInterceptor()]);
}, 600_000);

afterAll(async () => {
  client?.close();
  await pythonServer?.stop();
  await python?.cleanup();
  await fixture.stop();
});

afterEach(() => resetFaultlineConfig());

describe('a gRPC Python server (grpcio-status rich details) -> our grpc-js client', () => {
  it('ErrorInfo with a foreign reason and domain, plus RetryInfo', async () => {
    const { err } = await sayRaw(client, { text: 'hi', fail: 'quota' });
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const got = faultlineOf(err);
    expect(got).toMatchObject({
      code: 'quota_exceeded',
      category: 'rate_limit',
      retryable: true,
      retryAfterMs: 2_500,
      message: 'quota exceeded for echo',
      service: 'echo.python.test',
      remote: true,
    });
    expect(got.details).toMatchObject({ grpcCode: 8, domain: 'echo.python.test' });
    // The client span carries the remote error.type.
    const spans = await telemetry.finishedSpans();
    const clientSpan = spans.find(
      (s) => s.kind === SpanKind.CLIENT && s.attributes['error.type'] === 'quota_exceeded',
    );
    expect(clientSpan?.name).toBe('grpc.faultline.test.Echo/Say');
  });

  it('a reason naming a built-in code, and a RetryInfo alone', async () => {
    const notFound = faultlineOf((await sayRaw(client, { text: 'hi', fail: 'not_found' })).err);
    expect(notFound).toMatchObject({ code: 'not_found', category: 'not_found', retryable: false });
    const unavailable = faultlineOf((await sayRaw(client, { text: 'hi', fail: 'unavailable' })).err);
    expect(unavailable).toMatchObject({
      code: 'service_unavailable',
      category: 'resource',
      retryable: true,
      retryAfterMs: 1_000,
      message: 'echo is draining',
    });
  });

  it("Faultline's ErrorInfo metadata written by hand in Python is read in full", async () => {
    const got = faultlineOf((await sayRaw(client, { text: 'hi', fail: 'faultline' })).err);
    expect(got).toMatchObject({
      code: 'conflict',
      category: 'conflict',
      severity: 'high',
      retryable: true,
      retryAfterMs: 250,
      correlationId: '4bf92f3577b34da6a3ce929d0e0e4736',
      service: 'inventory',
    });
  });

  it('no details, and garbage details, fall back to the status code', async () => {
    const plain = faultlineOf((await sayRaw(client, { text: 'hi', fail: 'plain' })).err);
    expect(plain).toMatchObject({
      code: 'invalid_params',
      category: 'validation',
      message: 'text must not be empty',
      service: 'faultline.test.Echo',
      remote: true,
    });
    const garbage = faultlineOf((await sayRaw(client, { text: 'hi', fail: 'garbage' })).err);
    expect(garbage).toMatchObject({ code: 'internal_error', category: 'system', message: 'garbage details' });
  });

  it('server-streaming, and promisifyUnary', async () => {
    const call = client.SayMany!({ text: 'hi', fail: 'quota', before: 2 }) as ReturnType<
      typeof grpc.Client.prototype.makeServerStreamRequest
    >;
    const replies: string[] = [];
    call.on('data', (reply: SayReply) => replies.push(reply.text));
    const err = await new Promise<FaultlineServiceError>((resolve) => call.on('error', resolve));
    expect(replies).toEqual(['hi 0', 'hi 1']);
    expect(faultlineOf(err)).toMatchObject({ code: 'quota_exceeded', retryAfterMs: 2_500 });
    const say = promisifyUnary<{ text: string; fail?: string }, SayReply>(client, 'Say');
    await expect(say({ text: 'hello' })).resolves.toEqual({ text: 'hello' });
    await expect(say({ text: 'hi', fail: 'unavailable' })).rejects.toMatchObject({
      code: 'service_unavailable',
      retryAfterMs: 1_000,
    });
  });
});

interface PythonView {
  case: string;
  code: string;
  details?: string;
  replies?: string[];
  fromCallError?: string;
  status?: {
    code: number;
    message: string;
    errorInfo?: { reason: string; domain: string; metadata: Record<string, string> };
    retryInfo?: { retryDelayMs: number };
    debugInfo?: { stackEntries: string[]; detail: string };
  };
}

describe('our grpc-js server -> a gRPC Python client (grpcio-status from_call)', () => {
  async function ask(...cases: string[]): Promise<PythonView[]> {
    return (await runPythonClient(
      python.python,
      python.generated,
      nodeServer.address,
      cases,
    )) as unknown as PythonView[];
  }

  it('decodes code, message, ErrorInfo and RetryInfo, consistent with the status (production)', async () => {
    const [rate, execution, unicode, stream] = await ask(
      'Say:rate_limit',
      'Say:execution',
      'Say:unicode',
      'SayMany:not_found',
    );
    expect(rate).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      details: 'slow down',
      status: {
        code: 8,
        message: 'slow down',
        errorInfo: {
          reason: 'RATE_LIMITED',
          domain: 'faultline',
          metadata: { code: 'rate_limited', category: 'rate_limit', severity: 'medium', retryable: 'true' },
        },
        retryInfo: { retryDelayMs: 1_500 },
      },
    });
    expect(rate?.fromCallError).toBeUndefined();
    expect(rate?.status?.debugInfo).toBeUndefined();
    const sent = answered.find((e) => e.code === 'rate_limited');
    expect(rate?.status?.errorInfo?.metadata.correlationId).toBe(sent?.correlationId);
    expect(execution).toMatchObject({
      code: 'INTERNAL',
      status: { errorInfo: { reason: 'EXECUTION_FAILED' } },
    });
    expect(JSON.stringify(execution)).not.toContain('hunter2');
    expect(unicode).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: 'naïve café ✓ 100% "quoted"',
      status: { message: 'naïve café ✓ 100% "quoted"' },
    });
    expect(unicode?.fromCallError).toBeUndefined();
    expect(stream).toMatchObject({
      code: 'NOT_FOUND',
      replies: ['hi 0', 'hi 1'],
      status: { code: 5, errorInfo: { reason: 'NOT_FOUND' } },
    });
  });

  it('development mode adds DebugInfo', async () => {
    configureFaultline({ environment: 'development' });
    const [system] = await ask('Say:system');
    expect(system?.details).toBe('invariant broken');
    expect(system?.status?.debugInfo?.stackEntries[0]).toContain('invariant broken');
    expect(system?.fromCallError).toBeUndefined();
  });
});
