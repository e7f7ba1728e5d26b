// Issue 14, item 4, on a stack of its own (the shared one must not restart under other files):
// Jaeger (Badger) and VictoriaLogs restart mid-run and still have the earlier traces and logs; log
// records sent while the log store is down arrive once it is back (the collector retries); a whole
// new stack on the same data folder finds traces, logs, Prometheus samples and an Alertmanager
// silence again.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, promQuery, type RunningStack, startStack } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inJaeger, logsQuery } from './support.js';

const SERVICE = 'persistence-e2e';
const dataDir = mkdtempSync(join(tmpdir(), 'faultline-persist-'));
let stack: RunningStack;

const hex = (n: number) => randomBytes(n).toString('hex');

/** One failed span and one log record of the same trace, through the collector's OTLP/HTTP. */
async function send(s: RunningStack, traceId: string, message: string): Promise<void> {
  const now = String(BigInt(Date.now()) * 1_000_000n);
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: SERVICE } }] };
  const spanId = hex(8);
  const traces = await fetch(`${s.urls.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource,
          scopeSpans: [
            {
              scope: { name: 'e2e' },
              spans: [
                {
                  traceId,
                  spanId,
                  name: 'GET /persist',
                  kind: 2,
                  startTimeUnixNano: now,
                  endTimeUnixNano: now,
                  status: { code: 2 },
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  expect(traces.status).toBe(200);
  const logs = await fetch(`${s.urls.otlpHttp}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceLogs: [
        {
          resource,
          scopeLogs: [
            {
              scope: { name: 'e2e' },
              logRecords: [
                {
                  timeUnixNano: now,
                  severityNumber: 17,
                  severityText: 'ERROR',
                  body: { stringValue: message },
                  traceId,
                  spanId,
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  expect(logs.status).toBe(200);
}

async function logged(s: RunningStack, traceId: string): Promise<string[]> {
  return (await logsQuery(s.urls.logs, `trace_id:="${traceId}"`)).map((l) => l._msg ?? '');
}

function waitStored(s: RunningStack, traceId: string, message: string): Promise<true> {
  return eventually(
    `trace ${traceId} in Jaeger and its log line in VictoriaLogs`,
    async () =>
      (await inJaeger(s.urls.jaegerQuery, traceId)) && (await logged(s, traceId)).includes(message)
        ? true
        : undefined,
    60_000,
  );
}

beforeAll(async () => {
  stack = await startStack({ dataDir, samplingDecisionWaitSeconds: 1 });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the stores keep their data across restarts', () => {
  const before = hex(16);
  const whileDown = hex(16);
  let silenceId = '';

  it('Jaeger and VictoriaLogs restarted mid-run still have the earlier trace and log line', async () => {
    await send(stack, before, 'stored before the restart');
    await waitStored(stack, before, 'stored before the restart');
    await stack.restartProgram('jaeger');
    await stack.restartProgram('victorialogs');
    expect(await inJaeger(stack.urls.jaegerQuery, before)).toBe(true);
    expect(await logged(stack, before)).toEqual(['stored before the restart']);
  });

  it('loses no log record sent while the log store is down: the collector retries until it is back', async () => {
    await stack.stopProgram('victorialogs');
    await send(stack, whileDown, 'sent while the store was down');
    await new Promise((r) => setTimeout(r, 2_000));
    await stack.restartProgram('victorialogs');
    await waitStored(stack, whileDown, 'sent while the store was down');
  });

  it('a new stack on the same data folder finds traces, logs, metrics and silences again', async () => {
    // Prometheus has scraped the pipeline; Alertmanager holds a silence.
    const firstScrape = await eventually('a scraped sample', async () => {
      const r = await promQuery(stack.urls.prometheus, 'up{job="otel-collector"}');
      return r.length > 0 ? r[0]!.value[0] : undefined;
    });
    const silence = await fetch(`${stack.urls.alertmanager}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'PersistenceE2E', isRegex: false }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'persistence-e2e',
        comment: 'kept across restarts',
      }),
    });
    expect(silence.status).toBe(200);
    silenceId = ((await silence.json()) as { silenceID: string }).silenceID;
    // Prometheus writes its head block to the WAL; a few seconds of data are enough to find again.
    await new Promise((r) => setTimeout(r, 3_000));
    await stack.stop();

    stack = await startStack({ dataDir });
    expect(await inJaeger(stack.urls.jaegerQuery, before)).toBe(true);
    expect(await inJaeger(stack.urls.jaegerQuery, whileDown)).toBe(true);
    expect(await logged(stack, before)).toEqual(['stored before the restart']);
    expect(await logged(stack, whileDown)).toEqual(['sent while the store was down']);
    // A sample scraped by the first stack, read at its own time.
    const old = await promQuery(stack.urls.prometheus, `up{job="otel-collector"} @ ${firstScrape}`);
    expect(old.length).toBeGreaterThan(0);
    const silences = (await (await fetch(`${stack.urls.alertmanager}/api/v2/silences`)).json()) as Array<{
      id: string;
      status: { state: string };
      comment: string;
    }>;
    const kept = silences.find((s) => s.id === silenceId);
    expect(kept?.comment).toBe('kept across restarts');
    expect(kept?.status.state).toBe('active');
  });
});
