import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** The real SDK in memory; `serverSpans` plays @opentelemetry/instrumentation-http's part. */
export function startTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('faultline-http-test');

  /** Each request runs inside an active SERVER span that ends when the response is done. */
  const serverSpans =
    (listener: Listener): Listener =>
    (req, res) =>
      tracer.startActiveSpan(`${req.method} ${req.url}`, { kind: SpanKind.SERVER }, (span) => {
        res.once('close', () => span.end());
        listener(req, res);
      });

  return {
    serverSpans,
    async spanInTrace(traceId: string | undefined): Promise<ReadableSpan | undefined> {
      await provider.forceFlush();
      return exporter
        .getFinishedSpans()
        .find((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId);
    },
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, on a port the OS picks. */
export async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function listenNode(listener: Listener): Promise<Listening> {
  return listen(createServer(listener));
}
