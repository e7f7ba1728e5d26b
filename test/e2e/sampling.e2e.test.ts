// Issue 14, item 3, measured end to end on the shared stack (sampling 10%): 2,000 requests to a
// register app, 30% of them failing with a code of every category (4xx answers leave the server
// span UNSET but carry error.type and faultline.error.*). Every failing correlation ID must be in
// Jaeger and have its log lines in VictoriaLogs; the OK share kept must be 10% ± 3 points.
import { eventually } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type App, inJaeger, logsQuery, pool, startApp } from './support.js';

const stack = inject('stack');
const SERVICE = 'sampling-e2e';
const TOTAL = 2_000;
const CONFIGURED_PERCENT = 10;
/** One code per category of the taxonomy (docs/architecture.md, "Wire mapping"). */
const CODES = [
  'invalid_params',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'conflict',
  'rate_limited',
  'operation_timeout',
  'connection_failed',
  'service_unavailable',
  'dependency_failed',
  'execution_failed',
  'configuration_error',
  'internal_error',
  'cancelled',
];

let app: App;

beforeAll(async () => {
  app = await startApp('logging-app.cjs', SERVICE, stack.urls.otlpHttp);
});

afterAll(async () => {
  await app?.stop();
});

describe(`tail sampling keeps every failing trace (${TOTAL} requests, 30% failing)`, () => {
  it('finds 100% of the failing IDs in Jaeger and their log lines in VictoriaLogs; OK traces at the configured rate', async () => {
    // The plan: every 10th request of 10 has 3 failures, the codes in turn; shuffled order is not
    // needed (the sampler decides per trace ID, which is random).
    const plan = Array.from({ length: TOTAL }, (_, i) =>
      i % 10 < 3 ? CODES[Math.floor(i / 10) % CODES.length] : undefined,
    );
    const results = await pool(plan, 12, async (code) => {
      const res = await fetch(`http://127.0.0.1:${app.port}${code ? `/fail?code=${code}` : '/ok'}`);
      await res.arrayBuffer();
      return { code, status: res.status, id: res.headers.get('x-correlation-id') ?? '' };
    });
    const failing = results.filter((r) => r.code !== undefined);
    const ok = results.filter((r) => r.code === undefined);
    expect(failing).toHaveLength(600);
    expect(failing.every((r) => r.status >= 400)).toBe(true);
    expect(ok.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.id)).size).toBe(TOTAL);
    // Every category answered with its status: 400, 401, 403, 404, 409, 429, 504, 503, 502, 500, 499.
    expect(new Set(failing.map((r) => r.status)).size).toBeGreaterThanOrEqual(11);

    // Logs: every request wrote lines (OK: one; failing: a warning and an error), none sampled.
    const logs = await eventually(
      `log lines of all ${TOTAL} requests in VictoriaLogs`,
      async () => {
        const lines = await logsQuery(
          stack.urls.logs,
          `service.name:="${SERVICE}" | fields trace_id, _msg`,
          20_000,
        );
        const byTrace = new Map<string, string[]>();
        for (const l of lines) byTrace.set(l.trace_id!, [...(byTrace.get(l.trace_id!) ?? []), l._msg!]);
        return results.every((r) => byTrace.has(r.id)) ? byTrace : undefined;
      },
      90_000,
      2_000,
    );
    for (const r of failing) expect(logs.get(r.id), r.id).toContain('order failed');

    // Traces: wait for the last failing one (decision wait + batching), then look every ID up.
    await eventually(
      'the last failing trace in Jaeger',
      async () => ((await inJaeger(stack.urls.jaegerQuery, failing.at(-1)!.id)) ? true : undefined),
      90_000,
    );
    const missing = await eventually(
      'every failing trace in Jaeger',
      async () => {
        const found = await pool(failing, 8, (r) => inJaeger(stack.urls.jaegerQuery, r.id));
        const lost = failing.filter((_, i) => !found[i]);
        return lost.length === 0 ? lost : undefined;
      },
      60_000,
      3_000,
    ).catch(async () => {
      const found = await pool(failing, 8, (r) => inJaeger(stack.urls.jaegerQuery, r.id));
      return failing.filter((_, i) => !found[i]);
    });
    expect(missing.map((r) => `${r.code} ${r.id}`)).toEqual([]);

    const keptOk = (await pool(ok, 8, (r) => inJaeger(stack.urls.jaegerQuery, r.id))).filter(Boolean).length;
    const share = (100 * keptOk) / ok.length;
    console.log(
      `[sampling] ${failing.length}/${failing.length} failing traces kept; OK kept ${keptOk}/${ok.length} = ${share.toFixed(1)}% (configured ${CONFIGURED_PERCENT}%)`,
    );
    expect(Math.abs(share - CONFIGURED_PERCENT)).toBeLessThanOrEqual(3);
  }, 240_000);
});
