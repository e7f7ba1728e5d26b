// Every answer of a wrapped service names its trace in the trailers (issue 10, item 6): a real
// grpc-js server and client, the real SDK and instrumentation-grpc in memory.
import type * as grpcTypes from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFaultline } from '../src/index.js';
import { type EchoClient, echoClient, loadEcho, type Started, startServer } from './support/echo.js';
import { echoFixture } from './support/fixture.js';
import { echoImplementation } from './support/scenarios.js';

const fixture = echoFixture();
let server: Started;
let client: EchoClient;
beforeAll(async () => {
  server = await fixture.start();
  client = echoClient(fixture.grpc, fixture.Echo, server.address);
});
afterAll(async () => {
  client.close();
  await fixture.stop();
});

/** The trailers of a call, from its `status` event (what any grpc-js client can read). */
function trailersOf(call: grpcTypes.Call): Promise<grpcTypes.StatusObject> {
  return new Promise((resolve) => call.on('status', resolve));
}

/** The initial metadata (headers) of a call, from its `metadata` event. */
function headersOf(call: grpcTypes.Call): Promise<grpcTypes.Metadata> {
  return new Promise((resolve) => call.on('metadata', resolve));
}

async function serverSpanOf(traceId: string) {
  const spans = await fixture.telemetry.finishedSpans();
  return spans.find((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId);
}

async function expectCorrelated(metadata: grpcTypes.Metadata) {
  const [id] = metadata.get('x-correlation-id') as string[];
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  const server = await serverSpanOf(id!);
  expect(server, 'the SERVER span of that trace').toBeDefined();
  expect(metadata.get('traceresponse')).toEqual([`00-${id}-${server!.spanContext().spanId}-01`]);
}

describe('correlation trailers', () => {
  it('a unary success (headers: instrumentation-grpc drops unary trailers) and a unary failure (headers and trailers)', async () => {
    const ok = client.Say!({ text: 'hi', fail: '' }, () => {});
    const okHeaders = headersOf(ok);
    await trailersOf(ok);
    await expectCorrelated(await okHeaders);
    const failed = client.Say!({ text: 'hi', fail: 'not_found' }, () => {});
    const failedHeaders = headersOf(failed);
    const status = await trailersOf(failed);
    expect(status.code).toBe(5);
    expect(status.metadata.get('grpc-status-details-bin')).toHaveLength(1);
    await expectCorrelated(status.metadata);
    await expectCorrelated(await failedHeaders);
  });

  it('a server stream that ends well, and one that fails', async () => {
    const ok = client.SayMany!({ text: 'x', fail: '', before: 2 }) as grpcTypes.ClientReadableStream<unknown>;
    ok.on('data', () => {});
    const okHeaders = headersOf(ok);
    await expectCorrelated((await trailersOf(ok)).metadata);
    await expectCorrelated(await okHeaders);
    const failed = client.SayMany!({
      text: 'x',
      fail: 'conflict',
      before: 1,
    }) as grpcTypes.ClientReadableStream<unknown>;
    failed.on('data', () => {});
    failed.on('error', () => {});
    const status = await trailersOf(failed);
    expect(status.code).toBe(10);
    await expectCorrelated(status.metadata);
  });

  it('keeps headers the handler sent itself, and traceResponse: false adds nothing', async () => {
    const Echo = loadEcho(fixture.grpc);
    const impl = echoImplementation();
    const own = await startServer(
      fixture.grpc,
      Echo.service,
      withFaultline(
        Echo.service,
        {
          ...impl,
          Say: (
            call: grpcTypes.ServerUnaryCall<unknown, unknown>,
            callback: grpcTypes.sendUnaryData<unknown>,
          ) => {
            const headers = new fixture.grpc.Metadata();
            headers.set('x-correlation-id', 'set-by-the-handler');
            headers.set('x-app', 'kept');
            call.sendMetadata(headers);
            callback(null, { text: 'own' });
          },
        },
        {},
      ),
    );
    const quiet = await startServer(
      fixture.grpc,
      Echo.service,
      withFaultline(Echo.service, impl, { traceResponse: false }),
    );
    const ownClient = echoClient(fixture.grpc, fixture.Echo, own.address);
    const quietClient = echoClient(fixture.grpc, fixture.Echo, quiet.address);
    try {
      const mine = await headersOf(ownClient.Say!({ text: 'a', fail: '' }, () => {}));
      expect(mine.get('x-correlation-id')).toEqual(['set-by-the-handler']);
      expect(mine.get('x-app')).toEqual(['kept']);
      expect(mine.get('traceresponse')[0]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const none = await trailersOf(quietClient.Say!({ text: 'a', fail: 'not_found' }, () => {}));
      expect(none.code).toBe(5);
      expect(none.metadata.get('x-correlation-id')).toEqual([]);
      expect(none.metadata.get('traceresponse')).toEqual([]);
    } finally {
      ownClient.close();
      quietClient.close();
      await own.close();
      await quiet.close();
    }
  });
});
