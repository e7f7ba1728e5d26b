import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CircuitBreakerFaultlinePolicy,
  circuitBreaker,
  fastifyReadyHandler,
  type HealthReport,
  readyHandler,
} from '../src/index.js';
import { resetOutcomes } from '../src/outcomes.js';

let worker: CircuitBreakerFaultlinePolicy;
beforeEach(() => {
  resetOutcomes();
  worker = circuitBreaker({ name: 'ready-worker' });
});
afterEach(() => {
  worker.dispose();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function probe(url: string) {
  const res = await fetch(url);
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    cache: res.headers.get('cache-control'),
    body: (await res.json()) as HealthReport,
  };
}

/** Healthy, then the critical breaker held open: unhealthy. */
async function expectBothStates(url: string) {
  const healthy = await probe(url);
  expect(healthy).toMatchObject({
    status: 200,
    type: 'application/json; charset=utf-8',
    cache: 'no-store',
    body: { status: 'healthy', reasons: [] },
  });
  const held = worker.isolate();
  try {
    const unhealthy = await probe(url);
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.body).toMatchObject({
      status: 'unhealthy',
      reasons: ["circuit breaker 'ready-worker' (critical) is open (held open)"],
      breakers: [{ name: 'ready-worker', state: 'open', critical: true }],
    });
  } finally {
    held.dispose();
  }
}

describe('ready handlers on real servers (127.0.0.1)', () => {
  it('node:http', async () => {
    const server = createServer(readyHandler({ criticalBreakers: ['ready-worker'] }));
    try {
      const url = await listen(server);
      await expectBothStates(url);
      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    } finally {
      server.close();
    }
  });

  it('Express 5', async () => {
    const app = express();
    app.get('/ready', readyHandler({ criticalBreakers: ['ready-worker'] }));
    const server = createServer(app);
    try {
      await expectBothStates(`${await listen(server)}/ready`);
    } finally {
      server.close();
    }
  });

  it('Fastify 5', async () => {
    const app = Fastify();
    app.get('/ready', fastifyReadyHandler({ criticalBreakers: ['ready-worker'] }));
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      await expectBothStates(`${address}/ready`);
    } finally {
      await app.close();
    }
  });

  it('a degraded service is still ready (200)', async () => {
    const server = createServer(readyHandler());
    const held = worker.isolate();
    try {
      const { status, body } = await probe(await listen(server));
      expect(status).toBe(200);
      expect(body.status).toBe('degraded');
    } finally {
      held.dispose();
      server.close();
    }
  });

  it('checks its options when created, not on every probe', () => {
    expect(() => readyHandler({ minCalls: 0 })).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_HEALTH_OPTION' }),
    );
    expect(() => fastifyReadyHandler({ windowMs: 1 })).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_HEALTH_OPTION' }),
    );
  });
});
