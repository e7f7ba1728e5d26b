import { fileURLToPath } from 'node:url';
import type * as grpcTypes from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { FaultlineServiceError } from '../../src/index.js';

/** grpc-js as `require` returns it (telemetry.ts loads it so, for the instrumentation to patch it). */
export type GrpcModule = typeof import('@grpc/grpc-js');

export const ECHO_PROTO = fileURLToPath(new URL('../fixtures/echo.proto', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));

export interface SayRequest {
  text: string;
  fail: string;
  before: number;
}
export interface SayReply {
  text: string;
}

/** The Echo client as proto-loader builds it: one function per method, untyped. */
export type EchoClient = grpcTypes.Client & Record<string, (...args: unknown[]) => grpcTypes.Call>;

export function loadEcho(grpc: GrpcModule) {
  const definition = loadSync(ECHO_PROTO, { keepCase: true, longs: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    faultline: { test: { Echo: grpcTypes.ServiceClientConstructor } };
  };
  return pkg.faultline.test.Echo;
}

export interface Started {
  port: number;
  address: string;
  close(): Promise<void>;
}

/** A grpc-js server on 127.0.0.1, on a port the OS picks. */
export async function startServer(
  grpc: GrpcModule,
  service: grpcTypes.ServiceDefinition,
  implementation: grpcTypes.UntypedServiceImplementation,
): Promise<Started> {
  const server = new grpc.Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls still open (a test that failed half-way) must not keep the run alive.
        setTimeout(() => server.forceShutdown(), 2_000).unref();
      }),
  };
}

export function echoClient(
  grpc: GrpcModule,
  Echo: grpcTypes.ServiceClientConstructor,
  address: string,
  interceptors: grpcTypes.Interceptor[] = [],
): EchoClient {
  return new Echo(address, grpc.credentials.createInsecure(), { interceptors }) as unknown as EchoClient;
}

/** Calls a unary method the grpc-js way; resolves with the error or the reply. */
export function sayRaw(
  client: EchoClient,
  request: Partial<SayRequest>,
  options: grpcTypes.CallOptions = {},
): Promise<{ err: FaultlineServiceError | null; reply?: SayReply }> {
  return new Promise((resolve) => {
    client.Say!(request, options, (err: grpcTypes.ServiceError | null, reply?: SayReply) =>
      resolve(err ? { err } : { err: null, reply }),
    );
  });
}
