// The HTTP-client rules against real errors: each client makes a real failed call to a loopback
// node:http server (429 with a hint, 503, a hang for the timeout, a reset) or to a closed port.
import axios from 'axios';
import got from 'got';
import ky from 'ky';
import nodeFetch from 'node-fetch';
import { Agent, interceptors, request, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, type Loopback, loopback } from './support/loopback.js';
import { type Classified, classify, thrown } from './support/rules.js';

let server: Loopback;
let refused: string;

beforeAll(async () => {
  server = await loopback((req, res) => {
    switch (req.url) {
      case '/429':
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{}');
        return;
      case '/429-date':
        res.writeHead(429, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() }).end();
        return;
      case '/429-ratelimit':
        res.writeHead(429, { 'ratelimit-reset': '7', 'ratelimit-remaining': '0' }).end();
        return;
      case '/429-x-ratelimit':
        res.writeHead(429, { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 30) }).end();
        return;
      case '/503':
        res.writeHead(503).end();
        return;
      case '/404':
        res.writeHead(404).end();
        return;
      case '/reset':
        req.socket.destroy();
        return;
      case '/hang':
        return; // never answers: the client's timer fires
      default:
        res.end('ok');
    }
  });
  refused = `http://127.0.0.1:${await closedPort()}/`;
});
afterAll(() => server.close());

function expectRateLimited(c: Classified, status = 429) {
  expect(c.code).toBe('rate_limited');
  expect(c.category).toBe('rate_limit');
  expect(c.retryable).toBe(true);
  expect(c.details['http.response.status_code']).toBe(status);
}

