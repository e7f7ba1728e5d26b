import { createServer } from 'node:http';
import { configureFaultline, type FaultlineError, resetFaultlineConfig } from '@faultline/errors';
import { SpanStatusCode } from '@opentelemetry/api';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  expressProblemHandler,
  fastifyProblemHandler,
  type ProblemHandlerOptions,
  withProblemDetails,
} from '../src/index.js';
import { CATEGORY_ROWS, failure } from './support/cases.js';
import { type Listening, listen, listenNode, startTracing } from './support/servers.js';

const tracing = startTracing();
const answered: FaultlineError[] = [];
const options: ProblemHandlerOptions = { onError: (err) => answered.push(err) };
const servers: Record<string, Listening> = {};
let fastify: FastifyInstance;

beforeAll(async () => {
  servers.node = await listenNode(
    tracing.serverSpans(
      withProblemDetails(async (req, res) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const fail = url.searchParams.get('fail');
        if (fail && url.searchParams.get('how') === 'sync') throw failure(fail);
        await new Promise((resolve) => setImmediate(resolve));
        if (fail) throw failure(fail);
        res.end('ok');
      }, options),
    ),
  );

  const app = express();
  app.get('/orders/:id', (req, _res, next) => {
    const fail = String(req.query.fail ?? '');
    if (req.query.how === 'next') return next(failure(fail));
    if (req.query.how === 'async') return Promise.reject(failure(fail));
    throw failure(fail);
  });
  app.post('/json', express.json(), (req, res) => {
    res.json(req.body);
  });
  app.get('/partial', (_req, res) => {
    res.write('half an answer');
    throw new Error('failed after the headers went out');
  });
  app.use(expressProblemHandler(options));
  servers.express = await listen(createServer(tracing.serverSpans(app)));

  fastify = Fastify({ serverFactory: (handler) => createServer(tracing.serverSpans(handler)) });
  fastify.setErrorHandler(fastifyProblemHandler(options));
  fastify.get<{ Querystring: { fail?: string } }>('/orders/:id', async (request) => {
    throw failure(request.query.fail ?? '');
  });
  fastify.post(
    '/validated',
    { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
    async () => 'ok',
  );
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const address = fastify.server.address() as { port: number };
  servers.fastify = { url: `http://127.0.0.1:${address.port}`, close: () => fastify.close() };
});

afterAll(async () => {
  for (const server of Object.values(servers)) await server.close();
  await tracing.shutdown();
});

afterEach(() => resetFaultlineConfig());

function lastAnswered(): FaultlineError {
  const err = answered.at(-1);
  if (!err) throw new Error('nothing was answered');
  return err;
}

const FRAMEWORKS = ['node', 'express', 'fastify'] as const;
const PATH = { node: '/orders/7', express: '/orders/7', fastify: '/orders/7' };

describe.each(FRAMEWORKS)('%s: every category arrives at fetch as the same FaultlineError', (framework) => {
  it.each(CATEGORY_ROWS)('%s', async (category, code, status) => {
    const base = servers[framework]!.url;
    const res = await fetch(`${base}${PATH[framework]}?fail=${category}&token=s3cret`);
    const sent = lastAnswered();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('x-correlation-id')).toBe(sent.correlationId);
    expect(res.headers.get('retry-after')).toBe(
      sent.retryAfterMs === undefined ? null : String(Math.ceil(sent.retryAfterMs / 1000)),
    );
    const got = await errorFromResponse(res);
    expect(sent.code).toBe(code);
    expect(got).toMatchObject({
      code: sent.code,
      category: sent.category,
      severity: sent.severity,
      retryable: sent.retryable,
      retryAfterMs: sent.retryAfterMs,
      correlationId: sent.correlationId,
      remote: true,
      service: new URL(base).host,
    });
    expect(got?.details).toMatchObject({ httpStatus: status, instance: PATH[framework] });
    // Recorded on the server span, whose status follows the conventions: only 5xx fails it.
    const span = await tracing.spanInTrace(sent.correlationId);
    expect(span?.attributes['error.type']).toBe(code);
    expect(span?.attributes['faultline.error.category']).toBe(category);
    expect(span?.status.code).toBe(status >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
  });
});

describe.each(FRAMEWORKS)('%s: what leaves the server', (framework) => {
  it('production: no stack, no internals; operational messages kept', async () => {
    const base = servers[framework]!.url;
    const internal = await fetch(`${base}${PATH[framework]}?fail=execution`);
    const body = (await internal.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'urn:faultline:problem:execution_failed',
      title: 'Execution failed',
      status: 500,
      code: 'execution_failed',
      category: 'execution',
      retryable: false,
      correlationId: internal.headers.get('x-correlation-id'),
      detail: 'The code failed while running (a bug or an unexpected state).',
    });
    expect(Object.keys(body)).not.toContain('stack');
    expect(Object.keys(body)).not.toContain('details');
    expect(JSON.stringify(body)).not.toContain('hunter2');
    const operational = await fetch(`${base}${PATH[framework]}?fail=not_found`);
    expect(((await operational.json()) as { detail: string }).detail).toBe('no order 7');
  });

  it('development: stack and causes are exposed', async () => {
    configureFaultline({ environment: 'development' });
    const res = await fetch(`${servers[framework]!.url}${PATH[framework]}?fail=system`);
    const body = (await res.json()) as { detail: string; stack: string; causes: unknown[] };
    expect(body.detail).toBe('invariant broken');
    expect(body.stack).toContain('cases.ts');
    expect(body.causes).toEqual([]);
  });

  it('values that are not FaultlineErrors are classified', async () => {
    const base = servers[framework]!.url;
    for (const [fail, code, status] of [
      ['string', 'unknown_error', 500],
      ['error', 'execution_failed', 500],
      ['econnrefused', 'connection_failed', 503],
    ] as const) {
      const res = await fetch(`${base}${PATH[framework]}?fail=${fail}`);
      expect(res.status).toBe(status);
      const got = await errorFromResponse(res);
      expect(got?.code).toBe(code);
      expect(got?.message).not.toContain('swordfish');
    }
  });
});

describe('framework specifics', () => {
  it('node:http: a synchronous throw is answered too', async () => {
    const res = await fetch(`${servers.node!.url}/x?fail=conflict&how=sync`);
    expect(res.status).toBe(409);
    expect((await errorFromResponse(res))?.code).toBe('conflict');
  });

  it('express: next(err), a rejected promise, and a body-parser error', async () => {
    const base = servers.express!.url;
    for (const how of ['next', 'async']) {
      const res = await fetch(`${base}/orders/7?fail=rate_limit&how=${how}`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect((await errorFromResponse(res))?.code).toBe('rate_limited');
    }
    const bad = await fetch(`${base}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(bad.status).toBe(400);
    expect((await errorFromResponse(bad))?.category).toBe('validation');
  });

  it('express: an error after the headers went out cuts the response (Express closes it)', async () => {
    const res = await fetch(`${servers.express!.url}/partial`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('fastify: a schema validation error is a validation problem', async () => {
    const res = await fetch(`${servers.fastify!.url}/validated`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    const got = await errorFromResponse(res);
    expect(got).toMatchObject({ code: 'invalid_params', category: 'validation' });
    expect(got?.message).toContain('name');
  });
});
