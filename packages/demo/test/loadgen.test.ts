import { createServer, type Server } from 'node:http';
import { freePort } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clampLoad, formatSummary, LIMITS, runLoad, sendOne, Tally } from '../src/loadgen.js';
import { parseMix } from '../src/mix.js';

/** A stand-in gateway: healthy requests answer 200, faults answer problem+json with a code. */
function fakeGateway(seen: string[]): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const fault = url.searchParams.get('fault') ?? '';
    seen.push(fault);
    const id = 'ab'.repeat(16);
    if (fault === '') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-correlation-id': id });
      res.end(JSON.stringify({ correlationId: id }));
      return;
    }
    res.writeHead(fault === 'execution' ? 500 : 404, { 'content-type': 'application/problem+json' });
    res.end(
      JSON.stringify({
        code: fault === 'execution' ? 'pricing_failed' : 'order_not_found',
        correlationId: `${fault.length}`.padStart(32, 'c'),
      }),
    );
  });
}

describe('the load generator', () => {
  const seen: string[] = [];
  let server: Server;
  let target: string;

  beforeAll(async () => {
    server = fakeGateway(seen);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    target = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('caps rate and duration whatever it is asked', () => {
    expect(clampLoad(10_000, 10_000)).toEqual({ rps: LIMITS.maxRps, durationS: LIMITS.maxDurationS });
    expect(clampLoad(0, 0)).toEqual({ rps: 0.1, durationS: 1 });
    expect(clampLoad(20, 30)).toEqual({ rps: 20, durationS: 30 });
  });

  it('sends at most rps × duration requests, tallies them by code, and schedules the crash once', async () => {
    seen.length = 0;
    const mix = parseMix('healthy:1,not_found:1');
    if (!mix.ok) throw new Error(mix.message);
    const lines: string[] = [];
    const summary = await runLoad({
      target,
      rps: 20,
      durationS: 1,
      mix: mix.mix,
      crashAtS: 0.01,
      progressEveryS: 0.5,
      onProgress: (line) => lines.push(line),
    });
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.sent).toBeLessThanOrEqual(20);
    expect(seen).toHaveLength(summary.sent);
    expect(seen.filter((f) => f === 'crash')).toHaveLength(1);
    expect(summary.ok + summary.failed).toBe(summary.sent);
    expect(summary.ok).toBe(seen.filter((f) => f === '').length);
    const codes = Object.values(summary.errorsByCode).reduce((n, e) => n + e.count, 0);
    expect(codes).toBe(summary.failed);
    expect(lines.at(-1)).toMatch(
      new RegExp(`sent ${summary.sent} {2}ok ${summary.ok} {2}errors ${summary.failed}`),
    );
  });

  it('stops early when its signal aborts', async () => {
    const mix = parseMix('healthy');
    if (!mix.ok) throw new Error(mix.message);
    const controller = new AbortController();
    controller.abort();
    const summary = await runLoad({
      target,
      rps: 20,
      durationS: 30,
      mix: mix.mix,
      signal: controller.signal,
      progressEveryS: 0,
    });
    expect(summary.sent).toBe(0);
  });

  it('reads the code and correlation ID of a failed request, and never throws', async () => {
    const failed = await sendOne(target, 'execution', 1);
    expect(failed).toMatchObject({ status: 500, code: 'pricing_failed' });
    expect(failed.correlationId).toMatch(/^c+9$/);
    const ok = await sendOne(target, 'healthy', 2);
    expect(ok).toMatchObject({ status: 200, correlationId: 'ab'.repeat(16) });
    expect(ok.code).toBeUndefined();
    const port = await freePort();
    const down = await sendOne(`http://127.0.0.1:${port}`, 'healthy', 3);
    expect(down.status).toBe(0);
    expect(down.code).toBe('client_econnrefused');
  });
});

describe('the tally and the summary', () => {
  it('prefers a failure that started deep in the worker as the one to look at', () => {
    const t = new Tally();
    t.sent = 4;
    t.add({
      entry: 'not_found',
      status: 404,
      code: 'order_not_found',
      correlationId: '1'.repeat(32),
      latencyMs: 2,
    });
    t.add({
      entry: 'inventory_503',
      status: 502,
      code: 'inventory_failed',
      correlationId: '2'.repeat(32),
      latencyMs: 3,
    });
    t.add({
      entry: 'execution',
      status: 500,
      code: 'pricing_failed',
      correlationId: '3'.repeat(32),
      latencyMs: 4,
    });
    t.add({ entry: 'healthy', status: 200, correlationId: '4'.repeat(32), latencyMs: 1 });
    const s = t.summary(1, 1.5);
    expect(s.failing?.correlationId).toBe('3'.repeat(32));
    expect(s).toMatchObject({ sent: 4, ok: 1, failed: 3 });
    expect(s.errorsByCode.order_not_found).toEqual({ count: 1, status: 404, correlationId: '1'.repeat(32) });
    const text = formatSummary(s);
    expect(text).toContain('load: 4 requests in 1.0 s (4.0 rps), last answer at 1.5 s: 1 ok, 3 failed');
    expect(text).toContain(`failing request: correlation ID ${'3'.repeat(32)} (pricing_failed, HTTP 500)`);
    expect(text).toMatch(/ {2}pricing_failed +500 +1/);
  });

  it('shows the most frequent codes first in progress lines', () => {
    const t = new Tally();
    t.sent = 3;
    t.add({ entry: 'conflict', status: 409, code: 'order_version_conflict', latencyMs: 1 });
    t.add({ entry: 'not_found', status: 404, code: 'order_not_found', latencyMs: 1 });
    t.add({ entry: 'not_found', status: 404, code: 'order_not_found', latencyMs: 1 });
    expect(t.progressLine(4)).toBe(
      '[  4s] sent 3  ok 0  errors 3: order_not_found 2, order_version_conflict 1',
    );
  });
});
