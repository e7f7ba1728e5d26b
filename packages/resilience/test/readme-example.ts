// README example: a flaky HTTP dependency behind retry + circuit breaker + timeout, and a readiness endpoint.
// Run it from packages/resilience after `pnpm build`: node test/readme-example.ts
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { circuitBreaker, readyHandler, retry, retryHistory, timeout, wrap } from '@faultline/resilience';

// One breaker per dependency, created once and shared by every call: that is what lets it count.
const breaker = circuitBreaker({
  name: 'worker',
  breaker: { kind: 'consecutive', threshold: 3 },
  halfOpenAfterMs: 10_000,
});

// Outermost first: retry each attempt through the breaker, each attempt bounded by 500 ms.
const callWorker = wrap(
  retry({ name: 'worker-call', maxAttempts: 3, initialDelayMs: 20, method: 'GET' }),
  breaker,
  timeout({ ms: 500 }),
);

export async function main() {
  let failuresLeft = 2;
  const worker = createServer((_req, res) => {
    if (failuresLeft-- > 0)
      res.writeHead(503).end(); // transient: retried
    else res.end('42');
  });
  await new Promise<void>((resolve) => worker.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(worker.address() as AddressInfo).port}/answer`;

  const ask = () =>
    callWorker.execute(async ({ signal }) => {
      const res = await fetch(url, { signal });
      // A status on the error is enough for the classifier: 503 is service_unavailable, retryable.
      if (!res.ok) throw Object.assign(new Error(`worker answered ${res.status}`), { status: res.status });
      return res.text();
    });

  const answer = await ask(); // '42', on the third attempt

  await new Promise((resolve) => worker.close(resolve)); // the worker goes away
  const down = await ask().catch((err: unknown) => err); // 3 refused connections: the breaker opens
  const fastFail = await ask().catch((err: unknown) => err); // rejected at once: circuit_open

  const probes = createServer(readyHandler({ criticalBreakers: ['worker'] }));
  await new Promise<void>((resolve) => probes.listen(0, '127.0.0.1', resolve));
  try {
    const ready = await fetch(`http://127.0.0.1:${(probes.address() as AddressInfo).port}/ready`);
    return {
      answer,
      down: retryHistory(down),
      fastFail: { error: fastFail, history: retryHistory(fastFail) },
      ready: { status: ready.status, body: await ready.json() },
    };
  } finally {
    probes.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { answer, down, fastFail, ready } = await main();
  console.log(answer); // 42
  console.log(down); // { policy: 'worker-call', attempts: 3, codes: [3 x 'connection_failed'], gaveUpBecause: 'exhausted', … }
  console.log(fastFail.history); // { attempts: 1, codes: ['circuit_open'], gaveUpBecause: 'circuit_open', … }
  console.log(ready.status, ready.body); // 503 { status: 'unhealthy', reasons: ["circuit breaker 'worker' (critical) is open (…)"], … }
  breaker.dispose();
}
