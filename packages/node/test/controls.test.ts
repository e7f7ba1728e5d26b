// The record controls and the correlation headers on the register's path, in a real Express app
// in a child process with the upstream instrumentations (issue 10, items 5 and 6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorSeries, type Series, seriesDelta } from './frameworks/support.js';
import { ensureBuilt, freePort, otlpEnv, type RunningChild, spawnNode } from './support/child.js';
import { KIND, STATUS, useReceiver } from './support/suite.js';

const receiver = useReceiver();

interface App {
  child: RunningChild;
  port: number;
  promPort: number;
  service: string;
}

async function startControlsApp(service: string, env: Record<string, string>): Promise<App> {
  await ensureBuilt();
  const promPort = await freePort();
  const child = spawnNode(['controls-app.cjs'], {
    ...otlpEnv(receiver().url),
    OTEL_SERVICE_NAME: service,
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
    ...env,
  });
  const [, port] = await child.waitForLine(/READY port=(\d+)/, 20_000);
  return { child, port: Number(port), promPort, service };
}

async function stop(app: App | undefined) {
  app?.child.child.kill('SIGTERM');
  await app?.child.exited;
}

function serverSpan(app: App, path: string) {
  return receiver().waitForSpan(
    (s) =>
      s.resource['service.name'] === app.service &&
      s.kind === KIND.SERVER &&
      s.attributes['url.path'] === path,
    10_000,
  );
}

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the spans');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const total = (delta: Series[]) => delta.reduce((n, s) => n + s.value, 0);

describe('record controls under the register', () => {
  let app: App | undefined;
  beforeAll(async () => {
    app = await startControlsApp('svc-controls', {
      FAULTLINE_IGNORE_CODES: 'not_found',
      FAULTLINE_EXCEPTION_RATE_LIMIT: '3',
    });
  }, 60_000);
  afterAll(() => stop(app));

  it('an ignored code is neither recorded on any span nor counted; the answer is the app’s', async () => {
    const a = app!;
    const before = await errorSeries(a);
    const res = await fetch(`http://127.0.0.1:${a.port}/ignored/1`);
    expect(res.status).toBe(404);
    const server = await serverSpan(a, '/ignored/1');
    const trace = receiver().spans.filter((s) => s.traceId === server.traceId);
    for (const s of trace) expect(s.attributes['faultline.error.code'], s.name).toBeUndefined();
    expect(server.status.code).toBe(STATUS.UNSET);
    expect(seriesDelta(before, await errorSeries(a))).toEqual([]);
  });

  it('beforeRecord: a dropped record leaves no code and no count; a changed one is recorded as changed', async () => {
    const a = app!;
    let before = await errorSeries(a);
    expect((await fetch(`http://127.0.0.1:${a.port}/dropped/1`)).status).toBe(403);
    const dropped = await serverSpan(a, '/dropped/1');
    for (const s of receiver().spans.filter((x) => x.traceId === dropped.traceId))
      expect(s.attributes['faultline.error.code'], s.name).toBeUndefined();
    expect(seriesDelta(before, await errorSeries(a))).toEqual([]);

    before = await errorSeries(a);
    expect((await fetch(`http://127.0.0.1:${a.port}/changed/1`)).status).toBe(409);
    const changed = await serverSpan(a, '/changed/1');
    expect(changed.attributes['faultline.error.code']).toBe('conflict');
    expect(changed.attributes['faultline.error.severity']).toBe('medium');
    const delta = seriesDelta(before, await errorSeries(a));
    expect(delta).toHaveLength(1);
    expect(delta[0]?.labels).toMatchObject({
      error_type: 'conflict',
      error_severity: 'medium',
      operation: 'GET /changed/:id',
    });
    expect(delta[0]?.value).toBe(1);
  });

  it('the storm guard: the same failure 10 times keeps 3 full exception events, marks the rest suppressed, counts all 10', async () => {
    const a = app!;
    const before = await errorSeries(a);
    // Within one second: the guard's window.
    await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`http://127.0.0.1:${a.port}/storm/${i}`)));
    const servers = await Promise.all(Array.from({ length: 10 }, (_, i) => serverSpan(a, `/storm/${i}`)));
    const traceIds = new Set(servers.map((s) => s.traceId));
    await until(
      () =>
        receiver().spans.filter(
          (s) =>
            traceIds.has(s.traceId) &&
            s.name === 'request handler' &&
            s.events.some((e) => e.name === 'exception'),
        ).length >= 10,
    );
    // Each request's handler spans (express and router layers) carry the exception event.
    const handlers = receiver().spans.filter(
      (s) =>
        traceIds.has(s.traceId) &&
        s.name === 'request handler' &&
        s.events.some((e) => e.name === 'exception'),
    );
    expect(handlers).toHaveLength(10);
    const full = handlers.filter((s) =>
      s.events.some((e) => typeof e.attributes['exception.stacktrace'] === 'string'),
    );
    const suppressed = handlers.filter((s) => s.attributes['faultline.error.suppressed'] === true);
    expect(full.length).toBeLessThanOrEqual(3);
    expect(full.length + suppressed.length).toBe(10);
    for (const s of suppressed) {
      expect(s.attributes['faultline.error.code']).toBe('execution_failed');
      expect(s.status.code).toBe(STATUS.ERROR);
      const event = s.events.find((e) => e.name === 'exception');
      expect(event?.attributes['exception.stacktrace']).toBeUndefined();
      expect(event?.attributes['exception.message']).toBe('the same failure, again');
    }
    const delta = seriesDelta(before, await errorSeries(a));
    expect(total(delta)).toBe(10);
    expect(delta[0]?.labels).toMatchObject({ error_type: 'execution_failed', operation: 'GET /storm/:id' });
  });
});

describe('the correlation ID on every response', () => {
  let on: App | undefined;
  let off: App | undefined;
  let unsampled: App | undefined;
  beforeAll(async () => {
    [on, off, unsampled] = await Promise.all([
      startControlsApp('svc-headers', {}),
      startControlsApp('svc-headers-off', { FAULTLINE_TRACE_RESPONSE: 'false' }),
      startControlsApp('svc-headers-unsampled', { OTEL_TRACES_SAMPLER: 'always_off' }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([stop(on), stop(off), stop(unsampled)]);
  });

  it('success and failure answers carry traceresponse and x-correlation-id naming the SERVER span', async () => {
    for (const path of ['/ok/7', '/storm/7', '/changed/7']) {
      const res = await fetch(`http://127.0.0.1:${on!.port}${path}`);
      const server = await serverSpan(on!, path);
      expect(res.headers.get('traceresponse'), path).toBe(`00-${server.traceId}-${server.spanId}-01`);
      expect(res.headers.get('x-correlation-id'), path).toBe(server.traceId);
    }
  });

  it('a header the app sets itself wins', async () => {
    const res = await fetch(`http://127.0.0.1:${on!.port}/own-header/1`);
    expect(res.headers.get('x-correlation-id')).toBe('set-by-the-app');
    expect(res.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('FAULTLINE_TRACE_RESPONSE=false: neither header', async () => {
    const res = await fetch(`http://127.0.0.1:${off!.port}/ok/1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('traceresponse')).toBeNull();
    expect(res.headers.get('x-correlation-id')).toBeNull();
  });

  it('an unsampled request gets no traceresponse (its trace is not recorded) but still its correlation ID', async () => {
    const res = await fetch(`http://127.0.0.1:${unsampled!.port}/storm/1`);
    expect(res.status).toBe(500);
    expect(res.headers.get('traceresponse')).toBeNull();
    expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get('x-correlation-id')).not.toBe('00000000000000000000000000000000');
  });
});
