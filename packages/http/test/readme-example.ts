// README example: a node:http service answering problem+json, and a fetch client that gets the error back.
// Run it from packages/http after `pnpm build`: node test/readme-example.ts
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FaultlineError } from '@faultline/errors';
import { errorFromResponse, withProblemDetails } from '@faultline/http';

export async function main() {
  const server = createServer(
    withProblemDetails(async (req, res) => {
      if (req.url?.startsWith('/busy')) {
        // Thrown or rejected: answered as 429 problem+json with Retry-After: 2 and x-correlation-id.
        throw new FaultlineError({ code: 'rate_limited', message: 'try again shortly', retryAfterMs: 1_500 });
      }
      res.end('ok');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const res = await fetch(`${base}/busy`);
    const headers = {
      retryAfter: res.headers.get('retry-after'),
      correlation: res.headers.get('x-correlation-id'),
    };
    const failure = await errorFromResponse(res); // undefined for responses below 400
    const fine = await errorFromResponse(await fetch(`${base}/`));
    return { status: res.status, headers, failure, fine };
  } finally {
    server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { status, headers, failure } = await main();
  console.log(status, headers); // 429 { retryAfter: '2', correlation: '…' }
  if (failure) {
    const { code, category, retryable, retryAfterMs, remote, service, correlationId } = failure;
    console.log({ code, category, retryable, retryAfterMs, remote, service, correlationId });
    // { code: 'rate_limited', category: 'rate_limit', retryable: true, retryAfterMs: 1500, remote: true, service: '127.0.0.1:…', correlationId: '…' }
  }
}
