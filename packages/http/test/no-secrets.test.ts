import { createServer } from 'node:http';
import { configureFaultline, resetFaultlineConfig } from '@faultline/errors';
import express from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anySecretCase, leaks, type SecretCase, thrownWith } from '../../../test/support/secrets.js';
import { expressProblemHandler, withProblemDetails } from '../src/index.js';
import { type Listening, listen, listenNode } from './support/servers.js';

// Real servers on loopback answer errors whose message, cause, stack and details hold a secret;
// the bytes of every response body must not contain it, in production and in development.
let next: unknown;
const servers: Record<string, Listening> = {};

beforeAll(async () => {
  servers.node = await listenNode(
    withProblemDetails(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw next;
    }),
  );
  const app = express();
  app.get('/fail', (_req, _res, nextFn) => nextFn(next));
  app.get('/throw', () => {
    throw next;
  });
  app.use(expressProblemHandler());
  servers.express = await listen(createServer(app));
});

afterAll(async () => {
  for (const server of Object.values(servers)) await server.close();
  resetFaultlineConfig();
});

async function bodyOf(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe('no secret in an HTTP answer', () => {
  for (const mode of ['production', 'development'] as const) {
    it(`node:http and Express, ${mode} mode (property, real servers)`, async () => {
      configureFaultline({ environment: mode });
      await fc.assert(
        fc.asyncProperty(anySecretCase, fc.nat(), async (c: SecretCase, shape) => {
          for (const url of [
            `${servers.node!.url}/x`,
            `${servers.express!.url}/fail`,
            `${servers.express!.url}/throw`,
          ]) {
            next = thrownWith(c, shape);
            const { status, body } = await bodyOf(url);
            expect(status).toBeGreaterThanOrEqual(400);
            expect(leaks(body, c.secret), `${c.kind} from ${url}: ${body.toString('utf8')}`).toBe(false);
          }
        }),
        { numRuns: 40 },
      );
    });
  }

  it('a development answer still carries the redacted stack and causes', async () => {
    configureFaultline({ environment: 'development' });
    next = new Error('boom token=Abcdef123456789', { cause: new Error('inner') });
    const { body } = await bodyOf(`${servers.express!.url}/fail`);
    const problem = JSON.parse(body.toString('utf8')) as { stack: string; causes: unknown[] };
    expect(problem.stack).toMatch(/^Error: boom token=\[REDACTED\]\n {4}at /);
    expect(problem.causes).toEqual([{ type: 'Error', message: 'inner' }]);
  });
});
