// README example: a service whose handler throws a structured error, and a client that gets it back.
// Run it from packages/grpc after `pnpm build`: node test/readme-example.ts
import { fileURLToPath } from 'node:url';
import { FaultlineError } from '@faultline/errors';
import { faultlineInterceptor, promisifyUnary, withFaultline } from '@faultline/grpc';
import * as grpc from '@grpc/grpc-js';

// A service definition without a .proto file (JSON messages), to keep the example in one file.
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
};
const GreeterService = {
  greet: {
    path: '/demo.Greeter/Greet',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies grpc.ServiceDefinition;

export async function main() {
  const server = new grpc.Server();
  server.addService(
    GreeterService,
    withFaultline(GreeterService, {
      greet(
        call: grpc.ServerUnaryCall<{ name: string }, { text: string }>,
        callback: grpc.sendUnaryData<{ text: string }>,
      ) {
        if (call.request.name === '') {
          // Thrown, rejected or called back: answered as INVALID_ARGUMENT with rich status details.
          throw new FaultlineError({ code: 'invalid_params', message: 'name must not be empty' });
        }
        callback(null, { text: `hello ${call.request.name}` });
      },
    }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );

  const Greeter = grpc.makeGenericClientConstructor(GreeterService, 'Greeter');
  const client = new Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    interceptors: [faultlineInterceptor({ service: 'greeter' })],
  });
  const greet = promisifyUnary<{ name: string }, { text: string }>(client, 'greet');
  try {
    const reply = await greet({ name: 'Ada' });
    const failure = await greet({ name: '' }).catch((err: FaultlineError) => err);
    return { reply, failure };
  } finally {
    client.close();
    server.forceShutdown();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { reply, failure } = await main();
  console.log(reply.text); // hello Ada
  if (failure instanceof Error) {
    const { code, category, retryable, remote, service, correlationId } = failure;
    console.log({ code, category, retryable, remote, service, correlationId });
    // { code: 'invalid_params', category: 'validation', retryable: false, remote: true, service: 'greeter', correlationId: '…' }
  }
}
