// Issue 10 item 7, live: with the default metrics configuration (Prometheus pull), a process that
// dies of an uncaught exception still pages. The crash is critical, its one faultline_errors_total
// increment is pushed over OTLP to the real collector before exit (the /metrics endpoint dies with
// the process), Prometheus scrapes it from the collector, FaultlineCriticalError fires for the
// service, and the real Alertmanager delivers it to the page webhook.
import { existsSync, readFileSync } from 'node:fs';
import { eventually } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type App, addScrapeTarget, startApp } from './support.js';

const stack = inject('stack');
const SERVICE = 'crash-alert-e2e';
let app: App;

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state?: string;
  status?: string;
}

function notifications(): Array<{
  path: string;
  payload: { status: string; groupLabels: Record<string, string>; alerts: Alert[] };
}> {
  if (!existsSync(stack.alertsFile)) return [];
  return readFileSync(stack.alertsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

beforeAll(async () => {
  app = await startApp('crash-app.cjs', SERVICE, stack.urls.otlpHttp);
  // Scraped like any service, until it dies.
  addScrapeTarget(stack.servicesFile, `127.0.0.1:${app.metricsPort}`);
});

afterAll(async () => {
  await app?.stop();
});

describe('a crash pages', () => {
  it('an uncaught exception under the default Prometheus pull fires FaultlineCriticalError and reaches the page webhook', async () => {
    const exited = new Promise<number | null>((resolve) => {
      if (app.child.exitCode !== null) resolve(app.child.exitCode);
      else app.child.once('exit', (code) => resolve(code));
    });
    await fetch(`http://127.0.0.1:${app.port}/crash`)
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
    // The process died of it, as it would without Faultline.
    expect(await exited).toBe(1);
    expect(app.output()).toContain('the ledger database is gone');

    const firing = await eventually(
      'FaultlineCriticalError firing in Prometheus for the crashed service',
      async () => {
        const body = (await fetch(`${stack.urls.prometheus}/api/v1/alerts`).then((r) => r.json())) as {
          data: { alerts: Alert[] };
        };
        return body.data.alerts.find(
          (a) =>
            a.labels.alertname === 'FaultlineCriticalError' &&
            a.labels.service_name === SERVICE &&
            a.state === 'firing',
        );
      },
      120_000,
      1_000,
    );
    // The thrown value's code and category, the crash as operation, paged.
    expect(firing.labels).toMatchObject({
      severity: 'page',
      error_type: 'dependency_failed',
      error_category: 'dependency',
      operation: 'uncaughtException',
    });

    const delivered = await eventually(
      'FaultlineCriticalError for the crashed service delivered to the page webhook',
      async () =>
        notifications().find(
          (n) =>
            n.payload.status === 'firing' &&
            n.payload.groupLabels.alertname === 'FaultlineCriticalError' &&
            n.payload.groupLabels.service_name === SERVICE,
        ),
      180_000,
      1_000,
    );
    expect(delivered.path).toBe('/alerts/page');
    expect(delivered.payload.alerts[0]?.labels).toMatchObject({
      error_type: 'dependency_failed',
      operation: 'uncaughtException',
    });

    // Counted once: the increment reached Prometheus by one path only (the collector), the dead
    // /metrics endpoint never showed it.
    const query = encodeURIComponent(
      `sum(faultline_errors_total{service_name="${SERVICE}",error_severity="critical"})`,
    );
    const result = (await fetch(`${stack.urls.prometheus}/api/v1/query?query=${query}`).then((r) =>
      r.json(),
    )) as { data: { result: Array<{ value: [number, string] }> } };
    expect(result.data.result.map((r) => r.value[1])).toEqual(['1']);
    const byJob = encodeURIComponent(`count by (job) (faultline_errors_total{service_name="${SERVICE}"})`);
    const jobs = (await fetch(`${stack.urls.prometheus}/api/v1/query?query=${byJob}`).then((r) =>
      r.json(),
    )) as {
      data: { result: Array<{ metric: { job: string } }> };
    };
    expect(jobs.data.result.map((r) => r.metric.job)).not.toContain('faultline-services');
  }, 400_000);
});