describe('axios', () => {
  it('a 429 is rate_limited with its Retry-After as retryAfterMs and the status and axios code as details', async () => {
    const c = classify(await thrown(() => axios.get(`${server.url}/429`)));
    expectRateLimited(c);
    expect(c.retryAfterMs).toBe(1000);
    expect(c.details['error.library_code']).toBe('ERR_BAD_REQUEST');
  });

  it('an HTTP-date Retry-After is the time until that date', async () => {
    const c = classify(await thrown(() => axios.get(`${server.url}/429-date`)));
    expectRateLimited(c);
    expect(c.retryAfterMs).toBeGreaterThan(100_000);
    expect(c.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('RateLimit-Reset and X-RateLimit-Reset (a Unix time) give the hint when Retry-After is absent', async () => {
    expect(classify(await thrown(() => axios.get(`${server.url}/429-ratelimit`))).retryAfterMs).toBe(7000);
    const x = classify(await thrown(() => axios.get(`${server.url}/429-x-ratelimit`)));
    expect(x.retryAfterMs).toBeGreaterThan(25_000);
    expect(x.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('a 503 is service_unavailable, a 404 not_found', async () => {
    const c = classify(await thrown(() => axios.get(`${server.url}/503`)));
    expect(c).toMatchObject({ code: 'service_unavailable', retryable: true, retryAfterMs: undefined });
    expect(c.details).toMatchObject({
      'http.response.status_code': 503,
      'error.library_code': 'ERR_BAD_RESPONSE',
    });
    expect(classify(await thrown(() => axios.get(`${server.url}/404`))).code).toBe('not_found');
  });

  it('its timeout (ECONNABORTED "timeout of 100ms exceeded") is operation_timeout, not connection_reset', async () => {
    const err = await thrown(() => axios.get(`${server.url}/hang`, { timeout: 100 }));
    expect((err as { code?: string }).code).toBe('ECONNABORTED');
    const c = classify(err);
    expect(c).toMatchObject({ code: 'operation_timeout', category: 'timeout', retryable: true });
    expect(c.details['error.library_code']).toBe('ECONNABORTED');
  });

  it('with clarifyTimeoutError its timeout is ETIMEDOUT, still operation_timeout', async () => {
    const err = await thrown(() =>
      axios.get(`${server.url}/hang`, { timeout: 100, transitional: { clarifyTimeoutError: true } }),
    );
    expect((err as { code?: string }).code).toBe('ETIMEDOUT');
    expect(classify(err).code).toBe('operation_timeout');
  });

  it('a cancel (AbortController) is cancelled', async () => {
    const controller = new AbortController();
    const err = await thrown(() => {
      const call = axios.get(`${server.url}/hang`, { signal: controller.signal });
      controller.abort();
      return call;
    });
    expect((err as { name?: string }).name).toBe('CanceledError');
    expect(classify(err)).toMatchObject({ code: 'cancelled', category: 'cancelled', retryable: false });
  });

  it('a refused connection is connection_failed, a reset connection_reset', async () => {
    expect(classify(await thrown(() => axios.get(refused)))).toMatchObject({
      code: 'connection_failed',
      retryable: true,
      details: { 'error.library_code': 'ECONNREFUSED' },
    });
    expect(classify(await thrown(() => axios.get(`${server.url}/reset`))).code).toBe('connection_reset');
  });
});

describe('got', () => {
  const options = { retry: { limit: 0 } };

  it('HTTPError 429 is rate_limited with the hint', async () => {
    const c = classify(await thrown(() => got(`${server.url}/429`, options)));
    expectRateLimited(c);
    expect(c.retryAfterMs).toBe(1000);
    expect(c.details['error.library_code']).toBe('ERR_NON_2XX_3XX_RESPONSE');
  });

  it('its whole-request timeout (event request) is operation_timeout', async () => {
    const whole = await thrown(() => got(`${server.url}/hang`, { ...options, timeout: { request: 100 } }));
    expect((whole as { event?: string }).event).toBe('request');
    expect(classify(whole).code).toBe('operation_timeout');
  });

  it('its lookup-phase timeout (event lookup) is network_timeout', async () => {
    // A resolver that never answers: got's own `timeout.lookup` timer fires.
    const err = await thrown(() =>
      got('http://never-resolves.test/', { ...options, dnsLookup: () => {}, timeout: { lookup: 50 } }),
    );
    expect((err as { event?: string }).event).toBe('lookup');
    expect(classify(err)).toMatchObject({ code: 'network_timeout', category: 'network', retryable: true });
  });

  it('RequestError over a refused connection is connection_failed, over a reset connection_reset', async () => {
    expect(classify(await thrown(() => got(refused, options))).code).toBe('connection_failed');
    expect(classify(await thrown(() => got(`${server.url}/reset`, options))).code).toBe('connection_reset');
  });
});

describe('ky', () => {
  it('HTTPError 429 is rate_limited with the hint read from the fetch Headers', async () => {
    const c = classify(await thrown(() => ky(`${server.url}/429`, { retry: 0 })));
    expectRateLimited(c);
    expect(c.retryAfterMs).toBe(1000);
  });

  it('TimeoutError is operation_timeout, NetworkError over a refused connection connection_failed', async () => {
    expect(classify(await thrown(() => ky(`${server.url}/hang`, { timeout: 100, retry: 0 }))).code).toBe(
      'operation_timeout',
    );
    const network = await thrown(() => ky(refused, { retry: 0 }));
    expect((network as Error).name).toBe('NetworkError');
    expect(classify(network)).toMatchObject({ code: 'connection_failed', retryable: true });
  });
});

describe('node-fetch', () => {
  it('FetchError type system: the system error code decides', async () => {
    expect(classify(await thrown(() => nodeFetch(refused)))).toMatchObject({
      code: 'connection_failed',
      details: { 'error.library_code': 'ECONNREFUSED' },
    });
    expect(classify(await thrown(() => nodeFetch(`${server.url}/reset`))).code).toBe('connection_reset');
  });

  it('an aborted request is cancelled', async () => {
    const controller = new AbortController();
    const err = await thrown(() => {
      const call = nodeFetch(`${server.url}/hang`, { signal: controller.signal });
      controller.abort();
      return call;
    });
    expect(classify(err).code).toBe('cancelled');
  });
});

describe("Node's fetch (undici)", () => {
  it('fetch failed over a refused connection is connection_failed (its cause decides)', async () => {
    const err = await thrown(() => fetch(refused));
    expect((err as Error).message).toBe('fetch failed');
    expect(classify(err)).toMatchObject({ code: 'connection_failed', retryable: true });
  });

  it('fetch failed over a reset is connection_reset', async () => {
    expect(classify(await thrown(() => fetch(`${server.url}/reset`))).code).toBe('connection_reset');
  });

  it('AbortSignal.timeout is operation_timeout, an abort cancelled', async () => {
    expect(
      classify(await thrown(() => fetch(`${server.url}/hang`, { signal: AbortSignal.timeout(50) }))).code,
    ).toBe('operation_timeout');
    const controller = new AbortController();
    const err = await thrown(() => {
      const call = fetch(`${server.url}/hang`, { signal: controller.signal });
      controller.abort();
      return call;
    });
    expect(classify(err).code).toBe('cancelled');
  });
});

describe('undici', () => {
  it("its headers timeout is network_timeout, alone and as the cause of fetch's 'fetch failed'", async () => {
    const agent = new Agent({ headersTimeout: 50 });
    try {
      const direct = await thrown(() => request(`${server.url}/hang`, { dispatcher: agent }));
      expect((direct as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
      expect(classify(direct)).toMatchObject({ code: 'network_timeout', retryable: true });
      const viaFetch = await thrown(() => undiciFetch(`${server.url}/hang`, { dispatcher: agent }));
      expect((viaFetch as Error).message).toBe('fetch failed');
      expect(classify(viaFetch).code).toBe('network_timeout');
    } finally {
      await agent.destroy();
    }
  });

  it("the responseError interceptor's 429 is rate_limited with the Retry-After hint", async () => {
    const agent = new Agent().compose(interceptors.responseError());
    try {
      const err = await thrown(() => request(`${server.url}/429`, { dispatcher: agent }));
      expect((err as { code?: string }).code).toBe('UND_ERR_RESPONSE');
      const c = classify(err);
      expectRateLimited(c);
      expect(c.retryAfterMs).toBe(1000);
    } finally {
      await agent.close();
    }
  });
});
