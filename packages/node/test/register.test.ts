import { describe, expect, it } from 'vitest';
import { freePort, otlpEnv, REGISTER_CJS, runNode, spawnNode } from './support/child.js';
import type { ReceivedSpan } from './support/otlp-receiver.js';
import { KIND, STATUS, useReceiver } from './support/suite.js';

const receiver = useReceiver();

describe('node --require @faultline/node/register (CommonJS app)', () => {
  it('exports mapped spans, pino lines as log records, and serves faultline_errors_total with service_name', async () => {
    const app = spawnNode(['--require', REGISTER_CJS, 'cjs-app.cjs'], {
      ...otlpEnv(receiver().url),
      OTEL_SERVICE_NAME: 'svc-cjs',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      STAY: '1',
    });
    const [, port] = await app.waitForLine(/READY prometheus=(\d+)/);

    const server500 = await receiver().waitForSpan(
      (s) =>
        s.resource['service.name'] === 'svc-cjs' &&
        s.kind === KIND.SERVER &&
        s.attributes['http.response.status_code'] === 500,
    );
    expect(server500.status.code).toBe(STATUS.ERROR);
    expect(server500.attributes['error.type']).toBe('500');
    expect(server500.attributes['faultline.error.code']).toBe('internal_error');
    expect(server500.attributes['faultline.error.category']).toBe('system');
    expect(server500.resource['deployment.environment.name']).toBe('test');
    expect(receiver().contentTypes.has('application/x-protobuf')).toBe(true);

    // undici (fetch) client span for the same request, failed per the client rule (5xx).
    const client500 = await receiver().waitForSpan(
      (s) =>
        s.resource['service.name'] === 'svc-cjs' &&
        s.kind === KIND.CLIENT &&
        s.attributes['http.response.status_code'] === 500,
    );
    expect(client500.scope).toContain('undici');
    expect(client500.attributes['error.type']).toBe('500');

    // recordError on a 404 server span: error recorded, yet the server span is not failed (4xx rule).
    const recorded = await receiver().waitForSpan(
      (s) =>
        s.resource['service.name'] === 'svc-cjs' &&
        s.kind === KIND.SERVER &&
        s.attributes['faultline.error.code'] === 'not_found',
    );
    expect(recorded.status.code).not.toBe(STATUS.ERROR);
    expect(recorded.events.some((e) => e.name === 'exception')).toBe(true);

    // pino: stdout carries trace context and the structured error; the line is also an OTel log record.
    const line = app
      .stdout()
      .split('\n')
      .find((l) => l.includes('order lookup failed'));
    expect(line).toBeDefined();
    const json = JSON.parse(line!);
    expect(json.trace_id).toBe(recorded.traceId);
    expect(json.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(json.trace_flags).toBe('01');
    expect(json.err).toMatchObject({ code: 'not_found', category: 'not_found', retryable: false });
    expect(json.err.cause).toMatchObject({ name: 'Error', message: 'row missing' });
    const logRecord = await receiver().waitForLog((l) => l.body === 'order lookup failed');
    expect(logRecord.traceId).toBe(recorded.traceId);
    expect(logRecord.attributes['exception.type']).toBe('not_found');

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const series = metrics.split('\n').filter((l) => l.startsWith('faultline_errors_total{'));
    const notFound = series.filter((l) => l.includes('error_type="not_found"'));
    for (const line of notFound) {
      expect(line).toContain('service_name="svc-cjs"');
      expect(line).toContain('error_category="not_found"');
    }
    // Two failures with that type, each counted once under its operation: the server span's
    // recordError (node:http has no route template: method and "(no route)", never the raw path),
    // and the fetch client span that received the 404 (a client span fails on any 4xx), outside
    // any request: method and peer.
    const byOperation = Object.fromEntries(
      notFound.map((l) => [/operation="([^"]*)"/.exec(l)?.[1], Number(l.split(' ').at(-1))]),
    );
    expect(byOperation, notFound.join('\n')).toEqual({ 'GET (no route)': 1, 'GET 127.0.0.1': 1 });

    app.child.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.signal).toBe('SIGTERM');
  });
});

