// One span per attempt, not two, with the real fetch instrumentation (@opentelemetry/instrumentation-undici)
// and a real loopback server: the operation span, and under it the instrumentation's CLIENT span of
// each attempt, marked with faultline.retry.attempt and, from the second on, http.request.resend_count.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, trace } from '@opentelemetry/api';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retry, SPAN } from '../src/index.js';
import { uniqueName } from './support/faults.js';
import { installSdk, type Telemetry } from './support/sdk.js';

let server: Server;
let url: string;
let otel: Telemetry;
let undici: UndiciInstrumentation;
let failuresLeft = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    if (failuresLeft-- > 0) res.writeHead(503).end();
    else res.end('42');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`;
  otel = installSdk();
  undici = new UndiciInstrumentation();
  undici.setTracerProvider(trace.getTracerProvider());
  undici.enable();
});

afterAll(async () => {
  undici.disable();
  await otel.shutdown();
  await new Promise((resolve) => server.close(resolve));
});

describe('attempts as the client spans of the real fetch instrumentation', () => {
  it('three attempts: one operation span and three marked CLIENT spans under it, nothing else', async () => {
    failuresLeft = 2;
    const name = uniqueName('fetch');
    const policy = retry({ name, method: 'GET', initialDelayMs: 1, jitter: 'none' });
    const answer = await policy.execute(async ({ signal }) => {
      const res = await fetch(url, { signal });
      if (!res.ok) throw Object.assign(new Error(`answered ${res.status}`), { status: res.status });
      return res.text();
    });
    expect(answer).toBe('42');

    const spans = otel.spans();
    const op = otel.span(name);
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(spans).toHaveLength(4);
    expect(clients).toHaveLength(3);
    for (const c of clients) {
      expect(c.parentSpanContext?.spanId).toBe(op.spanContext().spanId);
      expect(c.attributes['http.request.method']).toBe('GET');
    }
    const byAttempt = [...clients].sort(
      (a, b) => Number(a.attributes[SPAN.ATTEMPT]) - Number(b.attributes[SPAN.ATTEMPT]),
    );
    expect(byAttempt.map((c) => c.attributes[SPAN.ATTEMPT])).toEqual([1, 2, 3]);
    expect(byAttempt.map((c) => c.attributes[SPAN.RESEND_COUNT])).toEqual([undefined, 1, 2]);
    expect(byAttempt.map((c) => c.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    expect(op.attributes[SPAN.ATTEMPTS]).toBe(3);
    expect(op.events.filter((e) => e.name === SPAN.EVENT_RETRY)).toHaveLength(2);
  });

  it('a POST is not repeated after the server answered 503 (not idempotent)', async () => {
    failuresLeft = 1;
    otel.exporter.reset();
    const name = uniqueName('post');
    const policy = retry({ name, method: 'POST', initialDelayMs: 1 });
    const error = await policy
      .execute(async ({ signal }) => {
        const res = await fetch(url, { method: 'POST', body: '{}', signal });
        if (!res.ok) throw Object.assign(new Error(`answered ${res.status}`), { status: res.status });
        return res.text();
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ details: { retry: { attempts: 1, gaveUpBecause: 'not_idempotent' } } });
    const clients = otel.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients.map((c) => c.attributes[SPAN.ATTEMPT])).toEqual([1]);
  });
});
