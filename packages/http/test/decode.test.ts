import type { ServerResponse } from 'node:http';
import { isErrorCategory, isFaultlineError } from '@faultline/errors';
import fc from 'fast-check';
import { request, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureOk, errorFromResponse, parseRetryAfter, retryAfterHeader } from '../src/index.js';
import { type Listening, listenNode } from './support/servers.js';

const started: Listening[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.close();
});

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  const server = await listenNode((_req, res) => handler(res));
  started.push(server);
  return server.url;
}

describe('errorFromResponse', () => {
  it('returns undefined for a response that is not an error, leaving its body unread', async () => {
    const url = await serve((res) => res.end('fine'));
    const res = await fetch(url);
    expect(await errorFromResponse(res)).toBeUndefined();
    expect(await res.text()).toBe('fine');
    await expect(ensureOk(await fetch(url))).resolves.toBeInstanceOf(Response);
  });

  it('ensureOk throws the FaultlineError of an error response', async () => {
    const url = await serve((res) => {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ code: 'not_found', detail: 'no order 7', status: 404 }));
    });
    await expect(ensureOk(await fetch(url))).rejects.toMatchObject({
      code: 'not_found',
      message: 'no order 7',
    });
  });

  it('throws a usage error, with a stable code, for a value that is no response', async () => {
    for (const value of [null, {}, 'x', { status: 500 }]) {
      await expect(errorFromResponse(value as never)).rejects.toMatchObject({
        code: 'FAULTLINE_ERR_HTTP_NOT_A_RESPONSE',
      });
    }
  });

  it('without a problem body: the status, Retry-After (delta-seconds) and x-correlation-id', async () => {
    const url = await serve((res) => {
      res.writeHead(503, { 'content-type': 'text/html', 'retry-after': '120', 'x-correlation-id': 'abc123' });
      res.end('<h1>down</h1>');
    });
    const err = await errorFromResponse(await fetch(url));
    expect(err).toMatchObject({
      code: 'service_unavailable',
      category: 'resource',
      retryAfterMs: 120_000,
      correlationId: 'abc123',
      message: 'HTTP 503 Service Unavailable',
      service: new URL(url).host,
      remote: true,
    });
  });

  it('Retry-After as an HTTP-date, measured from `now`', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const url = await serve((res) => {
      res.writeHead(429, { 'retry-after': new Date(now + 30_000).toUTCString() });
      res.end();
    });
    const err = await errorFromResponse(await fetch(url), { now });
    expect(err).toMatchObject({ code: 'rate_limited', retryAfterMs: 30_000 });
    expect(parseRetryAfter(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2015-10-21T07:27:00Z'))).toBe(60_000);
    expect(parseRetryAfter('-1')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('99999999999')).toBeUndefined();
    expect(parseRetryAfter('4000000')).toBe(86_400_000);
    expect([0, 1, 999, 1000, 1001, 1500].map(retryAfterHeader)).toEqual(['0', '1', '1', '1', '2', '2']);
  });

  it('garbage bodies fall back to the status', async () => {
    const bodies = [
      '{"code": ',
      '[1,2,3]',
      '"just a string"',
      'null',
      '\u0000\u00ff garbage',
      '{"code": 42, "retryable": "yes"}',
    ];
    for (const body of bodies) {
      const url = await serve((res) => {
        res.writeHead(502, { 'content-type': 'application/problem+json' });
        res.end(body);
      });
      const err = await errorFromResponse(await fetch(url));
      expect(err).toMatchObject({ code: 'dependency_failed', category: 'dependency', retryable: true });
    }
  });

  it('a foreign JSON error body keeps what it can', async () => {
    const url = await serve((res) => {
      res.writeHead(409, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ title: 'Conflict', detail: 'version 3 is stale', retryAfterMs: 250 }));
    });
    const err = await errorFromResponse(await fetch(url), { service: 'orders' });
    expect(err).toMatchObject({
      code: 'conflict',
      message: 'version 3 is stale',
      retryAfterMs: 250,
      service: 'orders',
    });
  });

  const HUNDRED_MB = 100 * 1024 * 1024;

  /** A server that streams a 100 MB problem+json body (with or without a declared length). */
  async function hugeBody(declareLength: boolean) {
    const state = { written: 0 };
    let closed!: () => void;
    const done = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const url = await serve((res) => {
      res.writeHead(500, {
        'content-type': 'application/problem+json',
        ...(declareLength ? { 'content-length': String(HUNDRED_MB) } : {}),
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (state.written < HUNDRED_MB && !res.destroyed) {
          state.written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.once('close', () => closed());
      pump();
    });
    return { url, state, done };
  }

  it.each([
    ['chunked', false],
    ['with a declared length', true],
  ])(
    'a 100 MB body (%s) is not buffered: reading stops and the body is cancelled',
    async (_label, declared) => {
      const { url, state, done } = await hugeBody(declared);
      const err = await errorFromResponse(await fetch(url));
      expect(err).toMatchObject({ code: 'internal_error', message: 'HTTP 500 Internal Server Error' });
      await done;
      expect(state.written).toBeLessThan(HUNDRED_MB / 4);
    },
  );

  it('undici: request() results and undici fetch responses', async () => {
    const url = await serve((res) => {
      res.writeHead(429, {
        'content-type': 'application/problem+json',
        'retry-after': '3',
        'x-correlation-id': '0af7651916cd43dd8448eb211c80319c',
      });
      res.end(
        JSON.stringify({
          code: 'rate_limited',
          category: 'rate_limit',
          detail: 'slow down',
          severity: 'low',
        }),
      );
    });
    const viaRequest = await errorFromResponse(await request(url), { service: 'quota' });
    expect(viaRequest).toMatchObject({
      code: 'rate_limited',
      severity: 'low',
      retryAfterMs: 3_000,
      correlationId: '0af7651916cd43dd8448eb211c80319c',
      service: 'quota',
    });
    const viaFetch = await errorFromResponse(await undiciFetch(url));
    expect(viaFetch).toMatchObject({ code: 'rate_limited', retryAfterMs: 3_000, service: new URL(url).host });
    const big = await hugeBody(false);
    const huge = await errorFromResponse(await request(big.url));
    expect(huge?.code).toBe('internal_error');
    await big.done;
    expect(big.state.written).toBeLessThan(HUNDRED_MB / 4);
  });

  it('property: garbage bodies and headers never crash the decoder', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.string({ maxLength: 512 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.dictionary(fc.string(), fc.anything()).map((v) => JSON.stringify(v) ?? '{}'),
        ),
        fc.integer({ min: 400, max: 599 }),
        fc.constantFrom('application/problem+json', 'application/json', 'text/plain', 'x/y+json'),
        fc.stringMatching(/^[ -~]{0,40}$/),
        async (body, status, type, retryAfter) => {
          const res = new Response(body, {
            status,
            headers: { 'content-type': type, 'retry-after': retryAfter, 'x-correlation-id': retryAfter },
          });
          const err = await errorFromResponse(res);
          expect(isFaultlineError(err)).toBe(true);
          expect(isErrorCategory(err?.category)).toBe(true);
          expect(err?.remote).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});
