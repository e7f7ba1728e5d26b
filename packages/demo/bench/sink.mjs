// An OTLP/HTTP sink for the demo benches: accepts every export and drops it, like a healthy
// collector, and counts the trace exports (so a bench can tell that its services really traced).
import { once } from 'node:events';
import { createServer } from 'node:http';

/** @returns {Promise<{ url: string, traceExports: () => number, close: () => void }>} */
export async function startSink() {
  let traces = 0;
  const server = createServer((req, res) => {
    if (req.url === '/v1/traces') traces++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    traceExports: () => traces,
    close: () => server.close(),
  };
}
