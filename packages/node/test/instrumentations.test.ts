import { describe, expect, it } from 'vitest';
import { otlpEnv, REGISTER_CJS, runNode } from './support/child.js';
import { KIND, STATUS, useReceiver } from './support/suite.js';

const receiver = useReceiver();

describe('Fastify 5 under --require @faultline/node/register', () => {
  it('produces server spans, and a 5xx route gets error.type and ERROR', async () => {
    const result = await runNode(['--require', REGISTER_CJS, 'fastify-app.cjs'], {
      ...otlpEnv(receiver().url),
      OTEL_SERVICE_NAME: 'svc-fastify',
      OTEL_METRICS_EXPORTER: 'none',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('GET /boom -> 500');
    expect(result.stdout).toContain('DONE');

    const server = (route: string) =>
      receiver().waitForSpan(
        (s) =>
          s.resource['service.name'] === 'svc-fastify' &&
          s.kind === KIND.SERVER &&
          s.attributes['url.path'] === route,
      );
    const ok = await server('/ok');
    expect(ok.status.code).not.toBe(STATUS.ERROR);
    expect(ok.attributes['error.type']).toBeUndefined();

    // The handler threw a plain Error: @fastify/otel recorded it on its handler span, and the server
    // span carries that error's code (not the "500" instrumentation-http writes).
    const boom = await server('/boom');
    expect(boom.attributes['http.response.status_code']).toBe(500);
    expect(boom.status.code).toBe(STATUS.ERROR);
    expect(boom.attributes['error.type']).toBe('execution_failed');
    expect(boom.attributes['faultline.error.category']).toBe('execution');
    expect(boom.attributes['http.route']).toBe('/boom');

    const unavailable = await server('/unavailable');
    expect(unavailable.status.code).toBe(STATUS.ERROR);
    expect(unavailable.attributes['error.type']).toBe('503');

    // @fastify/otel's own spans are in the same trace as the server span.
    const fastifySpans = receiver().spans.filter(
      (s) => s.resource['service.name'] === 'svc-fastify' && s.scope === '@fastify/otel',
    );
    expect(fastifySpans.some((s) => s.traceId === boom.traceId)).toBe(true);
  });
});

describe('OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
  it('=http: the app serves requests and makes fetch calls, yet no http span is produced', async () => {
    const result = await runNode(['--require', REGISTER_CJS, 'cjs-app.cjs'], {
      ...otlpEnv(receiver().url),
      OTEL_SERVICE_NAME: 'svc-no-http',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('READY');
    // The process has exited, so everything it flushed has arrived; the fetch (undici) client spans
    // and the app's own span show that spans were exported.
    const mine = receiver().spans.filter((s) => s.resource['service.name'] === 'svc-no-http');
    expect(mine.some((s) => s.kind === KIND.CLIENT && s.scope.includes('undici'))).toBe(true);
    expect(mine.some((s) => s.name === 'work')).toBe(true);
    expect(mine.filter((s) => s.scope.includes('instrumentation-http'))).toEqual([]);
    expect(mine.filter((s) => s.kind === KIND.SERVER)).toEqual([]);
  });
});
