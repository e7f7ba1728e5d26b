// Issue 7's pipeline-fault proof, on a stack of its own (the shared one must stay healthy): Jaeger
// goes down while spans keep arriving. JaegerDown pages through the real Alertmanager, the
// collector's failed exports make OtelCollectorExportFailing active, and the dashboard's
// "Collector failed to send" query, which needs a pipeline fault, returns data.
import { randomBytes } from 'node:crypto';
import { eventually, promQuery, type RunningStack, startStack } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPanelQueries, interpolate } from '../../grafana/src/index.js';

let stack: RunningStack;
let sending = true;
let sender: Promise<void> | undefined;

async function sendSpan(): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pipeline-fault-e2e' } }] },
        scopeSpans: [
          {
            scope: { name: 'e2e' },
            spans: [
              {
                traceId: randomBytes(16).toString('hex'),
                spanId: randomBytes(8).toString('hex'),
                name: 'GET /x',
                kind: 2,
                startTimeUnixNano: String(now - 1_000_000n),
                endTimeUnixNano: String(now),
                // Errors are always kept by tail sampling, so every span is exported to Jaeger.
                status: { code: 2 },
              },
            ],
          },
        ],
      },
    ],
  };
  await fetch(`${stack.urls.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.arrayBuffer());
}

async function alertState(name: string): Promise<string | undefined> {
  const body = (await (await fetch(`${stack.urls.prometheus}/api/v1/alerts`)).json()) as {
    data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
  };
  return body.data.alerts.find((a) => a.labels.alertname === name)?.state;
}

beforeAll(async () => {
  // Failed exports are counted once retries stop: 30 s here (the least the exporter accepts, its
  // max_interval) instead of the config's 300 s.
  stack = await startStack({ exportRetryMaxElapsedSeconds: 30 });
  // A bounded trickle of spans (one every 250 ms until the test ends) keeps the exporter busy.
  sender = (async () => {
    const until = Date.now() + 300_000;
    while (sending && Date.now() < until) {
      await sendSpan().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  // Let Prometheus see Jaeger up first, so the alert is about Jaeger going down.
  await eventually('jaeger scraped up', async () => {
    const r = await promQuery(stack.urls.prometheus, 'up{job="jaeger"} == 1');
    return r.length > 0 ? r : undefined;
  });
  await stack.stopProgram('jaeger');
}, 180_000);

afterAll(async () => {
  sending = false;
  await sender;
  await stack?.stop();
});

describe('a pipeline fault: Jaeger goes down', () => {
  it('pages JaegerDown through Alertmanager and makes the collector export failures visible', async () => {
    const delivered = await eventually(
      'JaegerDown delivered to the page receiver',
      async () =>
        stack.alerts.find(
          (a) => a.payload.status === 'firing' && a.payload.groupLabels.alertname === 'JaegerDown',
        ),
      180_000,
      2_000,
    );
    expect(delivered.path).toBe('/alerts/page');
    expect(delivered.payload.groupLabels).toEqual({ alertname: 'JaegerDown', service_name: 'jaeger' });

    const exportFailing = await eventually(
      'OtelCollectorExportFailing active',
      async () => {
        const state = await alertState('OtelCollectorExportFailing');
        return state === 'pending' || state === 'firing' ? state : undefined;
      },
      120_000,
      2_000,
    );
    expect(['pending', 'firing']).toContain(exportFailing);

    const failedToSend = allPanelQueries().filter((q) => q.needs === 'pipeline-fault');
    expect(failedToSend.length).toBeGreaterThan(0);
    for (const q of failedToSend) {
      const series = await eventually(`${q.panel} has data`, async () => {
        const r = await promQuery(stack.urls.prometheus, interpolate(q.expr));
        return r.length > 0 ? r : undefined;
      });
      expect(series.length).toBeGreaterThan(0);
    }
  }, 400_000);
});
