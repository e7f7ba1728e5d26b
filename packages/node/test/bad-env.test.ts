import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, REGISTER_CJS, runNode } from './support/child.js';

let busy: Server;
let busyPort: number;

beforeAll(async () => {
  await ensureBuilt();
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
}, 120_000);

afterAll(() => {
  killAll();
  busy?.close();
});

const BAD = () => ({
  OTEL_TRACES_EXPORTER: 'zipkin',
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'not a url',
  OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
  OTEL_EXPORTER_PROMETHEUS_PORT: String(busyPort),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'kafka',
});

describe('bad configuration', () => {
  it('is reported once per problem, naming the variable and accepted values, and the app keeps running', async () => {
    const r = await runNode(['--require', REGISTER_CJS, 'idle-app.cjs'], { ...BAD(), EXIT_AFTER_READY: '1' });
    expect(r.stdout).toContain('READY');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('[faultline]'));
    const has = (code: string, variable: string, accepted: string) =>
      lines.filter((l) => l.includes(code) && l.includes(variable) && l.includes(accepted));
    expect(has('FAULTLINE_ERR_UNKNOWN_EXPORTER', 'OTEL_TRACES_EXPORTER', 'otlp, console, none')).toHaveLength(
      1,
    );
    expect(has('FAULTLINE_ERR_INVALID_URL', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'http://')).toHaveLength(1);
    expect(has('FAULTLINE_ERR_PORT_IN_USE', 'OTEL_EXPORTER_PROMETHEUS_PORT', '1 to 65535')).toHaveLength(1);
    expect(
      has(
        'FAULTLINE_ERR_UNKNOWN_INSTRUMENTATION',
        'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
        'did you mean "kafkajs"',
      ),
    ).toHaveLength(1);
    expect(r.code).toBe(0);
  });

  it('is fatal with FAULTLINE_STRICT=true', async () => {
    const r = await runNode(['--require', REGISTER_CJS, 'idle-app.cjs'], {
      ...BAD(),
      FAULTLINE_STRICT: 'true',
      EXIT_AFTER_READY: '1',
    });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('READY');
    expect(r.stderr).toContain('FAULTLINE_ERR_STRICT');
  });

  it('OTEL_SDK_DISABLED=true starts nothing and reports nothing', async () => {
    const r = await runNode(['--require', REGISTER_CJS, 'idle-app.cjs'], {
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(busyPort),
      EXIT_AFTER_READY: '1',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('[faultline]');
  });
});
