// The demo's gRPC worker. Run: node --require @faultline/node/register dist/worker.cjs
// No telemetry code here: the register instruments grpc-js and pino; @faultline/grpc answers
// every failure with its structured error (rich status details), recorded on the server span.
import { isErrorCategory } from '@faultline/errors';
import { withFaultline } from '@faultline/grpc';
import * as grpc from '@grpc/grpc-js';
import { registerDemoCodes } from './codes.js';
import { intFrom, rateFrom, stringFrom } from './env.js';
import { injectedFailure } from './failures.js';
import { environmentFault, faultList, isWorkerFault, MAX_LATENCY_MS, type WorkerFault } from './faults.js';
import { logger } from './log.js';
import { loadWorkerService, type ProcessReply, type ProcessRequest } from './proto.js';
import { sleep } from './sleep.js';

registerDemoCodes();
const env = process.env;
const log = logger('worker');
const port = intFrom(env, 'WORKER_PORT', 50051, 0, 65535);
const host = stringFrom(env, 'WORKER_HOST', '127.0.0.1');
const baseLatencyMs = intFrom(env, 'WORKER_LATENCY_MS', 0, 0, MAX_LATENCY_MS);
const envFaults = faultList(env.WORKER_FAULT, isWorkerFault, 'WORKER_FAULT');
const envFaultRate = rateFrom(env, 'WORKER_FAULT_RATE', envFaults.length > 0 ? 1 : 0);
/** A deadline fault on a call without a deadline sleeps this long. */
const NO_DEADLINE_SLEEP_MS = 5_000;

function crash(orderId: string): void {
  log.warn({ orderId }, 'injected crash: the worker exits now');
  // Thrown outside the call, as a real bug in a timer would be: the register records it, flushes,
  // and Node exits with its usual code; the gateway sees the connection drop (UNAVAILABLE).
  setImmediate(() => {
    throw new Error(`injected crash while processing order ${orderId}`);
  });
}

function msUntil(deadline: grpc.Deadline): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : NO_DEADLINE_SLEEP_MS;
}

async function processOrder(call: grpc.ServerUnaryCall<ProcessRequest, ProcessReply>): Promise<ProcessReply> {
  const request = call.request;
  const orderId = request.order_id || 'unknown';
  const fault: WorkerFault | undefined = isWorkerFault(request.fault)
    ? request.fault
    : environmentFault(envFaults, envFaultRate);
  const latency = Math.min(MAX_LATENCY_MS, baseLatencyMs + (request.latency_ms ?? 0));
  if (latency > 0) await sleep(latency);
  if (fault === 'crash') {
    crash(orderId);
    await new Promise(() => {}); // never answers: the process is going away
  }
  if (fault === 'deadline') {
    // Past the caller's deadline: the gateway gives up first (DEADLINE_EXCEEDED on its side).
    await sleep(Math.min(MAX_LATENCY_MS, msUntil(call.getDeadline()) + 300));
  }
  if (isErrorCategory(fault)) throw injectedFailure(fault, orderId);
  return { order_id: orderId, status: 'processed', worker_pid: process.pid };
}

const Worker = loadWorkerService();
const server = new grpc.Server();
server.addService(
  Worker.service,
  withFaultline(
    Worker.service,
    {
      Process(
        call: grpc.ServerUnaryCall<ProcessRequest, ProcessReply>,
        callback: grpc.sendUnaryData<ProcessReply>,
      ) {
        return processOrder(call).then((reply) => callback(null, reply));
      },
    },
    { onError: (err, method) => log.error({ err, method }, 'call failed') },
  ),
);
server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    log.fatal({ err }, `cannot listen on ${host}:${port}`);
    process.exitCode = 1;
    return;
  }
  log.info(
    { port: bound, faults: envFaults, faultRate: envFaultRate },
    `worker listening on ${host}:${bound}`,
  );
});
