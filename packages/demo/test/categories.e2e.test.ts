// Every error category raised in the worker (gRPC) reaches the HTTP client through the gateway as
// problem+json with the worker's code and the trace ID as correlation ID, and Jaeger holds the
// whole path (gateway server span → gRPC client span → worker server span) as one trace.
import { ERROR_CATEGORIES, lookupErrorCode, PROBLEM_CONTENT_TYPE } from '@faultline/errors';
import { eventually, explainTrace } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_CODES, registerDemoCodes } from '../src/codes.js';
import { allSpans, type DemoUnderTest, findBelow, jaegerTree, startDemo } from './support/e2e.js';

const stack = inject('stack');
registerDemoCodes();

/** instrumentation-grpc names both spans of a call `grpc.<service>/<method>`. */
const PROCESS = 'grpc.faultline.demo.v1.Worker/Process';

interface Answer {
  status: number;
  contentType: string | null;
  header: string | null;
  body: { code?: string; category?: string; correlationId?: string; status?: number };
}

describe('gateway → worker failures across real processes', () => {
  let demo: DemoUnderTest;
  const answers = new Map<string, Answer>();

  beforeAll(async () => {
    demo = await startDemo(stack, {
      // The breaker must not turn later categories into circuit_open: this test is about codes.
      gateway: {
        GATEWAY_BREAKER_KIND: 'consecutive',
        GATEWAY_BREAKER_THRESHOLD: '100000',
        GATEWAY_RETRY_DELAY_MS: '5',
      },
    });
    for (const category of ERROR_CATEGORIES) {
      const res = await fetch(`${demo.gatewayUrl}/orders/ord-${category}?fault=${category}`);
      answers.set(category, {
        status: res.status,
        contentType: res.headers.get('content-type'),
        header: res.headers.get('x-correlation-id'),
        body: (await res.json()) as Answer['body'],
      });
    }
  });

  afterAll(async () => {
    await demo?.close();
  });

  it.each([...ERROR_CATEGORIES])(
    '%s: problem+json with the worker code and the correlation ID',
    (category) => {
      const answer = answers.get(category)!;
      const code = DEMO_CODES[category];
      expect(answer.body.code).toBe(code);
      expect(answer.body.category).toBe(category);
      expect(answer.status).toBe(lookupErrorCode(code)!.httpStatus);
      expect(answer.body.status).toBe(answer.status);
      expect(answer.contentType).toContain(PROBLEM_CONTENT_TYPE);
      expect(answer.body.correlationId).toMatch(/^[0-9a-f]{32}$/);
      expect(answer.header).toBe(answer.body.correlationId);
    },
  );

  it('answers each category with its own correlation ID', () => {
    const ids = new Set([...answers.values()].map((a) => a.body.correlationId));
    expect(ids.size).toBe(ERROR_CATEGORIES.length);
  });

  it.each([...ERROR_CATEGORIES])(
    '%s: one trace in Jaeger, gateway server span → gRPC client span → worker server span',
    async (category) => {
      const id = answers.get(category)!.body.correlationId!;
      const code = DEMO_CODES[category];
      const tree = await jaegerTree(stack, id, (t) => {
        const spans = allSpans(t);
        return (
          spans.some((s) => s.service === 'worker' && s.kind === 'SERVER') &&
          spans.some((s) => s.service === 'gateway' && s.kind === 'SERVER')
        );
      });
      expect(tree.traceId).toBe(id);
      const roots = tree.roots.filter((r) => r.service === 'gateway' && r.kind === 'SERVER');
      expect(roots).toHaveLength(1);
      const root = roots[0]!;
      const client = findBelow(
        root,
        (s) => s.service === 'gateway' && s.kind === 'CLIENT' && s.name === PROCESS,
      );
      expect(client, 'gRPC client span under the gateway server span').toBeDefined();
      expect(client!.errorType).toBe(code);
      const server = client!.children.find((s) => s.service === 'worker' && s.kind === 'SERVER');
      expect(server, 'worker server span as the client span child').toBeDefined();
      expect(server!.name).toBe(PROCESS);
      expect(server!.attributes['faultline.error.code']).toBe(code);
      expect(server!.attributes['faultline.error.category']).toBe(category);
      expect(server!.exceptions.length).toBeGreaterThan(0);
      // The error started in the worker; the gateway only passed it on.
      expect(server!.role).toBe('origin');
      expect(root.role).toBe('passed');
    },
  );

  it('explains a real failing request: origin in the worker, its cause chain, the path above', async () => {
    const id = answers.get('network')!.body.correlationId!;
    // Retryable: the gateway tries three times, and each attempt reaches the worker.
    await jaegerTree(
      stack,
      id,
      (t) => allSpans(t).filter((s) => s.service === 'worker' && s.kind === 'SERVER').length === 3,
    );
    const result = await explainTrace(id, stack.urls.jaegerQuery);
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain(`error started in: worker ${PROCESS} (ledger_unreachable)`);
    expect(result.output).toMatch(/caused by: Error: connect ECONNREFUSED/);
    expect(result.output).toContain('(passed on)');
    expect(result.output).toContain('(ledger_unreachable) x3');
    expect(result.tree!.origins.map((o) => o.service)).toEqual(['worker', 'worker', 'worker']);
  });
});

