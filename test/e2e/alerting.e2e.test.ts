// Issue 7's live proof for alerting: a fault makes the matching alert fire in the real Prometheus,
// arrive through the real Alertmanager at a webhook on loopback (routed by severity, grouped by
// alertname and service_name), and removing the fault resolves it.
import { existsSync, readFileSync } from 'node:fs';
import { eventually } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type App, addScrapeTarget, startApp } from './support.js';

const stack = inject('stack');
const SERVICE = 'alerting-e2e';
let app: App;

interface Notification {
  path: string;
  payload: {
    receiver: string;
    status: string;
    groupLabels: Record<string, string>;
    alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  };
}

function notifications(): Notification[] {
  if (!existsSync(stack.alertsFile)) return [];
  return readFileSync(stack.alertsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Notification);
}

const forUs = (n: Notification) => n.payload.groupLabels.service_name === SERVICE;

beforeAll(async () => {
  app = await startApp('failing-app.cjs', SERVICE, stack.urls.otlpHttp);
  addScrapeTarget(stack.servicesFile, `127.0.0.1:${app.metricsPort}`);
});

afterAll(async () => {
  await app?.stop();
});

describe('alerting on live data', () => {
  it('a critical error pages through Alertmanager, grouped by alertname and service, then resolves', async () => {
    // The fault: two requests that fail with a critical error (memory_exhausted).
    for (let i = 0; i < 2; i++)
      await fetch(`http://127.0.0.1:${app.port}/fail?code=memory_exhausted`).then((r) => r.arrayBuffer());

    const firing = await eventually(
      'FaultlineCriticalError delivered to the page receiver',
      async () =>
        notifications().find(
          (n) =>
            forUs(n) &&
            n.payload.status === 'firing' &&
            n.payload.groupLabels.alertname === 'FaultlineCriticalError',
        ),
      180_000,
      2_000,
    );
    expect(firing.path).toBe('/alerts/page');
    expect(firing.payload.receiver).toBe('webhook-page');
    expect(firing.payload.groupLabels).toEqual({
      alertname: 'FaultlineCriticalError',
      service_name: SERVICE,
    });
    const alert = firing.payload.alerts[0]!;
    expect(alert.labels).toMatchObject({
      severity: 'page',
      error_type: 'memory_exhausted',
      error_category: 'resource',
    });
    expect(alert.annotations.runbook_url).toBe('docs/runbooks.md#faultlinecriticalerror');
    expect(alert.annotations.summary).toContain(SERVICE);

    // The fault is gone (no more critical errors): the alert resolves and Alertmanager says so.
    const resolved = await eventually(
      'FaultlineCriticalError resolved notification',
      async () =>
        notifications().find(
          (n) =>
            forUs(n) &&
            n.payload.status === 'resolved' &&
            n.payload.groupLabels.alertname === 'FaultlineCriticalError',
        ),
      300_000,
      5_000,
    );
    expect(resolved.payload.alerts.every((a) => a.status === 'resolved')).toBe(true);
    // Watchdog fires all the time and goes to the null receiver: it never reaches a webhook.
    expect(notifications().some((n) => n.payload.groupLabels.alertname === 'Watchdog')).toBe(false);
  }, 600_000);
});
