// The demo's HTTP "inventory" dependency. Run: node --require @faultline/node/register dist/inventory.cjs
// Faults: header `x-fault: inventory_503` answers 503 problem+json; `x-fault: inventory_down` drops
// the connection and stops listening for INVENTORY_OUTAGE_MS (callers get connection refused).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FaultlineError } from '@faultline/errors';
import { withProblemDetails } from '@faultline/http';
import { INVENTORY_UNAVAILABLE, registerDemoCodes } from './codes.js';
import { intFrom, rateFrom, stringFrom } from './env.js';
import { environmentFault, faultList, type InventoryFault, isInventoryFault } from './faults.js';
import { logger } from './log.js';
import { pathOf } from './path.js';

registerDemoCodes();
const env = process.env;
const log = logger('inventory');
const port = intFrom(env, 'INVENTORY_PORT', 8081, 0, 65535);
const host = stringFrom(env, 'INVENTORY_HOST', '127.0.0.1');
const outageMs = intFrom(env, 'INVENTORY_OUTAGE_MS', 3_000, 100, 60_000);
const envFaults = faultList(env.INVENTORY_FAULT, isInventoryFault, 'INVENTORY_FAULT');
const envFaultRate = rateFrom(env, 'INVENTORY_FAULT_RATE', envFaults.length > 0 ? 1 : 0);
let outageUntil = 0;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Stops accepting connections for a while: callers see ECONNREFUSED, as with a dead process. */
function outage(req: IncomingMessage): void {
  outageUntil = Date.now() + outageMs;
  log.warn({ outageMs }, 'injected outage: inventory stops listening');
  req.socket.destroy();
  server.close();
  server.closeAllConnections();
  // Not unref'd: this timer is what keeps the process alive while nothing listens.
  setTimeout(listen, outageMs);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = pathOf(req.url);
  if (path === '/healthz') {
    send(res, 200, { status: 'ok' });
    return;
  }
  const match = /^\/stock\/([^/]+)$/.exec(path);
  if (req.method !== 'GET' || !match) {
    throw new FaultlineError({ code: 'not_found', message: `no route ${req.method} ${path}` });
  }
  const header = req.headers['x-fault'];
  const requested = typeof header === 'string' && isInventoryFault(header) ? header : undefined;
  const fault: InventoryFault | undefined = requested ?? environmentFault(envFaults, envFaultRate);
  if (fault === 'inventory_down') {
    outage(req);
    return;
  }
  if (fault === 'inventory_503') {
    throw new FaultlineError({
      code: INVENTORY_UNAVAILABLE,
      message: 'stock database is being failed over',
      retryAfterMs: 1_000,
    });
  }
  const sku = decodeURIComponent(match[1]!);
  send(res, 200, { sku, available: 1 + ((sku.length * 7) % 40) });
}

// Whatever the handler throws is answered as problem+json and logged with its structured `err`.
const server = createServer(
  withProblemDetails(handle, { onError: (err) => log.error({ err }, 'request failed') }),
);
server.keepAliveTimeout = 5_000;

function listen(): void {
  server.listen(port, host, () => {
    if (outageUntil > 0) log.info('outage over: inventory listens again');
    else
      log.info(
        { port, faults: envFaults, faultRate: envFaultRate },
        `inventory listening on ${host}:${port}`,
      );
  });
}

server.on('error', (err) => {
  log.fatal({ err }, `cannot listen on ${host}:${port}`);
  process.exitCode = 1;
});
listen();
