// The demo's HTTP gateway. Run: node --require @faultline/node/register dist/gateway.cjs
// GET /orders/:id checks stock with the inventory service (HTTP), then has the worker (gRPC)
// process the order through a retry and the circuit breaker `worker`. Every failure is answered
// as problem+json with the correlation ID (the trace ID) and logged once with its structured `err`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { correlationId, FaultlineError } from '@faultline/errors';
import { faultlineInterceptor, promisifyUnary } from '@faultline/grpc';
import { CORRELATION_HEADER, errorFromResponse, withProblemDetails } from '@faultline/http';
import { circuitBreaker, isIdempotent, readyHandler, retry, wrap } from '@faultline/resilience';
import * as grpc from '@grpc/grpc-js';
import { INVENTORY_FAILED, registerDemoCodes } from './codes.js';
import { intFrom, stringFrom } from './env.js';
import { type InventoryFault, isInventoryFault, isWorkerFault, parseFaultRequest } from './faults.js';
import { logger } from './log.js';
import { pathOf } from './path.js';
import { loadWorkerService, type ProcessReply, type ProcessRequest } from './proto.js';

registerDemoCodes();
const env = process.env;
const log = logger('gateway');
const port = intFrom(env, 'GATEWAY_PORT', 8080, 0, 65535);
const host = stringFrom(env, 'GATEWAY_HOST', '127.0.0.1');
const workerAddress = stringFrom(env, 'WORKER_ADDRESS', '127.0.0.1:50051');
const inventoryUrl = stringFrom(env, 'INVENTORY_URL', 'http://127.0.0.1:8081').replace(/\/$/, '');
const deadlineMs = intFrom(env, 'GATEWAY_DEADLINE_MS', 1_000, 10, 60_000);
const inventoryTimeoutMs = intFrom(env, 'GATEWAY_INVENTORY_TIMEOUT_MS', 2_000, 10, 60_000);

const Worker = loadWorkerService();
const client = new Worker(workerAddress, grpc.credentials.createInsecure(), {
  interceptors: [faultlineInterceptor({ service: 'worker' })],
  // A restarted worker is found again within a second, not after grpc-js' default backoff (up to 2 min).
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
});
const processOrder = promisifyUnary<ProcessRequest, ProcessReply>(client, 'Process');

/**
 * The breaker `worker`. Default: a sampling breaker that opens when more than half of the calls of
 * the last 5 s failed (at 2 calls/s or more), so the demo's scattered injected faults leave it
 * closed and a worker outage opens it. GATEWAY_BREAKER_KIND=consecutive opens after
 * GATEWAY_BREAKER_THRESHOLD failures in a row instead (the tests use it: deterministic).
 */
function workerBreaker() {
  const halfOpenAfterMs = intFrom(env, 'GATEWAY_BREAKER_HALF_OPEN_MS', 2_000, 100, 600_000);
  if (stringFrom(env, 'GATEWAY_BREAKER_KIND', 'sampling') === 'consecutive') {
    return circuitBreaker({
      name: 'worker',
      breaker: { kind: 'consecutive', threshold: intFrom(env, 'GATEWAY_BREAKER_THRESHOLD', 5, 1, 100_000) },
      halfOpenAfterMs,
    });
  }
  return circuitBreaker({
    name: 'worker',
    breaker: {
      kind: 'sampling',
      threshold: intFrom(env, 'GATEWAY_BREAKER_THRESHOLD_PERCENT', 50, 1, 99) / 100,
      durationMs: intFrom(env, 'GATEWAY_BREAKER_WINDOW_MS', 5_000, 100, 600_000),
      minimumRps: 2,
    },
    halfOpenAfterMs,
  });
}

/**
 * The retry budget shared by every call to the worker: retries stay within
 * GATEWAY_RETRY_BUDGET_PERCENT of the calls plus GATEWAY_RETRY_BUDGET_MIN_PER_SECOND a second
 * (so a worker outage cannot triple the gateway's load on it). GATEWAY_RETRY_BUDGET=off: none.
 */