describe('node --import @faultline/node/register (ESM app)', () => {
  it('instruments ESM imports of express and pino without --experimental-loader', async () => {
    const result = await runNode(['--import', '@faultline/node/register', 'esm-app.mjs'], {
      ...otlpEnv(receiver().url),
      OTEL_SERVICE_NAME: 'svc-esm',
      OTEL_METRICS_EXPORTER: 'none',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('experimental-loader');
    const handler = await receiver().waitForSpan(
      (s) =>
        s.resource['service.name'] === 'svc-esm' &&
        s.scope.includes('express') &&
        s.status.code === STATUS.ERROR,
    );
    const server = await receiver().waitForSpan(
      (s) =>
        s.resource['service.name'] === 'svc-esm' &&
        s.kind === KIND.SERVER &&
        s.attributes['http.response.status_code'] === 500,
    );
    expect(server.traceId).toBe(handler.traceId);
    expect(handler.attributes['faultline.error.code']).toBeTruthy();
    expect(server.attributes['error.type']).toBeTruthy();
    const okLine = JSON.parse(result.stdout.split('\n').find((l) => l.includes('served ok'))!);
    expect(okLine.trace_id).toMatch(/^[0-9a-f]{32}$/);
    await receiver().waitForLog((l) => l.body === 'served ok' && l.traceId === okLine.trace_id);
  });
});

describe('process-level failures', () => {
  it('an uncaught exception is recorded and flushed, then Node prints it and exits 1 as usual', async () => {
    const result = await runNode(['--require', REGISTER_CJS, 'crash-app.cjs'], {
      ...otlpEnv(receiver().url, { OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000' }),
      OTEL_SERVICE_NAME: 'svc-crash',
      OTEL_METRICS_EXPORTER: 'otlp',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error: boom from the app');
    expect(result.stderr).toMatch(/at Timeout\._onTimeout \(.*crash-app\.cjs:\d+/);
    // Exported only by our flush-before-exit: the batch delays are 60 s.
    const log = receiver().logs.find((l) => l.resource['service.name'] === 'svc-crash');
    expect(log?.severityText).toBe('FATAL');
    expect(log?.attributes['exception.message']).toBe('boom from the app');
    expect(log?.attributes['faultline.error.origin']).toBe('uncaughtException');
    // Node reports the exception inside the timer's async context, so the span active at the throw is
    // known: it gets the error, is ended by the crash and exported, and the record is linked to it.
    const span = receiver().spans.find(
      (s) => s.resource['service.name'] === 'svc-crash' && s.name === 'crashing-op',
    );
    expect(span?.status.code).toBe(STATUS.ERROR);
    expect(span?.events.find((e) => e.name === 'exception')?.attributes['exception.message']).toBe(
      'boom from the app',
    );
    expect(log?.spanId).toBe(span?.spanId);
    const counted = receiver().metrics.find(
      (m) => m.name === 'faultline.errors' && m.resource['service.name'] === 'svc-crash',
    );
    // One crash, one count, labelled with its origin.
    expect(counted?.value).toBe(1);
    expect(counted?.attributes.operation).toBe('uncaughtException');
  });

  /** Runs crash-server.cjs, sends `paths` in order (each after the previous reached the app), waits for the crash. */
  async function crashServer(service: string, paths: string[]) {
    const app = spawnNode(['--require', REGISTER_CJS, 'crash-server.cjs'], {
      // Exported only by the flush before exit: the batch delays are 60 s.
      ...otlpEnv(receiver().url, { OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000' }),
      OTEL_SERVICE_NAME: service,
      OTEL_METRICS_EXPORTER: 'none',
    });
    const [, port] = await app.waitForLine(/READY port=(\d+)/);
    const requests: Array<Promise<unknown>> = [];
    for (const path of paths) {
      // The process dies before it answers: each fetch fails.
      requests.push(fetch(`http://127.0.0.1:${port}${path}`).catch((error: unknown) => error));
      if (path === '/slow') await app.waitForLine(/SLOW RECEIVED/);
    }
    const exit = await app.exited;
    const answers = await Promise.all(requests);
    for (const answer of answers) expect(answer).toBeInstanceOf(Error);
    const spans = receiver().spans.filter(
      (s) => s.resource['service.name'] === service && s.kind === KIND.SERVER,
    );
    const logs = receiver().logs.filter((l) => l.resource['service.name'] === service);
    const byPath = (path: string) => spans.find((s) => s.attributes['url.path'] === path);
    return { exit, spans, logs, byPath };
  }

  function expectCrashed(span: ReceivedSpan | undefined, message: string) {
    expect(span?.status.code).toBe(STATUS.ERROR);
    expect(span?.status.message).toContain(message);
    expect(span?.attributes['faultline.error.origin']).toBe('uncaughtException');
    expect(span?.attributes['error.type']).toBeTruthy();
    const events = span?.events.filter((e) => e.name === 'exception') ?? [];
    expect(events).toHaveLength(1);
    expect(events[0]?.attributes['exception.message']).toBe(message);
  }

  it('a handler that throws asynchronously: its SERVER span (active at the throw) is exported with the exception and ERROR, then exit 1', async () => {
    const { exit, spans, logs, byPath } = await crashServer('svc-crash-server', ['/boom']);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('Error: async handler exploded');
    expect(exit.stderr).toMatch(/at Timeout\._onTimeout \(.*crash-server\.cjs:\d+/);
    expect(spans).toHaveLength(1);
    expectCrashed(byPath('/boom'), 'async handler exploded');
    expect(logs).toHaveLength(1);
    expect(logs[0]?.severityText).toBe('FATAL');
    expect(logs[0]?.spanId).toBe(byPath('/boom')?.spanId);
  });

  it('a throw from outside any request context still ends the one request in flight, and the FATAL record is linked to it', async () => {
    const { exit, logs, byPath } = await crashServer('svc-crash-detached', ['/boom-detached']);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('Error: background job exploded');
    expectCrashed(byPath('/boom-detached'), 'background job exploded');
    expect(logs).toHaveLength(1);
    expect(logs[0]?.severityText).toBe('FATAL');
    expect(logs[0]?.spanId).toBe(byPath('/boom-detached')?.spanId);
  });

  it('a crash with two requests in flight and no active span ends both SERVER spans; the FATAL record is linked to neither', async () => {
    const { exit, spans, logs, byPath } = await crashServer('svc-crash-two', ['/slow', '/boom-detached']);
    expect(exit.code).toBe(1);
    expect(spans).toHaveLength(2);
    expectCrashed(byPath('/slow'), 'background job exploded');
    expectCrashed(byPath('/boom-detached'), 'background job exploded');
    const fatal = logs.filter((l) => l.severityText === 'FATAL');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]?.spanId).toBe('');
  });

  it('an unhandled rejection is recorded and flushed, and still ends the process with code 1', async () => {
    const result = await runNode(['--require', REGISTER_CJS, 'crash-app.cjs'], {
      ...otlpEnv(receiver().url, { OTEL_BLRP_SCHEDULE_DELAY: '60000' }),
      OTEL_SERVICE_NAME: 'svc-reject',
      OTEL_METRICS_EXPORTER: 'none',
      CRASH_MODE: 'reject',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('rejected and nobody cared');
    const log = receiver().logs.find((l) => l.resource['service.name'] === 'svc-reject');
    expect(log?.severityText).toBe('FATAL');
    expect(log?.attributes['faultline.error.origin']).toBe('unhandledRejection');
    const span = receiver().spans.find(
      (s) => s.resource['service.name'] === 'svc-reject' && s.name === 'crashing-op',
    );
    expect(span?.status.code).toBe(STATUS.ERROR);
    expect(span?.attributes['faultline.error.origin']).toBe('unhandledRejection');
  });

  it('keeps --unhandled-rejections=warn behaviour: warning printed, exit 0, rejection recorded', async () => {
    const result = await runNode(
      ['--unhandled-rejections=warn', '--require', REGISTER_CJS, 'crash-app.cjs'],
      {
        ...otlpEnv(receiver().url),
        OTEL_SERVICE_NAME: 'svc-warn',
        OTEL_METRICS_EXPORTER: 'none',
        CRASH_MODE: 'reject',
      },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('UnhandledPromiseRejectionWarning');
    const log = receiver().logs.find((l) => l.resource['service.name'] === 'svc-warn');
    expect(log?.severityText).toBe('ERROR');
    expect(String(log?.attributes['exception.stacktrace'])).toContain('rejected and nobody cared');
  });

  it('user uncaughtException and unhandledRejection handlers still run and keep the process alive', async () => {
    const a = await runNode(['--require', REGISTER_CJS, 'crash-app.cjs'], {
      ...otlpEnv(receiver().url),
      OTEL_SERVICE_NAME: 'svc-user-uncaught',
      OTEL_METRICS_EXPORTER: 'none',
      USER_HANDLER: 'uncaught',
    });
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('USER HANDLER boom from the app');
    expect(a.stdout).toContain('STILL RUNNING');
    const logA = await receiver().waitForLog((l) => l.resource['service.name'] === 'svc-user-uncaught');
    expect(logA.severityText).toBe('ERROR');

    const b = await runNode(['--require', REGISTER_CJS, 'crash-app.cjs'], {
      ...otlpEnv(receiver().url),
      OTEL_SERVICE_NAME: 'svc-user-rejection',
      OTEL_METRICS_EXPORTER: 'none',
      CRASH_MODE: 'reject',
      USER_HANDLER: 'rejection',
    });
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('USER REJECTION HANDLER rejected and nobody cared');
    const span = await receiver().waitForSpan((s) => s.resource['service.name'] === 'svc-user-rejection');
    expect(span.name).toBe('crashing-op');
    expect(span.attributes['faultline.error.code']).toBeTruthy();
  });

  it('SIGTERM flushes, then the process ends by the signal (Node default)', async () => {
    const app = spawnNode(['--require', REGISTER_CJS, 'idle-app.cjs'], {
      ...otlpEnv(receiver().url, { OTEL_BSP_SCHEDULE_DELAY: '60000' }),
      OTEL_SERVICE_NAME: 'svc-sigterm',
      OTEL_METRICS_EXPORTER: 'none',
    });
    await app.waitForLine(/READY/);
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(
      receiver().spans.some(
        (s) => s.resource['service.name'] === 'svc-sigterm' && s.name === 'before-signal',
      ),
    ).toBe(true);
  });

  it('a user SIGTERM handler decides: we flush, the app closes itself and exits 0', async () => {
    const app = spawnNode(['--require', REGISTER_CJS, 'idle-app.cjs'], {
      ...otlpEnv(receiver().url, { OTEL_BSP_SCHEDULE_DELAY: '60000' }),
      OTEL_SERVICE_NAME: 'svc-sigterm-user',
      OTEL_METRICS_EXPORTER: 'none',
      USER_SIGNAL_HANDLER: '1',
    });
    await app.waitForLine(/READY/);
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('USER SIGTERM');
    expect(receiver().spans.some((s) => s.resource['service.name'] === 'svc-sigterm-user')).toBe(true);
  });
});
