import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export interface ProcessRequest {
  order_id: string;
  fault: string;
  latency_ms: number;
}

export interface ProcessReply {
  order_id: string;
  status: string;
  worker_pid: number;
}

/** src/ and dist/ both sit next to proto/. */
export const WORKER_PROTO = fileURLToPath(new URL('../proto/worker.proto', import.meta.url));

/** The Worker service constructor, loaded from the .proto at run time (as most grpc-js apps do). */
export function loadWorkerService(): grpc.ServiceClientConstructor {
  const definition = loadSync(WORKER_PROTO, { keepCase: true, longs: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    faultline: { demo: { v1: { Worker: grpc.ServiceClientConstructor } } };
  };
  return pkg.faultline.demo.v1.Worker;
}