describe('deadline, crash and inventory faults across real processes', () => {
  let demo: DemoUnderTest;

  beforeAll(async () => {
    demo = await startDemo(
      stack,
      {
        gateway: {
          GATEWAY_BREAKER_KIND: 'consecutive',
          GATEWAY_BREAKER_THRESHOLD: '100000',
          GATEWAY_DEADLINE_MS: '300',
          GATEWAY_RETRY_ATTEMPTS: '1',
        },
        inventory: { INVENTORY_OUTAGE_MS: '1500' },
      },
      1_000,
    );
  });

  afterAll(async () => {
    await demo?.close();
  });

  const get = async (fault: string) => {
    const res = await fetch(`${demo.gatewayUrl}/orders/ord-1?fault=${fault}`);
    return { status: res.status, body: (await res.json()) as { code?: string; correlationId?: string } };
  };

  it('a deadline the worker sleeps past is a 504 deadline_exceeded', async () => {
    const { status, body } = await get('deadline');
    expect(status).toBe(504);
    expect(body.code).toBe('deadline_exceeded');
  });

  it("inventory answering 503 is the gateway's 502 inventory_failed, caused by inventory_unavailable", async () => {
    const { status, body } = await get('inventory_503');
    expect(status).toBe(502);
    expect(body.code).toBe('inventory_failed');
    const result = await (async () => {
      await jaegerTree(stack, body.correlationId!, (t) => allSpans(t).some((s) => s.service === 'inventory'));
      return explainTrace(body.correlationId!, stack.urls.jaegerQuery);
    })();
    expect(result.output).toContain('error started in: inventory');
    expect(result.output).toContain('[inventory_unavailable]');
  });

  it('a worker crash is UNAVAILABLE at the gateway, and the restarted worker answers again', async () => {
    const { status, body } = await get('crash');
    expect(status).toBe(503);
    expect(body.code).toBe('service_unavailable');
    await demo.workerReady(30_000);
    expect(demo.workerExits()).toBe(1);
    // The gateway's channel reconnects with a short backoff; the first call may still find it down.
    const healthy = await eventually(
      'a healthy answer from the restarted worker',
      async () => {
        const res = await fetch(`${demo.gatewayUrl}/orders/ord-2`);
        await res.body?.cancel();
        return res.status === 200 ? res.status : undefined;
      },
      30_000,
      500,
    );
    expect(healthy).toBe(200);
  });

  it('an inventory outage refuses connections until it listens again', async () => {
    const first = await get('inventory_down');
    expect(first.body.code).toBe('inventory_failed');
    const during = await get('');
    expect(during.status).toBe(502);
    await new Promise((r) => setTimeout(r, 2_500));
    const after = await fetch(`${demo.gatewayUrl}/orders/ord-3`);
    expect(after.status).toBe(200);
  });
});