function workerBudget() {
  if (stringFrom(env, 'GATEWAY_RETRY_BUDGET', 'on') === 'off') return false as const;
  return {
    share: intFrom(env, 'GATEWAY_RETRY_BUDGET_PERCENT', 20, 0, 100) / 100,
    minPerSecond: intFrom(env, 'GATEWAY_RETRY_BUDGET_MIN_PER_SECOND', 1, 0, 10_000),
  };
}

// Retry outside, breaker inside: every attempt is one call the breaker counts, and an open
// breaker's `circuit_open` is not retried (it is there to shed load). Process is declared
// idempotent in the proto, so a call that may have reached the worker is repeated too.
const workerPolicy = wrap(
  retry({
    name: 'worker',
    maxAttempts: intFrom(env, 'GATEWAY_RETRY_ATTEMPTS', 3, 1, 10),
    initialDelayMs: intFrom(env, 'GATEWAY_RETRY_DELAY_MS', 50, 0, 10_000),
    maxDelayMs: 1_000,
    budgetMs: 5_000,
    idempotent: isIdempotent(Worker.service.Process),
    retryBudget: workerBudget(),
  }),
  workerBreaker(),
);
// Unready (503) when the worker's breaker is open or most calls fail; also the
// faultline.health.status{check="ready"} gauge the readiness alert watches.
const ready = readyHandler({ name: 'ready', criticalBreakers: ['worker'] });

function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const id = correlationId();
  res.writeHead(status, { 'content-type': 'application/json', [CORRELATION_HEADER]: id });
  res.end(JSON.stringify({ ...body, correlationId: id }));
}

async function checkStock(orderId: string, fault: InventoryFault | undefined): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${inventoryUrl}/stock/${encodeURIComponent(orderId)}`, {
      headers: fault ? { 'x-fault': fault } : {},
      signal: AbortSignal.timeout(inventoryTimeoutMs),
    });
  } catch (cause) {
    throw new FaultlineError({
      code: INVENTORY_FAILED,
      message: 'cannot reach the inventory service',
      cause,
    });
  }
  if (!res.ok) {
    const cause = await errorFromResponse(res, { service: 'inventory' });
    throw new FaultlineError({ code: INVENTORY_FAILED, message: 'the inventory service failed', cause });
  }
  return res.json();
}

async function getOrder(req: IncomingMessage, res: ServerResponse, url: URL, orderId: string): Promise<void> {
  const parsed = parseFaultRequest(url.searchParams, req.headers);
  if (!parsed.ok) throw new FaultlineError({ code: 'invalid_params', message: parsed.message });
  const { fault, latencyMs } = parsed.value;
  const stock = await checkStock(orderId, isInventoryFault(fault) ? fault : undefined);
  const request: ProcessRequest = {
    order_id: orderId,
    fault: isWorkerFault(fault) ? fault : '',
    latency_ms: latencyMs,
  };
  const order = await workerPolicy.execute(() =>
    processOrder(request, { callOptions: { deadline: Date.now() + deadlineMs } }),
  );
  sendJson(res, 200, { order, stock });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  if (url.pathname === '/healthz') {
    sendJson(res, 200, { status: 'ok' });
    return;
  }
  if (url.pathname === '/ready') {
    ready(req, res);
    return;
  }
  const match = /^\/orders\/([^/]+)$/.exec(url.pathname);
  if (req.method !== 'GET' || !match) {
    throw new FaultlineError({ code: 'not_found', message: `no route ${req.method} ${pathOf(req.url)}` });
  }
  await getOrder(req, res, url, decodeURIComponent(match[1]!));
}

const server = createServer(
  withProblemDetails(handle, { onError: (err) => log.error({ err }, 'request failed') }),
);
server.keepAliveTimeout = 5_000;
server.on('error', (err) => {
  log.fatal({ err }, `cannot listen on ${host}:${port}`);
  process.exitCode = 1;
});
server.listen(port, host, () => {
  log.info(
    { worker: workerAddress, inventory: inventoryUrl, deadlineMs },
    `gateway listening on ${host}:${port}`,
  );
});
