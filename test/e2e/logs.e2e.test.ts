// Issue 14, items 1 and 2: a register app's pino lines reach the real VictoriaLogs through the
// collector, scrubbed, with the request's trace_id and span_id; `faultline explain` (the real bin)
// prints them under the span that wrote them, and answers from the log lines alone for a trace
// the sampler did not keep.
import { spawn } from 'node:child_process';
import { eventually, logsUiLink } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SERVICE_LOGS_QUERY } from '../../grafana/src/index.js';
import { type App, inJaeger, logsQuery, repo, startApp } from './support.js';

const stack = inject('stack');
const SERVICE = 'logs-e2e';
const EXPLAIN = `${repo}packages/stack/bin/faultline.mjs`;
let app: App;

function explain(id: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [EXPLAIN, 'explain', id, '--jaeger', stack.urls.jaegerQuery, '--logs', stack.urls.logs],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

async function request(path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${app.port}${path}`);
  await res.arrayBuffer();
  const id = res.headers.get('x-correlation-id');
  expect(id, `x-correlation-id of ${path}`).toMatch(/^[0-9a-f]{32}$/);
  return id!;
}

/** The trace's lines in VictoriaLogs, once there are at least `n`. */
function linesOf(id: string, n: number): Promise<Array<Record<string, string>>> {
  return eventually(
    `${n} log lines of trace ${id} in VictoriaLogs`,
    async () => {
      const lines = await logsQuery(stack.urls.logs, `trace_id:="${id}"`);
      return lines.length >= n ? lines : undefined;
    },
    60_000,
  );
}

beforeAll(async () => {
  app = await startApp('logging-app.cjs', SERVICE, stack.urls.otlpHttp);
});

afterAll(async () => {
  await app?.stop();
});

describe('logs in the log store and in faultline explain', () => {
  let failedId = '';

  it('stores every pino line with its trace and span, scrubbed before storage', async () => {
    failedId = await request('/fail?code=dependency_failed');
    const lines = await linesOf(failedId, 2);
    const text = JSON.stringify(lines);
    // The app leaked three secrets in the message; none reached the store.
    for (const secret of ['hunter2', 's3cr3t-tok', 'abcdefghijklmnop']) expect(text).not.toContain(secret);
    const warn = lines.find((l) => l.severity_text === 'warn' || l.severity_number === '13');
    expect(warn?._msg).toContain('password=[REDACTED]');
    const error = lines.find((l) => l._msg === 'order failed');
    expect(error).toBeDefined();
    expect(error!['service.name']).toBe(SERVICE);
    // instrumentation-pino hands `err` to the logs SDK: its code becomes exception.type.
    expect(error!['exception.type']).toBe('dependency_failed');
    expect(error!['exception.message']).toBe('injected failure');
    expect(error!.span_id).toMatch(/^[0-9a-f]{16}$/);
    // The stream is the service, not every resource attribute (VL-Stream-Fields).
    expect(error!._stream).toBe(`{service.name="${SERVICE}"}`);
    // The errors dashboard's logs panel query, as Grafana sends it for this one service.
    const panel = await logsQuery(
      stack.urls.logs,
      SERVICE_LOGS_QUERY.replace(/\$\{service:regex\}/, SERVICE),
    );
    expect(panel.some((l) => l.trace_id === failedId)).toBe(true);
    // The web UI is served.
    const ui = await fetch(`${stack.urls.logs}/select/vmui/`);
    expect(ui.status).toBe(200);
    await ui.arrayBuffer();
  });

  it('faultline explain prints the log lines under the span that wrote them', async () => {
    await eventually(`trace ${failedId} in Jaeger`, async () =>
      (await inJaeger(stack.urls.jaegerQuery, failedId)) ? true : undefined,
    );
    const r = await explain(failedId);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    const server = lines.findIndex((l) => l.startsWith(`${SERVICE}  GET /fail`));
    expect(server, r.out).toBeGreaterThanOrEqual(0);
    const logged = lines.findIndex((l) =>
      /log \d\d:\d\d:\d\d\.\d{3} {2}ERROR {2}order failed {2}\[dependency_failed\]/.test(l),
    );
    expect(logged, r.out).toBeGreaterThan(server);
    expect(r.out).toMatch(
      /log \d\d:\d\d:\d\d\.\d{3} {2}WARN {3}calling the ledger with password=\[REDACTED\]/,
    );
    expect(lines.at(-1)).toBe(`logs: ${logsUiLink(stack.urls.logs, failedId)}`);
  });

  it('answers from the log lines alone for a trace the sampler did not keep', async () => {
    // OK traces are kept at 10%: of eight, at least one is not in Jaeger (all kept: 1 in 10^8).
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await request('/ok'));
    for (const id of ids) await linesOf(id, 1);
    // Past the decision (2 s wait + batching): a trace not in Jaeger now was dropped.
    const kept = await eventually('the sampler decisions', async () => {
      await new Promise((r) => setTimeout(r, 6_000));
      return Promise.all(ids.map((id) => inJaeger(stack.urls.jaegerQuery, id)));
    });
    const dropped = ids.find((_, i) => !kept[i]);
    expect(dropped).toBeDefined();
    const r = await explain(dropped!);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`trace ${dropped}: not in Jaeger at ${stack.urls.jaegerQuery}`);
    expect(r.out).toContain(`its 1 log line (services ${SERVICE}), by span:`);
    expect(r.out).toMatch(new RegExp(`^span [0-9a-f]{16} \\(${SERVICE}\\)$`, 'm'));
    expect(r.out).toMatch(/ {3}log \d\d:\d\d:\d\d\.\d{3} {2}INFO {3}logs-e2e {2}order served/);
  });
});
