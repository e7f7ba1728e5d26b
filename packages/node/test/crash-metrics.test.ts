// A crash still pages when metrics are pulled (crash-metrics.ts): the fatal failure is critical,
// and its one faultline.errors increment is pushed over OTLP before the process ends, bounded by
// FAULTLINE_FLUSH_TIMEOUT_MS. Real children under the register, a real OTLP receiver on loopback.
import { createServer, type Server, type Socket } from 'node:net';
import { toFaultlineError } from '@faultline/errors';
import { describe, expect, it, vi } from 'vitest';
import { freePort, otlpEnv, REGISTER_CJS, spawnNode } from './support/child.js';
import type { ReceivedMetricPoint } from './support/otlp-receiver.js';
import { useReceiver } from './support/suite.js';

const receiver = useReceiver();
// Each test starts a child with the full instrumentation set on shared, loaded cores.
vi.setConfig({ testTimeout: 90_000 });

async function crashApp(service: string, env: Record<string, string>, endpoint = receiver().url) {
  const port = await freePort();
  const metricsPort = await freePort();
  const app = spawnNode(['--require', REGISTER_CJS, 'crash-metrics-app.cjs'], {
    ...otlpEnv(endpoint),
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
    PORT: String(port),
    ...env,
  });
  await app.waitForLine(/LISTENING/);
  // The handler throws: the connection is cut, not answered.
  await fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined);
  return { app, port, metricsPort };
}

const errorsOf = (service: string): ReceivedMetricPoint[] =>
  receiver().metrics.filter((m) => m.name === 'faultline.errors' && m.resource['service.name'] === service);

describe('a fatal crash with metrics pulled (the default)', () => {
  it('is critical, keeps its code and category, and its one increment is pushed before exit', async () => {
    const { app } = await crashApp('svc-crash-pull', { CRASH_CODE: 'dependency_failed' });
    const result = await app.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the ledger is gone');
    const points = errorsOf('svc-crash-pull');
    expect(points).toHaveLength(1);
    expect(points[0]?.value).toBe(1);
    expect(points[0]?.attributes).toEqual({
      'error.type': 'dependency_failed',
      'error.category': 'dependency',
      'error.severity': 'critical',
      operation: 'uncaughtException',
    });
    // A series of this process's own: the next crash of the service is a new increment.
    expect(points[0]?.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    // The FATAL log record says the same.
    const log = receiver().logs.find(
      (l) => l.resource['service.name'] === 'svc-crash-pull' && l.severityText === 'FATAL',
    );
    expect(log?.attributes['faultline.error.code']).toBe('dependency_failed');
    expect(log?.attributes['faultline.error.category']).toBe('dependency');
    expect(log?.attributes['faultline.error.severity']).toBe('critical');
  });

  it('a plain Error is classified as usual and made critical', async () => {
    const { app } = await crashApp('svc-crash-plain', {});
    expect((await app.exited).code).toBe(1);
    const points = errorsOf('svc-crash-plain');
    const expected = toFaultlineError(new Error('boom from the handler'));
    expect(expected.severity).not.toBe('critical');
    expect(points.map((p) => [p.attributes['error.type'], p.attributes['error.severity']])).toEqual([
      [expected.code, 'critical'],
    ]);
  });

  it('an unhandled rejection that ends the process is pushed the same way', async () => {
    const app = spawnNode(['--require', REGISTER_CJS, 'crash-app.cjs'], {
      ...otlpEnv(receiver().url),
      OTEL_SERVICE_NAME: 'svc-reject-pull',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      CRASH_MODE: 'reject',
    });
    const result = await app.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('rejected and nobody cared');
    const points = errorsOf('svc-reject-pull');
    expect(points).toHaveLength(1);
    expect(points[0]?.attributes).toMatchObject({
      'error.severity': 'critical',
      operation: 'unhandledRejection',
    });
  });

  it('pushes nothing more when metrics are pushed already: the regular reader carries the critical increment', async () => {
    const { app } = await crashApp('svc-crash-otlp', {
      CRASH_CODE: 'dependency_failed',
      OTEL_METRICS_EXPORTER: 'otlp',
    });
    expect((await app.exited).code).toBe(1);
    const critical = errorsOf('svc-crash-otlp').filter((p) => p.attributes['error.severity'] === 'critical');
    expect(critical).toHaveLength(1);
    expect(critical[0]?.value).toBe(1);
    // The request the throw ended is the same failure: not counted a second time (with its own
    // severity, under the request's operation) next to the crash.
    const all = errorsOf('svc-crash-otlp');
    expect(
      all.map((p) => p.attributes),
      JSON.stringify(all),
    ).toHaveLength(1);
  });
});

describe('a crash the app survives', () => {
  it('keeps its own severity, stays on /metrics and is not pushed', async () => {
    const { app, metricsPort } = await crashApp('svc-crash-handled', {
      CRASH_CODE: 'dependency_failed',
      USER_HANDLER: 'uncaught',
    });
    await app.waitForLine(/HANDLED the ledger is gone/);
    const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
    const lines = text.split('\n').filter((l) => l.startsWith('faultline_errors_total{'));
    // Counted once, by the request it failed, with its own severity.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('error_type="dependency_failed"');
    expect(lines[0]).toContain('error_severity="high"');
    expect(lines[0]).toMatch(/ 1$/);
    app.child.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
    expect(errorsOf('svc-crash-handled')).toEqual([]);
  });
});

describe('the push is bounded', () => {
  it('an endpoint nobody listens on does not change the exit', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const { app } = await crashApp('svc-crash-refused', { CRASH_CODE: 'dependency_failed' }, closed);
    const result = await app.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the ledger is gone');
  });

  it('an endpoint that never answers is given up after FAULTLINE_FLUSH_TIMEOUT_MS', async () => {
    // Accepts connections and reads nothing back: every export waits until we stop waiting.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    try {
      const { app } = await crashApp(
        'svc-crash-silent',
        { CRASH_CODE: 'dependency_failed', FAULTLINE_FLUSH_TIMEOUT_MS: '300' },
        `http://127.0.0.1:${port}`,
      );
      const result = await app.exited;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('FAULTLINE_ERR_FLUSH_TIMEOUT');
      expect(result.stderr).toContain('the ledger is gone');
      // It did try: the crash push (and the span flush) reached the endpoint.
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
